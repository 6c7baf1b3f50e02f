"""The platform's own notice under the TAKE IT DOWN Act (Pub. L. 119-12, sec. 3(a)(1)(B)):
the letter with its four elements as PDF and text, prepared with a preview, stored as the
request's notice with its event, corrected or withdrawn like any record; and the takedown
board that says which row carries the 48-hour clock."""

import datetime as dt
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from ncii_cases.events import EventType
from ncii_cases.models import AccessEvent, CaseEvent, FormSubmission, TakedownNotice
from ncii_cases.models import TakedownRequest as TR
from ncii_cases.services.corrections import StaleRecord, record_correct, record_withdraw
from ncii_cases.services.takedown_notices import takedown_notice_create
from ncii_cases.services.takedowns import takedown_request_create, takedown_request_submit
from tests.access.helpers import login_verified
from tests.factories_workflow import TAKEDOWN_ELEMENTS, platform
from tests.recorded import Event, records

LOCATION = "https://social.example/p/48213 posted by @fake.account.2029"
SIGNATURE = "/s/ Avery Coordinator"
EMAIL = "titleix@district.example"
STATEMENT = "The person depicted did not consent to this image being made or shared."


def _inputs(**overrides) -> dict:
    values = {
        "authority": TakedownNotice.Authority.PARENT,
        "authorized_by_name": "Robin Guardian",
        "authorized_on": timezone.localdate() - dt.timedelta(days=1),
        "name_depicted": False,
        "depicted_name": "",
        "content_location": f"Platform: Snapchat\nLocation: {LOCATION}",
        "statement": STATEMENT,
        "signer_name": "Avery Coordinator",
        "signer_title": "Title IX coordinator",
        "signature": SIGNATURE,
        "contact_email": EMAIL,
        "contact_phone": "555-0100",
        "contact_address": "1 School Road\nSpringfield",
    }
    return {**values, **overrides}


def _post_data(takedown, **overrides) -> dict:
    data = {**_inputs(), "version": takedown.version, "save": "1", **overrides}
    data["authorized_on"] = data["authorized_on"].isoformat()
    data = {k: v for k, v in data.items() if v is not False}
    return data


@pytest.fixture
def platform_request(case, coordinator, depicted_minor):
    return takedown_request_create(
        actor=coordinator,
        case=case,
        platform=platform("snapchat"),
        location=LOCATION,
        depicted_party=depicted_minor,
        route=TR.Route.PLATFORM,
    )


@pytest.fixture
def hash_request(case, coordinator, depicted_minor):
    return takedown_request_create(
        actor=coordinator,
        case=case,
        platform=platform("snapchat"),
        location=LOCATION,
        depicted_party=depicted_minor,
    )


@pytest.fixture
def notice(case, coordinator, platform_request, private_root):
    return takedown_notice_create(
        actor=coordinator,
        case=case,
        takedown=platform_request,
        version=platform_request.version,
        **_inputs(),
    )


def one_page_letter():
    """A letter with no case behind it, for tests that need a real notice PDF."""
    from ncii_cases.services.takedown_notices import NoticeLetter, NoticeSection

    return NoticeLetter(
        title="Removal request under the TAKE IT DOWN Act",
        header=("To: Snapchat",),
        sections=(NoticeSection("1. The content to remove", (LOCATION,)),),
    )


def _pdf_text(notice) -> str:
    with notice.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _images(notice) -> int:
    with notice.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return sum(len(page.images) for page in reader.pages)


# --- The letter -------------------------------------------------------------------------------


def test_the_notice_pdf_carries_the_four_elements_of_the_act_and_no_image(notice, depicted_minor):
    text = _pdf_text(notice)
    # (i) the signature of the authorized person, acting for the person depicted
    assert SIGNATURE in text
    assert "Electronic signature of Avery Coordinator, Title IX coordinator" in text
    assert "with the authorization of a parent or guardian of the person depicted" in text
    # (ii) the content identified by its location, enough to find it
    assert LOCATION in text and "Snapchat" in text
    assert "No copy of the image is attached" in text
    # (iii) the good-faith statement of non-consent
    assert STATEMENT in text
    # (iv) the requester's contact information
    assert EMAIL in text and "555-0100" in text
    # No image in the PDF, and no name of the minor nor of who authorized it
    assert _images(notice) == 0
    assert depicted_minor.person.first_name not in text
    assert depicted_minor.person.last_name not in text
    assert "Robin Guardian" not in text
    assert "under 18" in text and "CyberTipline" in text


def test_the_text_version_is_the_pdfs_text(notice):
    assert " ".join(notice.text.split()) == _pdf_text(notice)


def test_the_person_is_named_only_when_the_coordinator_chooses_it(
    case, coordinator, platform_request, private_root
):
    named = takedown_notice_create(
        actor=coordinator,
        case=case,
        takedown=platform_request,
        version=platform_request.version,
        **_inputs(name_depicted=True, depicted_name="Sam Example"),
    )
    assert "The person depicted is Sam Example." in _pdf_text(named)


def test_a_notice_for_a_request_naming_nobody_says_nothing_of_age(case, coordinator, private_root):
    request = takedown_request_create(
        actor=coordinator,
        case=case,
        platform=platform("snapchat"),
        location=LOCATION,
        route=TR.Route.PLATFORM,
    )
    unnamed = takedown_notice_create(
        actor=coordinator,
        case=case,
        takedown=request,
        version=request.version,
        **_inputs(contact_phone="", contact_address=""),
    )
    assert unnamed.depicted_minor is None
    assert "under 18" not in unnamed.text and EMAIL in unnamed.text


def test_the_notice_is_stored_with_its_event_and_history(notice, case, coordinator):
    event = CaseEvent.objects.get(case=case, event_type=EventType.TAKEDOWN_NOTICE_CREATED)
    assert event.actor == coordinator
    assert event.detail["notice_id"] == notice.pk
    assert event.detail["pdf_sha256"] == notice.pdf_sha256
    assert notice.pdf.name.endswith(f"{notice.pdf_sha256}.pdf")
    assert notice.history.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("signature", ""),
        ("content_location", "  "),
        ("statement", ""),
        ("contact_email", ""),
        ("authorized_by_name", ""),
    ],
)
def test_a_notice_missing_an_element_is_refused_by_field(
    case, coordinator, platform_request, private_root, field, value
):
    with pytest.raises(ValidationError) as exc:
        takedown_notice_create(
            actor=coordinator,
            case=case,
            takedown=platform_request,
            version=platform_request.version,
            **_inputs(**{field: value}),
        )
    assert field in exc.value.message_dict
    assert not TakedownNotice.objects.exists()


def test_a_hash_service_request_takes_no_notice(case, coordinator, hash_request, private_root):
    with pytest.raises(ValidationError, match="goes to the platform itself"):
        takedown_notice_create(
            actor=coordinator,
            case=case,
            takedown=hash_request,
            version=hash_request.version,
            **_inputs(),
        )


def test_a_second_notice_is_refused_while_one_is_in_force(
    notice, case, coordinator, platform_request
):
    with pytest.raises(ValidationError, match="already has its notice"):
        takedown_notice_create(
            actor=coordinator,
            case=case,
            takedown=platform_request,
            version=platform_request.version,
            **_inputs(),
        )


def test_a_notice_prepared_on_an_older_version_of_the_request_is_refused(
    case, coordinator, platform_request, private_root
):
    opened = platform_request.version
    record_correct(
        actor=coordinator,
        record=platform_request,
        version=opened,
        reason="The link was copied wrong",
        location="https://social.example/p/99999",
    )
    with pytest.raises(StaleRecord):
        takedown_notice_create(
            actor=coordinator, case=case, takedown=platform_request, version=opened, **_inputs()
        )
    assert not TakedownNotice.objects.exists()


def test_a_corrected_notice_is_rendered_again_and_the_old_pdf_is_kept(notice, coordinator):
    old_name, old_sha = notice.pdf.name, notice.pdf_sha256
    corrected = record_correct(
        actor=coordinator,
        record=notice,
        version=notice.version,
        reason="Wrong phone number",
        contact_phone="555-0199",
    )
    assert "555-0199" in corrected.text and "555-0199" in _pdf_text(corrected)
    assert corrected.pdf_sha256 != old_sha
    assert notice.pdf.storage.exists(old_name)
    event = CaseEvent.objects.get(event_type=EventType.RECORD_CORRECTED)
    assert event.detail["record"] == "takedown_notice"
    assert event.detail["changes"]["contact_phone"] == ["555-0100", "555-0199"]


def test_the_notice_is_corrected_through_the_correction_page(client, case, coordinator, notice):
    login_verified(client, coordinator)
    url = reverse("ncii_cases:case_record_correct", args=[case.pk, "takedown_notice"])
    form = client.get(url, {"record": notice.pk}).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v not in (None, False)}
    data.update(reason="The e-mail was mistyped", contact_email="coordinator@district.example")
    with records(
        Event(EventType.RECORD_CORRECTED, coordinator, {"changes", "label", "record", "record_id"}),
        queries=30,
    ):
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    notice.refresh_from_db()
    assert "coordinator@district.example" in notice.text
    assert CaseEvent.objects.filter(
        case=case, event_type=EventType.RECORD_CORRECTED, detail__record="takedown_notice"
    ).exists()


def test_a_withdrawn_notice_stays_and_a_new_one_may_be_prepared(
    notice, case, coordinator, platform_request
):
    record_withdraw(actor=coordinator, record=notice, version=notice.version, reason="Wrong case")
    again = takedown_notice_create(
        actor=coordinator,
        case=case,
        takedown=platform_request,
        version=platform_request.version,
        **_inputs(),
    )
    assert TakedownNotice.objects.count() == 2
    assert list(TakedownNotice.objects.current()) == [again]


# --- The pages --------------------------------------------------------------------------------


def test_the_coordinator_previews_then_saves_the_notice(
    client, case, coordinator, platform_request, private_root, django_assert_max_num_queries
):
    login_verified(client, coordinator)
    url = reverse("ncii_cases:case_takedown_notice", args=[case.pk, platform_request.pk])
    with django_assert_max_num_queries(25):
        page = client.get(url)
    assert page.status_code == 200
    token = page.context["form"].initial["submission_token"]
    assert page.context["form"].initial["signature"].startswith("/s/ ")
    data = {**_post_data(platform_request), "submission_token": token}
    data.pop("save")
    with records(queries=15):
        preview = client.post(url, {**data, "preview": "1"})
    assert preview.status_code == 200
    assert LOCATION in preview.context["preview"] and SIGNATURE in preview.context["preview"]
    assert not TakedownNotice.objects.exists()
    with records(
        Event(
            EventType.TAKEDOWN_NOTICE_CREATED,
            coordinator,
            {"authority", "name_depicted", "notice_id", "pdf_sha256", "platform", "takedown_id"},
        ),
        queries=38,
    ):
        saved = client.post(url, {**data, "save": "1"})
    assert saved.status_code == 302
    notice = TakedownNotice.objects.get()
    assert notice.created_by == coordinator and notice.takedown == platform_request
    assert CaseEvent.objects.filter(
        case=case, event_type=EventType.TAKEDOWN_NOTICE_CREATED, actor=coordinator
    ).exists()
    assert AccessEvent.objects.filter(action="case_takedown_notice", allowed=True).exists()


def test_the_same_notice_form_sent_twice_saves_once(
    client, case, coordinator, platform_request, private_root
):
    login_verified(client, coordinator)
    url = reverse("ncii_cases:case_takedown_notice", args=[case.pk, platform_request.pk])
    token = client.get(url).context["form"].initial["submission_token"]
    data = {**_post_data(platform_request), "submission_token": token}
    with records(
        Event(
            EventType.TAKEDOWN_NOTICE_CREATED,
            coordinator,
            {"authority", "name_depicted", "notice_id", "pdf_sha256", "platform", "takedown_id"},
        ),
        queries=38,
    ):
        first = client.post(url, data)
    with records(queries=48):
        second = client.post(url, data, follow=True)
    assert first.status_code == 302
    assert TakedownNotice.objects.count() == 1
    assert FormSubmission.objects.count() == 1
    assert "already sent" in second.content.decode()
    assert CaseEvent.objects.filter(event_type=EventType.TAKEDOWN_NOTICE_CREATED).count() == 1


def test_a_notice_form_opened_before_the_request_changed_is_not_saved(
    client, case, coordinator, platform_request, private_root
):
    login_verified(client, coordinator)
    url = reverse("ncii_cases:case_takedown_notice", args=[case.pk, platform_request.pk])
    token = client.get(url).context["form"].initial["submission_token"]
    data = {**_post_data(platform_request), "submission_token": token}
    record_correct(
        actor=coordinator,
        record=platform_request,
        version=platform_request.version,
        reason="The link was copied wrong",
        location="https://social.example/p/99999",
    )
    with records(queries=26):
        response = client.post(url, data)
    assert response.status_code == 200
    assert "Someone changed this" in response.content.decode()
    assert "https://social.example/p/99999" in response.content.decode()
    assert not TakedownNotice.objects.exists()


def test_the_notice_downloads_as_attachments_no_cache_keeps(client, case, coordinator, notice):
    login_verified(client, coordinator)
    pdf = client.get(
        reverse("ncii_cases:case_takedown_notice_download", args=[case.pk, notice.pk, "pdf"])
    )
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    text = client.get(
        reverse("ncii_cases:case_takedown_notice_download", args=[case.pk, notice.pk, "txt"])
    )
    assert text.content.decode() == notice.text
    for response in (pdf, text):
        assert response["Content-Disposition"].startswith("attachment")
        assert f"{case.reference}-takedown-notice-{notice.pk}" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "no-store, private"
    assert (
        AccessEvent.objects.filter(
            action="case_takedown_notice_download", case_id=case.pk, allowed=True
        ).count()
        == 2
    )


@pytest.mark.parametrize("persona", ["outsider", "counselor", "auditor", "it_admin"])
def test_only_who_may_manage_takedowns_reaches_the_notice(
    client, request, case, notice, platform_request, persona
):
    login_verified(client, request.getfixturevalue(persona))
    urls = [
        reverse("ncii_cases:case_takedown_notice", args=[case.pk, platform_request.pk]),
        reverse("ncii_cases:case_takedown_notice_download", args=[case.pk, notice.pk, "pdf"]),
        reverse("ncii_cases:case_takedown_notice_download", args=[case.pk, notice.pk, "txt"]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert not AccessEvent.objects.filter(
        action="case_takedown_notice_download", allowed=True
    ).exists()


def test_a_notice_of_another_case_is_not_found_through_this_one(
    client, case, coordinator, notice, other_school_case
):
    login_verified(client, coordinator)
    url = reverse(
        "ncii_cases:case_takedown_notice_download", args=[other_school_case.pk, notice.pk, "pdf"]
    )
    assert client.get(url).status_code == 404


# --- The board --------------------------------------------------------------------------------


def _board(client, case) -> str:
    html = client.get(reverse("ncii_cases:case_takedowns", args=[case.pk])).content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_board_says_which_row_carries_the_48_hour_clock(
    client, case, coordinator, hash_request
):
    login_verified(client, coordinator)
    board = _board(client, case)
    assert "48-hour clocks" not in board
    assert "runs only on a covered platform's own route" in board
    assert "No legal clock: a hash service is not a notice under the Act" in board
    # A Take It Down request without the platform's own request: the board asks for it
    assert "No legal clock runs yet for Snapchat" in board
    assert "add the Snapchat request" in board


def test_the_prompt_goes_once_the_platform_has_its_own_request(
    client, case, coordinator, hash_request, platform_request, private_root
):
    login_verified(client, coordinator)
    board = _board(client, case)
    assert "No legal clock runs yet" not in board
    assert "Not prepared yet. Prepare the notice" in board
    takedown_notice_create(
        actor=coordinator,
        case=case,
        takedown=platform_request,
        version=platform_request.version,
        **_inputs(),
    )
    board = _board(client, case)
    assert "Prepare the notice" not in board and "Prepared" in board
    # The board then offers to record it as sent, with the four elements checked
    html = client.get(reverse("ncii_cases:case_takedowns", args=[case.pk])).content.decode()
    link = re.search(r'href="([^"]*/takedowns/update/\?[^"]*status=submitted[^"]*)"', html).group(1)
    form = client.get(link.replace("&amp;", "&")).context["form"]
    assert form.initial["status"] == "submitted"
    assert all(
        form.initial[name]
        for name in (
            "has_signature",
            "identifies_content",
            "good_faith_statement",
            "has_contact_information",
        )
    )


def test_the_prompt_links_to_the_platform_request_prefilled(
    client, case, coordinator, hash_request, depicted_minor
):
    login_verified(client, coordinator)
    html = client.get(reverse("ncii_cases:case_takedowns", args=[case.pk])).content.decode()
    link = re.search(r'href="([^"]*/takedowns/new/\?[^"]*)"', html).group(1).replace("&amp;", "&")
    form = client.get(link).context["form"]
    assert str(form.initial["platform"]) == str(hash_request.platform_id)
    assert form.initial["route"] == "platform" and form.initial["location"] == LOCATION
    assert str(form.initial["depicted_party"]) == str(depicted_minor.pk)


# --- A Take It Down request is corrected like any takedown request ---------------------------


def test_a_submitted_take_it_down_request_is_corrected_through_the_page(
    client, case, coordinator, hash_request
):
    submitted = takedown_request_submit(
        actor=coordinator,
        takedown=hash_request,
        submitted_at=timezone.now() - dt.timedelta(hours=3),
        platform_reference="TID-1",
    )
    login_verified(client, coordinator)
    url = reverse("ncii_cases:case_record_correct", args=[case.pk, "takedown"])
    assert client.get(url, {"record": submitted.pk}).status_code == 200
    when = timezone.localtime(timezone.now() - dt.timedelta(hours=5)).replace(
        second=0, microsecond=0
    )
    with records(
        Event(EventType.RECORD_CORRECTED, coordinator, {"changes", "label", "record", "record_id"}),
        queries=29,
    ):
        response = client.post(
            url,
            {
                "record": submitted.pk,
                "version": submitted.version,
                "reason": "The Take It Down case number and time were typed wrong",
                "location": LOCATION,
                "platform_reference": "TID-2",
                "submitted_at": when.strftime("%Y-%m-%dT%H:%M"),
                "notes": "",
            },
        )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.platform_reference == "TID-2" and submitted.submitted_at == when
    assert submitted.due_at is None  # a hash service runs no legal clock
    event = CaseEvent.objects.get(case=case, event_type=EventType.RECORD_CORRECTED)
    assert set(event.detail["changes"]) == {"platform_reference", "submitted_at"}


def test_correcting_a_platform_requests_submission_time_moves_its_48_hour_clock(
    case, coordinator, platform_request
):
    sent = timezone.now() - dt.timedelta(hours=2)
    submitted = takedown_request_submit(
        **TAKEDOWN_ELEMENTS, actor=coordinator, takedown=platform_request, submitted_at=sent
    )
    earlier = sent - dt.timedelta(hours=10)
    corrected = record_correct(
        actor=coordinator,
        record=submitted,
        version=submitted.version,
        reason="Sent the evening before",
        submitted_at=earlier,
    )
    assert corrected.due_at == earlier + dt.timedelta(hours=48)


def test_a_request_not_yet_submitted_gets_no_submission_time_by_correction(
    case, coordinator, hash_request
):
    with pytest.raises(ValidationError) as exc:
        record_correct(
            actor=coordinator,
            record=hash_request,
            version=hash_request.version,
            reason="x",
            submitted_at=timezone.now() - dt.timedelta(hours=1),
        )
    assert "submitted_at" in exc.value.message_dict


# --- The case page and the PDF summary ---------------------------------------------------------


def test_the_case_page_shows_the_notice_under_takedowns(client, case, coordinator, notice):
    login_verified(client, coordinator)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Takedowns: platform notices and hash services" in page
    assert (
        reverse("ncii_cases:case_takedown_notice_download", args=[case.pk, notice.pk, "pdf"])
        in page
    )
    assert "prepared the TAKE IT DOWN Act notice for the takedown request to Snapchat" in page


def test_the_internal_summary_lists_the_notice_and_who_authorized_it(case, coordinator, notice):
    from reporting.summary import case_summary_for_user

    summary = case_summary_for_user(user=coordinator, pk=case.pk, profile="internal")
    (row,) = summary.takedowns
    assert "Notice under the TAKE IT DOWN Act prepared" in row.notice
    assert "signed by Avery Coordinator" in row.notice
    assert "a parent or guardian of the depicted person" in row.notice
    assert row.notice_authorized_by == "Robin Guardian"


def test_the_redacted_summary_drops_who_authorized_the_notice(case, coordinator, notice):
    from reporting.summary import case_summary_for_user

    summary = case_summary_for_user(user=coordinator, pk=case.pk, profile="redacted")
    (row,) = summary.takedowns
    assert row.notice_authorized_by == "" and "Robin Guardian" not in repr(summary)
    assert "Notice under the TAKE IT DOWN Act prepared" in row.notice
    assert row.location == ""


@pytest.mark.parametrize(
    ("is_minor", "age_in_imagery", "expected"),
    [
        (False, "under_18", True),  # made at 17, 18 now: the notice says under 18 when made
        (True, "unknown", True),  # under 18 now: any existing imagery shows them under 18
        (False, "adult", False),
        (False, "unknown", None),
    ],
)
def test_the_notice_reads_the_age_in_the_imagery_not_the_age_now(
    platform_request, is_minor, age_in_imagery, expected
):
    from ncii_cases.services.takedown_notices import depicted_minor

    party = platform_request.depicted_party
    party.is_minor, party.age_in_imagery = is_minor, age_in_imagery
    assert depicted_minor(platform_request) is expected
