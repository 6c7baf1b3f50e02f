"""Reports from anyone (issue 17): staff reports, the public report page with its tracking code,
passphrase and messages, and the incoming queue's decisions. Service and view tests, with the
abuse cases (rate limits, honeypot, oversize text, a pasted image, a wrong passphrase)."""

import datetime as dt

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.errors import TransitionForbidden
from ncii_cases.events import EventType, Names, event_sentence
from ncii_cases.models import CaseEvent, IncomingReport, ReportMessage
from ncii_cases.models_intake import ReportOutcome, ReportStatus
from ncii_cases.selectors.reports import reporter_status
from ncii_cases.services import intake_reports as svc
from tests.access.helpers import login_verified
from tests.factories import CaseFactory
from tests.recorded import Event, records

PASSPHRASE = "blue kettle morning"
# A tiny PNG header as base64: what a pasted image looks like in a text field (no imagery).
PASTED_IMAGE = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"


def public_answers(**changes):
    answers = {
        "what_happened": "A picture of a student was shared in a class group chat.",
        "who_involved": "A student in grade 9",
        "where_seen": "A group chat app",
        "when_text": "Last Friday",
        "relation": "parent",
        "anonymous": "on",
        "passphrase": PASSPHRASE,
        "passphrase_again": PASSPHRASE,
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


def file_public(district, **changes) -> IncomingReport:
    data = svc.ReportInput(
        what_happened=changes.pop("what_happened", "Images shared in a chat."),
        anonymous=True,
        **changes,
    )
    return svc.public_report_file(district=district, data=data, passphrase=PASSPHRASE)


def file_staff(user, *, learned_at=None, school=None) -> IncomingReport:
    learned_at = learned_at or timezone.now() - dt.timedelta(hours=30)
    data = svc.ReportInput(
        what_happened="A student told me a picture of them is going around.",
        who_involved="A grade 10 student",
        learned_at=learned_at,
        school=school,
    )
    return svc.staff_report_file(actor=user, data=data)


# --- Services --------------------------------------------------------------------------------


def test_every_employee_role_may_file_a_staff_report(
    counselor, auditor, it_admin, staff_reporter, investigator, school
):
    for user in (counselor, auditor, it_admin, staff_reporter, investigator):
        report = file_staff(user, school=school)
        assert report.source == "staff" and report.submitted_by == user
        assert report.status == ReportStatus.RECEIVED
        assert len(report.code) == svc.CODE_LENGTH
        assert set(report.code) <= set(svc.CODE_ALPHABET)


def test_the_operator_files_no_staff_report(operator):
    with pytest.raises(TransitionForbidden):
        file_staff(operator)


def test_a_staff_report_names_no_school_of_another_district(counselor, foreign_case):
    with pytest.raises(ValidationError):
        file_staff(counselor, school=foreign_case.school)


def test_the_passphrase_is_stored_only_as_a_password_hash(district):
    report = file_public(district)
    assert PASSPHRASE not in report.passphrase_hash
    assert check_password(PASSPHRASE, report.passphrase_hash)
    history = report.history.get()
    assert not hasattr(history, "passphrase_hash")  # not copied into the audit history


def test_a_report_opens_with_its_code_and_passphrase_only(district):
    report = file_public(district)
    assert svc.public_report_open(code=report.code_display.lower(), passphrase=PASSPHRASE) == report
    assert svc.public_report_open(code=report.code, passphrase="wrong passphrase") is None
    assert svc.public_report_open(code="2345-6789-ABCD", passphrase=PASSPHRASE) is None
    assert svc.public_report_open(code="", passphrase=PASSPHRASE) is None


def test_a_staff_reports_code_does_not_open_publicly(counselor):
    report = file_staff(counselor)
    assert svc.public_report_open(code=report.code, passphrase="") is None


def test_an_unknown_code_runs_the_password_hasher_like_a_known_one(district, monkeypatch):
    """Same timing class: the hasher runs once whether or not the code exists."""
    report = file_public(district)
    calls = []
    real = svc.check_password

    def counted(password, encoded):
        calls.append(encoded)
        return real(password, encoded)

    monkeypatch.setattr(svc, "check_password", counted)
    svc.public_report_open(code=report.code, passphrase="wrong passphrase")
    svc.public_report_open(code="2345-6789-ABCD", passphrase="wrong passphrase")
    svc.public_report_open(code="not a code", passphrase="wrong passphrase")
    assert len(calls) == 3
    algorithms = {encoded.split("$", 1)[0] for encoded in calls}
    assert len(algorithms) == 1


def test_promoting_a_staff_report_starts_the_clocks_when_the_employee_learned_of_it(
    coordinator, counselor, school
):
    learned = timezone.now().replace(microsecond=0) - dt.timedelta(days=2)
    report = file_staff(counselor, learned_at=learned, school=school)
    case = svc.report_promote(actor=coordinator, report=report, school=school, title="Shared image")
    report.refresh_from_db()
    assert case.reported_at == learned
    assert "A student told me" in case.narrative
    assert (report.outcome, report.status, report.case) == (
        ReportOutcome.PROMOTED,
        ReportStatus.IN_HAND,
        case,
    )
    event = CaseEvent.objects.get(case=case, event_type=EventType.REPORT_PROMOTED)
    assert event.actor == coordinator and event.detail["report_id"] == report.pk
    assert report.code_display in event_sentence(event, Names())


def test_promoting_a_public_report_starts_the_clocks_when_it_arrived(coordinator, district, school):
    report = file_public(district)
    case = svc.report_promote(actor=coordinator, report=report, school=school, title="Shared image")
    assert case.reported_at == report.submitted_at
    assert case.reporter_anonymous and case.reporter_name == ""


def test_a_report_is_decided_once(coordinator, district, school, case):
    report = file_public(district)
    svc.report_promote(actor=coordinator, report=report, school=school, title="Shared image")
    with pytest.raises(ValidationError):
        svc.report_merge(actor=coordinator, report=report, case=case)
    with pytest.raises(ValidationError):
        svc.report_close(actor=coordinator, report=report, reason="Duplicate")


def test_merging_links_the_report_and_writes_the_event_on_the_case(coordinator, district, case):
    report = file_public(district)
    svc.report_merge(actor=coordinator, report=report, case=case)
    report.refresh_from_db()
    assert (report.outcome, report.case) == (ReportOutcome.MERGED, case)
    assert CaseEvent.objects.filter(case=case, event_type=EventType.REPORT_MERGED).count() == 1


def test_no_merge_into_a_closed_case_or_another_districts(
    coordinator, district, closed_case, foreign_case
):
    report = file_public(district)
    with pytest.raises(ValidationError):
        svc.report_merge(actor=coordinator, report=report, case=closed_case)
    with pytest.raises(TransitionForbidden):
        svc.report_merge(actor=coordinator, report=report, case=foreign_case)
    report.refresh_from_db()
    assert report.is_pending


def test_a_school_administrator_decides_only_their_schools_reports(
    school_admin, district, school, other_school
):
    ours = file_public(district, school=school)
    theirs = file_public(district, school=other_school)
    nowhere = file_public(district)
    svc.report_close(actor=school_admin, report=ours, reason="Handled by the school")
    for report in (theirs, nowhere):
        with pytest.raises(TransitionForbidden):
            svc.report_close(actor=school_admin, report=report, reason="Not ours")


def test_another_districts_coordinator_cannot_touch_the_report(outsider, district):
    report = file_public(district)
    with pytest.raises(TransitionForbidden):
        svc.report_close(actor=outsider, report=report, reason="x")
    with pytest.raises(TransitionForbidden):
        svc.report_message_from_district(actor=outsider, report=report, body="Hello")


def test_closing_needs_a_reason_and_the_reporter_sees_closed(coordinator, district):
    report = file_public(district)
    with pytest.raises(ValidationError):
        svc.report_close(actor=coordinator, report=report, reason="  ")
    svc.report_close(actor=coordinator, report=report, reason="Not about the district")
    report.refresh_from_db()
    assert reporter_status(report) == ReportStatus.CLOSED
    assert report.history.first().closed_reason == "Not about the district"
    with pytest.raises(ValidationError):
        svc.report_message_from_reporter(report=report, body="Anything new?")


def test_messages_on_a_linked_report_are_in_the_case_timeline(coordinator, district, school):
    report = file_public(district)
    svc.report_message_from_district(actor=coordinator, report=report, body="Which app was it?")
    case = svc.report_promote(actor=coordinator, report=report, school=school, title="Shared")
    svc.report_message_from_reporter(report=report, body="A photo-sharing app.")
    svc.report_message_from_district(actor=coordinator, report=report, body="Thank you.")
    events = list(
        CaseEvent.objects.filter(case=case, event_type=EventType.REPORT_MESSAGE).order_by("pk")
    )
    assert [e.detail["from"] for e in events] == ["reporter", "district"]
    assert event_sentence(events[0], Names()).startswith("Message from the reporter")
    assert ReportMessage.objects.filter(report=report).count() == 3
    assert all(m.history.count() == 1 for m in ReportMessage.objects.filter(report=report))


def test_the_reporter_sees_closed_once_the_case_is_closed(coordinator, district, school):
    report = file_public(district)
    case = svc.report_promote(actor=coordinator, report=report, school=school, title="Shared")
    report.refresh_from_db()
    assert reporter_status(report) == ReportStatus.IN_HAND
    type(case).objects.filter(pk=case.pk).update(stage=c.Stage.CLOSED)
    report.refresh_from_db()
    assert reporter_status(report) == ReportStatus.CLOSED


# --- Staff views -----------------------------------------------------------------------------


def staff_post(**changes):
    data = {
        "school": "",
        "what_happened": "A student said a picture of them is being shared.",
        "who_involved": "",
        "where_seen": "",
        "actions_taken": "I told the coordinator.",
        "learned_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(changes)
    return data


def test_a_counselor_files_a_staff_report_and_gets_a_receipt(client, counselor):
    login_verified(client, counselor)
    page = client.get(reverse("ncii_cases:staff_report_new"))
    assert page.status_code == 200
    assert b"Do not copy, forward" in page.content and b'type="file"' not in page.content
    with records(queries=24):
        response = client.post(reverse("ncii_cases:staff_report_new"), staff_post())
    report = IncomingReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ncii_cases:my_report", args=[report.pk])
    assert report.history.get().history_user == counselor
    receipt = client.get(response["Location"])
    assert report.code_display.encode() in receipt.content
    assert b"Received" in receipt.content


def test_a_staff_report_refused_lists_each_problem_at_the_top_linked_to_its_field(
    client, counselor
):
    login_verified(client, counselor)
    with records(queries=11):
        response = client.post(reverse("ncii_cases:staff_report_new"), staff_post(what_happened=""))
    page = response.content.decode()
    assert response.status_code == 200
    assert not IncomingReport.objects.exists()
    # The summary the focus goes to (js/case_page.js), before the fields, with a link each.
    summary = page.index("data-error-summary")
    assert summary < page.index('name="what_happened"')
    assert '<a href="#id_what_happened">' in page[summary:]
    assert "js/case_page.js" in page


def test_the_staff_report_form_sent_twice_files_one_report(client, counselor):
    login_verified(client, counselor)
    form = client.get(reverse("ncii_cases:staff_report_new")).context["form"]
    data = staff_post(submission_token=str(form.initial["submission_token"]))
    with records(queries=29):
        client.post(reverse("ncii_cases:staff_report_new"), data)
    with records(queries=11):
        client.post(reverse("ncii_cases:staff_report_new"), data)
    assert IncomingReport.objects.count() == 1


def test_the_staff_reporter_sees_the_status_never_the_case(
    client, staff_reporter, coordinator, school, django_assert_max_num_queries
):
    report = file_staff(staff_reporter, school=school)
    case = svc.report_promote(actor=coordinator, report=report, school=school, title="TITLE-X")
    login_verified(client, staff_reporter)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("ncii_cases:my_reports"))
    assert b"Being handled" in page.content
    assert case.reference.encode() not in page.content and b"TITLE-X" not in page.content
    detail = client.get(reverse("ncii_cases:my_report", args=[report.pk]))
    assert case.reference.encode() not in detail.content
    assert client.get(case.get_absolute_url()).status_code == 404


def test_someone_elses_receipt_is_not_found(client, counselor, staff_reporter):
    report = file_staff(staff_reporter)
    login_verified(client, counselor)
    assert client.get(reverse("ncii_cases:my_report", args=[report.pk])).status_code == 404


def test_new_report_in_the_nav_leads_each_user_where_they_may_file(client, counselor, coordinator):
    login_verified(client, counselor)
    page = client.get(reverse("ncii_cases:home")).content.decode()
    assert f'href="{reverse("ncii_cases:staff_report_new")}">New report' in page
    assert "Incoming reports" not in page
    login_verified(client, coordinator)
    page = client.get(reverse("ncii_cases:home")).content.decode()
    assert f'href="{reverse("ncii_cases:intake")}">New report' in page
    assert "Incoming reports" in page


# --- The queue -------------------------------------------------------------------------------


def test_the_queue_lists_only_reports_the_user_reviews(
    client,
    coordinator,
    school_admin,
    district,
    school,
    other_district,
    django_assert_max_num_queries,
):
    mine = file_public(district, school=school, what_happened="OURS-REPORT")
    nowhere = file_public(district, what_happened="NO-SCHOOL-REPORT")
    foreign = file_public(other_district, what_happened="FOREIGN-REPORT")
    login_verified(client, coordinator)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("ncii_cases:report_queue")).content.decode()
    assert mine.code_display in page and nowhere.code_display in page
    assert foreign.code_display not in page
    assert "2 reports waiting" in page
    login_verified(client, school_admin)
    page = client.get(reverse("ncii_cases:report_queue")).content.decode()
    assert mine.code_display in page and nowhere.code_display not in page
    assert "1 report waiting" in page
    response = client.get(reverse("ncii_cases:report_review", args=[foreign.pk]))
    assert response.status_code == 404


def test_the_coordinator_promotes_a_report_from_its_page(client, coordinator, district, school):
    report = file_public(district, school=school)
    login_verified(client, coordinator)
    page = client.get(reverse("ncii_cases:report_review", args=[report.pk]))
    assert page.status_code == 200
    with records(
        Event(
            EventType.CASE_CREATED,
            coordinator,
            {"party_ids", "platform_ids", "reference", "school_id"},
        ),
        Event(EventType.REPORT_PROMOTED, coordinator, {"code", "report_id", "source"}),
        queries=58,
    ):
        response = client.post(
            reverse("ncii_cases:report_promote", args=[report.pk]),
            {"promote-school": school.pk, "promote-title": "Images shared in a chat"},
        )
    report.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == report.case.get_absolute_url()
    assert CaseEvent.objects.filter(case=report.case, event_type=EventType.REPORT_PROMOTED).exists()
    # The case page leads back to the report, its facts and the messages with its reporter.
    case_page = client.get(report.case.get_absolute_url()).content.decode()
    assert reverse("ncii_cases:report_review", args=[report.pk]) in case_page


def test_the_coordinator_merges_and_replies(client, coordinator, district, case):
    report = file_public(district)
    login_verified(client, coordinator)
    with records(queries=23):
        response = client.post(
            reverse("ncii_cases:report_reply", args=[report.pk]), {"reply-body": "Thank you."}
        )
    assert response.status_code == 302
    with records(
        Event(EventType.REPORT_MERGED, coordinator, {"code", "report_id", "source"}), queries=28
    ):
        response = client.post(
            reverse("ncii_cases:report_merge", args=[report.pk]), {"merge-case": case.pk}
        )
    assert response["Location"] == case.get_absolute_url()
    assert CaseEvent.objects.filter(case=case, event_type=EventType.REPORT_MERGED).count() == 1


def test_merging_into_a_case_out_of_reach_is_refused(client, school_admin, district, school):
    report = file_public(district, school=school)
    elsewhere = CaseFactory(school__district=district)
    login_verified(client, school_admin)
    with records(queries=17):
        response = client.post(
            reverse("ncii_cases:report_merge", args=[report.pk]), {"merge-case": elsewhere.pk}
        )
    assert response.status_code == 400
    report.refresh_from_db()
    assert report.is_pending


def test_a_stale_decision_form_says_the_report_was_handled(client, coordinator, district):
    report = file_public(district)
    svc.report_close(actor=coordinator, report=report, reason="Duplicate")
    login_verified(client, coordinator)
    with records(queries=20):
        response = client.post(
            reverse("ncii_cases:report_close", args=[report.pk]), {"close-reason": "Again"}
        )
    assert response.status_code == 400
    assert b"already handled" in response.content


# --- Public pages and abuse ------------------------------------------------------------------


def test_a_public_report_gives_a_tracking_code_once(client, district, school):
    page = client.get(reverse("ncii_cases:public_report", args=[district.slug]))
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("911", "1-800-843-5678", "takeitdown.ncmec.org", "report.cybertip.org", "988"):
        assert text in html
    assert 'type="file"' not in html and "csrfmiddlewaretoken" in html
    assert page["Cache-Control"].startswith("no-store") or "no-store" in page["Cache-Control"]
    with records(queries=20):
        response = client.post(
            reverse("ncii_cases:public_report", args=[district.slug]),
            public_answers(school=school.pk),
        )
    report = IncomingReport.objects.get()
    assert response.status_code == 302
    sent = client.get(response["Location"])
    assert report.code_display.encode() in sent.content
    again = client.get(response["Location"])
    assert again.status_code == 302  # shown only once
    assert report.anonymous and report.reporter_name == ""


def test_an_unknown_district_has_no_report_page(client, db):
    assert client.get(reverse("ncii_cases:public_report", args=["nowhere"])).status_code == 404


def test_the_reporter_follows_reads_and_answers(client, coordinator, district):
    report = file_public(district)
    svc.report_message_from_district(actor=coordinator, report=report, body="COORD-QUESTION")
    with records(queries=8):
        response = client.post(
            reverse("ncii_cases:public_follow"),
            {"code": report.code_display, "passphrase": PASSPHRASE},
        )
    assert response["Location"] == reverse("ncii_cases:public_follow_status")
    page = client.get(response["Location"])
    assert b"COORD-QUESTION" in page.content and b"Received" in page.content
    with records(queries=12):
        client.post(reverse("ncii_cases:public_follow_status"), {"reply-body": "REPORTER-ANSWER"})
    assert report.messages.filter(author_kind="reporter", body="REPORTER-ANSWER").exists()
    with records(queries=10):
        client.post(reverse("ncii_cases:public_follow_leave"))
    assert client.get(reverse("ncii_cases:public_follow_status")).status_code == 302


def test_the_reporters_status_page_never_shows_case_content(client, coordinator, district, school):
    report = file_public(district)
    case = svc.report_promote(actor=coordinator, report=report, school=school, title="TITLE-SECRET")
    with records(queries=8):
        client.post(
            reverse("ncii_cases:public_follow"), {"code": report.code, "passphrase": PASSPHRASE}
        )
    page = client.get(reverse("ncii_cases:public_follow_status")).content.decode()
    assert "Being handled" in page
    assert case.reference not in page and "TITLE-SECRET" not in page


def test_a_wrong_passphrase_answers_the_same_for_a_known_and_an_unknown_code(client, district):
    report = file_public(district)
    url = reverse("ncii_cases:public_follow")
    with records(queries=1):
        known = client.post(url, {"code": report.code_display, "passphrase": "not the one"})
    with records(queries=1):
        unknown = client.post(url, {"code": "2345-6789-ABCD", "passphrase": "not the one"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda r: r.content.decode().split('name="csrfmiddlewaretoken"')[0]  # noqa: E731
    assert strip(known) == strip(unknown)
    assert known.content.replace(b"\n", b"").count(b"We could not open a report") == 1


@pytest.mark.parametrize("field", ["what_happened", "who_involved", "where_seen", "when_text"])
def test_an_image_pasted_as_a_data_url_is_refused(client, district, field):
    with records(queries=2):
        response = client.post(
            reverse("ncii_cases:public_report", args=[district.slug]),
            public_answers(**{field: f"See this {PASTED_IMAGE}"}),
        )
    assert response.status_code == 200
    assert b"describe what you saw in words" in response.content
    assert IncomingReport.objects.count() == 0


def test_base64_image_bytes_without_a_data_prefix_are_refused(client, district):
    with records(queries=2):
        response = client.post(
            reverse("ncii_cases:public_report", args=[district.slug]),
            public_answers(what_happened="iVBORw0KGgo" + "A" * 200),
        )
    assert b"describe what you saw in words" in response.content
    assert IncomingReport.objects.count() == 0


def test_a_pasted_image_is_refused_in_messages_too(client, coordinator, district):
    report = file_public(district)
    follow = {"code": report.code, "passphrase": PASSPHRASE}
    with records(queries=8):
        client.post(reverse("ncii_cases:public_follow"), follow)
    with records(queries=3):
        client.post(reverse("ncii_cases:public_follow_status"), {"reply-body": PASTED_IMAGE})
    login_verified(client, coordinator)
    with records(queries=15):
        client.post(
            reverse("ncii_cases:report_reply", args=[report.pk]), {"reply-body": PASTED_IMAGE}
        )
    assert report.messages.count() == 0


def test_oversize_text_is_refused(client, district):
    with records(queries=2):
        response = client.post(
            reverse("ncii_cases:public_report", args=[district.slug]),
            public_answers(what_happened="word " * 1200),
        )
    assert response.status_code == 200
    assert b"at most 5000 characters" in response.content
    assert IncomingReport.objects.count() == 0


def test_the_honeypot_stores_nothing(client, district):
    with records(queries=1):
        response = client.post(
            reverse("ncii_cases:public_report", args=[district.slug]),
            public_answers(website="http://spam.example"),
        )
    assert response.status_code == 400
    assert IncomingReport.objects.count() == 0


def test_reports_from_one_address_are_rate_limited(client, district, settings):
    settings.PUBLIC_REPORT_RATE = "2/h"
    url = reverse("ncii_cases:public_report", args=[district.slug])
    for _ in range(2):
        with records(queries=19):
            assert client.post(url, public_answers()).status_code == 302
    # The page as it was sent: the district, its schools for the form (and the session).
    with records(queries=3):
        response = client.post(url, public_answers(what_happened="THE-THIRD-REPORT"))
    assert response.status_code == 429
    assert IncomingReport.objects.count() == 2
    # The form comes back with what was typed, and says plainly that it was not sent.
    body = response.content.decode()
    assert "THE-THIRD-REPORT" in body and "911" in body
    assert "this one has not been sent yet" in body and "is lost" not in body


def test_a_form_sent_back_for_a_missing_answer_does_not_count_as_a_report(
    client, district, settings
):
    """A school's students share one address: a page sent back for a missing answer is no
    report, and does not use up the reports the address may send (the issue's reproduction:
    five mistakes in an hour locked a student out, and the report typed after them was
    thrown away)."""
    settings.PUBLIC_REPORT_RATE = "2/h"
    url = reverse("ncii_cases:public_report", args=[district.slug])
    for _ in range(5):
        assert client.post(url, public_answers(what_happened="")).status_code == 200
    for _ in range(2):
        assert client.post(url, public_answers()).status_code == 302
    assert IncomingReport.objects.count() == 2


def test_a_report_held_back_says_so_in_the_readers_language(client, district, settings):
    settings.PUBLIC_REPORT_RATE = "1/h"
    url = reverse("ncii_cases:public_report", args=[district.slug])
    assert client.post(url, public_answers(), HTTP_ACCEPT_LANGUAGE="es").status_code == 302
    response = client.post(url, public_answers(), HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 429
    body = response.content.decode()
    assert "este todavía no se envió" in body and "has not been sent yet" not in body


def test_a_program_sending_the_form_over_and_over_is_held_back_too(client, district, settings):
    settings.PUBLIC_REPORT_TRY_RATE = "3/h"
    url = reverse("ncii_cases:public_report", args=[district.slug])
    for _ in range(3):
        assert client.post(url, public_answers(what_happened="")).status_code == 200
    response = client.post(url, public_answers(what_happened="TYPED-AFTER-TRIES"))
    assert response.status_code == 429
    assert "TYPED-AFTER-TRIES" in response.content.decode()
    assert IncomingReport.objects.count() == 0


def test_a_reporters_message_over_the_limit_comes_back_as_typed(client, district, settings):
    settings.PUBLIC_MESSAGE_RATE = "1/h"
    report = file_public(district)
    client.post(
        reverse("ncii_cases:public_follow"), {"code": report.code, "passphrase": PASSPHRASE}
    )
    status_url = reverse("ncii_cases:public_follow_status")
    assert client.post(status_url, {"reply-body": "First message"}).status_code == 302
    response = client.post(status_url, {"reply-body": "SECOND-MESSAGE-TEXT"})
    assert response.status_code == 429
    body = response.content.decode()
    assert "SECOND-MESSAGE-TEXT" in body and "this one has not been sent yet" in body
    assert report.messages.count() == 1


def test_follow_attempts_are_rate_limited_per_code_across_addresses(client, district, settings):
    settings.PUBLIC_FOLLOW_RATE_PER_CODE = "3/h"
    report = file_public(district)
    url = reverse("ncii_cases:public_follow")
    for n in range(3):
        with records(queries=1):
            client.post(
                url, {"code": report.code, "passphrase": "guess"}, REMOTE_ADDR=f"10.0.0.{n}"
            )
    with records(queries=0):
        response = client.post(
            url, {"code": report.code, "passphrase": PASSPHRASE}, REMOTE_ADDR="10.0.0.9"
        )
    assert response.status_code == 429


def test_follow_attempts_are_rate_limited_per_address(client, district, settings):
    settings.PUBLIC_FOLLOW_RATE_PER_ADDRESS = "2/h"
    url = reverse("ncii_cases:public_follow")
    for code in ("2345-6789-ABCD", "2345-6789-ABCE"):
        with records(queries=1):
            client.post(url, {"code": code, "passphrase": "guess"})
    with records(queries=0):
        assert client.post(url, {"code": "2345-6789-ABCF", "passphrase": "x"}).status_code == 429


def test_the_rate_limit_reads_the_client_address_through_trusted_proxies_only(
    client, district, settings
):
    """A client cannot dodge the limit by sending its own X-Forwarded-For."""
    settings.PUBLIC_REPORT_RATE = "1/h"
    url = reverse("ncii_cases:public_report", args=[district.slug])
    with records(queries=19):
        assert client.post(url, public_answers(), HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 302
    with records(queries=3):
        response = client.post(url, public_answers(), HTTP_X_FORWARDED_FOR="2.2.2.2")
    assert response.status_code == 429


def test_a_reporters_message_sent_twice_is_kept_once(client, district):
    report = file_public(district)
    with records(queries=8):
        client.post(
            reverse("ncii_cases:public_follow"), {"code": report.code, "passphrase": PASSPHRASE}
        )
    form = client.get(reverse("ncii_cases:public_follow_status")).context["form"]
    data = {"reply-body": "Hello", "reply-submission_token": str(form.initial["submission_token"])}
    with records(queries=15):
        client.post(reverse("ncii_cases:public_follow_status"), data)
    with records(queries=2):
        client.post(reverse("ncii_cases:public_follow_status"), data)
    assert report.messages.count() == 1


def test_the_public_report_form_sent_twice_files_one_report(client, district):
    url = reverse("ncii_cases:public_report", args=[district.slug])
    token = str(client.get(url).context["form"].initial["submission_token"])
    with records(queries=19):
        client.post(url, public_answers(submission_token=token))
    with records(queries=2):
        client.post(url, public_answers(submission_token=token))
    assert IncomingReport.objects.count() == 1


@pytest.mark.parametrize(
    "text",
    [
        PASTED_IMAGE,
        "DATA:IMAGE/JPEG;BASE64,/9j/4AAQSkZJRgABAQ",
        "data: image/webp ; base64 , UklGR",
        "data:application/octet-stream,abc",
        "R0lGODlh" + "AQABAIAAAP" * 20,
    ],
)
def test_pasted_images_are_refused_in_every_spelling(text):
    from ncii_cases.forms_reports import refuse_pasted_images

    with pytest.raises(ValidationError) as refused:
        refuse_pasted_images(f"Look: {text}")
    assert refused.value.code == "image_refused"


@pytest.mark.parametrize(
    "text",
    [
        "It was posted at https://www.example.com/p/Cx1yZ2AbCdE/?igsh=abc123 on Friday.",
        "The data: the student said three people saw it, in room 204.",
        "A long account " * 200,
    ],
)
def test_ordinary_words_and_links_are_not_taken_for_images(text):
    from ncii_cases.forms_reports import refuse_pasted_images

    refuse_pasted_images(text)
