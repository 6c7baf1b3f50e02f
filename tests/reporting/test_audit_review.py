"""The audit-trail review (reporting): field-by-field changes from the history tables beside
the timeline and the access log, filtered, paginated with a constant number of queries,
exported as CSV (logged), with the latest verification of the hash chains; the auditor never
sees case content."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.audit import access_event_record, audit_verification_run, case_event_record
from ncii_cases.models import AccessEvent, AuditVerification, Case
from ncii_cases.workflow import case_transition
from reporting.views import csv_cell
from tests.access.helpers import login_verified
from tests.audit_helpers import as_owner
from tests.factories import CaseFactory, CasePartyFactory
from tests.factories_records import HarmAssessmentFactory
from tests.recorded import records

NARRATIVE = "NARRATIVE-SENTINEL the images were posted on Tuesday"
PARTY_NAME = "PARTYNAMESENTINEL"
PARTY_NOTE = "PARTYNOTESENTINEL"
STAGE_DIFF = "Stage: Harm assessment → Interim actions"


def as_user(obj, user):
    obj._history_user = user
    return obj


@pytest.fixture
def reviewed_case(case, coordinator):
    """The personas' case with a party, a narrative edit and a real workflow transition from
    harm assessment to interim actions, each leaving history rows."""
    CasePartyFactory(
        case=case, role=c.PartyRole.DEPICTED, person__last_name=PARTY_NAME, notes=PARTY_NOTE
    )
    case.narrative = NARRATIVE
    as_user(case, coordinator).save()
    case.stage = c.Stage.HARM_ASSESSMENT
    as_user(case, coordinator).save()
    HarmAssessmentFactory(case=case, completed_at=timezone.now(), level="high")
    return case_transition(actor=coordinator, case=case, action="complete_harm_assessment")


def review(client, user, url, **params):
    login_verified(client, user)
    response = client.get(url, params)
    return response, response.content.decode()


def export(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200 and response.streaming
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def case_url(case, name="reporting:case_audit"):
    return reverse(name, args=[case.pk])


# --- The diff -------------------------------------------------------------------------------


def test_a_transition_shows_its_changed_fields_as_from_and_to(client, reviewed_case, auditor):
    response, body = review(client, auditor, case_url(reviewed_case))
    assert response.status_code == 200
    assert STAGE_DIFF in body
    # The transition's other changed fields are listed too, by their verbose names.
    assert "Stage entered at:" in body


def test_a_creation_shows_initial_values_and_a_deletion_is_marked(
    client, reviewed_case, coordinator
):
    party = CasePartyFactory(case=reviewed_case, role=c.PartyRole.WITNESS)
    as_user(party, coordinator).delete()
    _, body = review(client, coordinator, case_url(reviewed_case))
    assert "Role: Witness" in body  # the created party's initial role, by its label
    assert "deleted</strong>" in body and "Record deleted." in body


def test_the_auditor_never_sees_the_narrative_nor_names_but_sees_the_stage_diff(
    client, reviewed_case, auditor
):
    response, body = review(client, auditor, case_url(reviewed_case))
    assert STAGE_DIFF in body
    assert "Narrative: changed (content not shown)" in body
    assert "Title: set (content not shown)" in body
    for secret in (NARRATIVE, "NARRATIVE-SENTINEL", PARTY_NAME, PARTY_NOTE, reviewed_case.title):
        assert secret not in body
    rows = export(client, case_url(reviewed_case, "reporting:case_audit_export"))
    text = "\n".join(",".join(r) for r in rows)
    assert STAGE_DIFF in text and "Narrative: changed (content not shown)" in text
    for secret in ("NARRATIVE-SENTINEL", PARTY_NAME, PARTY_NOTE, reviewed_case.title):
        assert secret not in text


def test_the_district_wide_review_masks_content_for_the_auditor_too(client, reviewed_case, auditor):
    _, body = review(client, auditor, reverse("reporting:audit_review"))
    assert STAGE_DIFF in body and reviewed_case.reference in body
    assert "NARRATIVE-SENTINEL" not in body and PARTY_NAME not in body


def test_the_coordinator_sees_the_narrative_change(client, reviewed_case, coordinator):
    _, body = review(client, coordinator, case_url(reviewed_case))
    assert f"Narrative: Images of a student were shared in a group chat. → {NARRATIVE}" in body
    assert STAGE_DIFF in body
    rows = export(client, case_url(reviewed_case, "reporting:case_audit_export"))
    assert any(NARRATIVE in cell for row in rows for cell in row)


# --- Filters --------------------------------------------------------------------------------


def sections(response):
    r = response.context["review"]
    return r.changes, r.events, r.accesses


def test_the_person_filter_keeps_that_persons_rows(
    client, reviewed_case, coordinator, investigator, auditor
):
    case_event_record(case=reviewed_case, actor=investigator, event_type="note")
    # and a change and a visit of the investigator's, so that each section has a row to keep
    reviewed_case.title = "Shared images in a group chat (renamed)"
    as_user(reviewed_case, investigator).save()
    access_event_record(
        user=investigator, action="case_detail", path="/cases/", allowed=True, case=reviewed_case
    )
    response, _ = review(client, auditor, reverse("reporting:audit_review"))
    changes, events, _ = sections(response)
    response, _ = review(client, auditor, reverse("reporting:audit_review"), actor=investigator.pk)
    mine_changes, mine_events, mine_accesses = sections(response)
    assert 0 < len(mine_events) < len(events)
    assert {e.actor for e in mine_events} == {investigator}
    assert 0 < len(mine_changes) < len(changes)
    assert mine_accesses  # each check below must have rows to hold for
    assert all(row.who == "investigator" for row in mine_changes)
    assert all(a.user_id == investigator.pk for a in mine_accesses)


def test_the_date_filter_keeps_rows_of_the_range(client, reviewed_case, auditor):
    # Given one change dated three days ago (backdated as the owner: the application role may
    # not rewrite history rows)
    old = Case.history.filter(id=reviewed_case.pk).order_by("history_id").first()
    three_days_ago = timezone.now() - dt.timedelta(days=3)
    with as_owner():
        Case.history.filter(history_id=old.history_id).update(history_date=three_days_ago)
    day = timezone.localdate(three_days_ago)
    url = reverse("reporting:audit_review")
    response, _ = review(client, auditor, url, date_from=day, date_to=day)
    changes, events, accesses = sections(response)
    assert [row.when for row in changes] == [three_days_ago]
    assert len(events) == 0 and len(accesses) == 0
    response, _ = review(client, auditor, url, date_from=day + dt.timedelta(days=1))
    assert len(sections(response)[0]) == len(sections(review(client, auditor, url)[0])[0]) - 1


def test_the_action_filter_keeps_one_kind_of_row(client, reviewed_case, auditor):
    url = case_url(reviewed_case)
    response, _ = review(client, auditor, url, action="event:transition")
    changes, events, accesses = sections(response)
    assert len(changes) == 0 and len(accesses) == 0
    assert [e.event_type for e in events] == ["transition"]
    response, _ = review(client, auditor, url, action="change:+")
    changes, events, _ = sections(response)
    assert len(changes) > 0 and all(row.kind == "created" for row in changes)
    assert len(events) == 0
    response, _ = review(client, auditor, url, action="access:case_audit")
    _, _, accesses = sections(response)
    assert len(accesses) > 0 and all(a.action == "case_audit" for a in accesses)


def test_the_case_filter_keeps_one_case(client, reviewed_case, other_school_case, auditor):
    case_event_record(case=other_school_case, actor=None, event_type="note")
    url = reverse("reporting:audit_review")
    response, _ = review(client, auditor, url)
    assert {e.case_id for e in sections(response)[1]} == {reviewed_case.pk, other_school_case.pk}
    response, body = review(client, auditor, url, case=other_school_case.reference)
    changes, events, _ = sections(response)
    assert {e.case_id for e in events} == {other_school_case.pk}
    assert {row.case_id for row in changes} == {other_school_case.pk}
    assert STAGE_DIFF not in body


def test_invalid_dates_give_a_form_error_not_a_500(client, reviewed_case, auditor):
    url = reverse("reporting:audit_review")
    response, body = review(client, auditor, url, date_from="2026-13-45")
    assert response.status_code == 200 and response.context["review"] is None
    assert "Enter a valid date." in body
    response, body = review(client, auditor, url, date_from="2026-05-10", date_to="2026-05-01")
    assert "The end date must be on or after the start date." in body
    response = client.get(reverse("reporting:audit_export"), {"date_from": "nonsense"})
    assert response.status_code == 400 and b"valid date" in response.content


def test_dates_at_the_ends_of_the_calendar_give_a_form_error_not_a_500(
    client, reviewed_case, auditor
):
    pages = (
        reverse("reporting:audit_review"),
        reverse("reporting:case_audit", args=[reviewed_case.pk]),
    )
    for url in pages:
        for params in ({"date_to": "9999-12-31"}, {"date_from": "0001-01-01"}):
            response, body = review(client, auditor, url, **params)
            assert response.status_code == 200 and response.context["review"] is None
            assert "Enter a date from January 1, 2000" in body
    response = client.get(reverse("reporting:audit_export"), {"date_to": "9999-12-31"})
    assert response.status_code == 400 and b"Enter a date from" in response.content


# --- Another district -----------------------------------------------------------------------


def test_another_districts_case_or_person_gives_nothing(
    client, reviewed_case, foreign_case, outsider, auditor, investigator
):
    login_verified(client, auditor)
    assert client.get(case_url(foreign_case)).status_code == 404
    assert client.get(case_url(foreign_case, "reporting:case_audit_export")).status_code == 404
    url = reverse("reporting:audit_review")
    response, body = review(client, auditor, url, case=foreign_case.reference)
    assert response.context["review"] is None
    assert "No case of your district has this reference." in body
    response, body = review(client, auditor, url, actor=outsider.pk)
    assert response.context["review"] is None and "Select a valid choice" in body
    # The person select offers the district's people only.
    assert f'value="{outsider.pk}"' not in body
    # Other personas of the district get nothing at all.
    login_verified(client, investigator)
    assert client.get(url).status_code == 404
    assert client.get(case_url(reviewed_case)).status_code == 404


def test_the_auditor_sees_no_typed_text_of_a_logged_address(
    client, reviewed_case, auditor, coordinator, investigator
):
    """A search's terms and any other typed value in a logged address (a form prefilled from
    the address, a name put in the query) stay hidden; metadata parameters stay shown."""
    for path in (
        "/?q=Quennell+Abernathy&stage=intake",
        f"/cases/{reviewed_case.pk}/parties/add/?first_name=Quennell",
        "/?Quennell%20Abernathy",
    ):
        access_event_record(
            user=investigator,
            action="case_detail",
            path=path,
            allowed=True,
            case=reviewed_case,
            district_id=reviewed_case.district_id,
        )
    response, body = review(client, auditor, case_url(reviewed_case))
    assert "Quennell" not in body and "Abernathy" not in body
    assert "stage=intake&amp;(other parameters not shown)" in body
    rows = export(client, case_url(reviewed_case, "reporting:case_audit_export"))
    text = "\n".join(",".join(r) for r in rows)
    assert "Quennell" not in text and "stage=intake" in text
    # The coordinator reads the content: the addresses as they were.
    _, body = review(client, coordinator, case_url(reviewed_case))
    assert "q=Quennell+Abernathy" in body and "first_name=Quennell" in body


# --- Export ---------------------------------------------------------------------------------


def test_the_export_is_logged_with_its_filter(client, reviewed_case, auditor):
    login_verified(client, auditor)
    url = case_url(reviewed_case, "reporting:case_audit_export")
    rows = export(client, url, action="event:transition")
    assert rows[0] == ["section", "when", "who", "case", "what", "detail"]
    assert [r[0] for r in rows[1:]] == ["timeline"]
    entry = AccessEvent.objects.order_by("pk").last()
    assert (entry.action, entry.allowed, entry.case, entry.user) == (
        "audit_export",
        True,
        reviewed_case,
        auditor,
    )
    assert "action=event%3Atransition" in entry.path


def test_the_export_guards_against_formulas(client, reviewed_case, auditor):
    Case.objects.filter(pk=reviewed_case.pk).update(reference="=HYPERLINK(1)")
    login_verified(client, auditor)
    rows = export(client, reverse("reporting:audit_export"), action="event:transition")
    assert rows[1][3] == "'=HYPERLINK(1)"
    assert [csv_cell(v) for v in ("+1", "-1", "@a", "\tx", "\rx", "a=b")] == [
        "'+1",
        "'-1",
        "'@a",
        "'\tx",
        "'\rx",
        "a=b",
    ]


# --- Verification ---------------------------------------------------------------------------


def test_the_review_shows_the_latest_verification(client, reviewed_case, auditor):
    _, body = review(client, auditor, reverse("reporting:audit_review"))
    assert "has not been checked yet" in body
    call_command("verify_audit", stdout=io.StringIO())
    run = AuditVerification.objects.get()
    # The case's timeline rows are in its district's chain (one chain per district).
    timeline = f"case_event.d{reviewed_case.district_id}"
    assert run.ok and run.source == "command" and run.rows[timeline] >= 1
    _, body = review(client, auditor, reverse("reporting:audit_review"))
    assert "Last check:" in body and "verify_audit command" in body and "Intact" in body


def test_verify_now_records_a_new_run(
    client, reviewed_case, auditor, django_capture_on_commit_callbacks
):
    call_command("verify_audit", stdout=io.StringIO())
    login_verified(client, auditor)
    with django_capture_on_commit_callbacks(execute=True), records(queries=151):
        response = client.post(
            reverse("reporting:audit_verify_now"), {"next": case_url(reviewed_case)}
        )
    assert response.status_code == 302 and response["Location"] == case_url(reviewed_case)
    latest = AuditVerification.objects.order_by("-pk").first()
    assert AuditVerification.objects.count() == 2
    assert (latest.source, latest.requested_by, latest.ok) == ("request", auditor, True)
    body = client.get(case_url(reviewed_case)).content.decode()
    assert "asked by auditor" in body


def test_a_run_asked_for_in_another_district_does_not_name_who_asked(
    client, reviewed_case, auditor, outsider
):
    """The verification covers every district; who asked for it is named only to their own
    district."""
    outsider.username = "faraway-auditor"
    outsider.save()
    # (through the service: a stored run changed afterwards would not verify and not be shown)
    audit_verification_run(source=AuditVerification.Source.REQUEST, requested_by=outsider)
    _, body = review(client, auditor, reverse("reporting:audit_review"))
    assert "Last check:" in body and "faraway-auditor" not in body


def test_verify_now_is_refused_to_others(client, investigator):
    login_verified(client, investigator)
    with records(queries=9):
        assert client.post(reverse("reporting:audit_verify_now")).status_code == 404
    assert AuditVerification.objects.count() == 0


def test_the_nav_links_the_review_for_those_who_audit(client, auditor, investigator):
    login_verified(client, auditor)
    link = f'href="{reverse("reporting:audit_review")}"'
    assert link in client.get(reverse("ncii_cases:home")).content.decode()
    login_verified(client, investigator)
    assert link not in client.get(reverse("ncii_cases:home")).content.decode()


# --- Pagination and queries -----------------------------------------------------------------


def grow(case, coordinator, party, schools, n):
    """Adds n changes to the case (stage and school) and to its party, n timeline rows and n
    access-log rows."""
    stages = [c.Stage.INVESTIGATION, c.Stage.INTERIM_ACTIONS]
    for i in range(n):
        case.stage = stages[i % 2]
        case.school = schools[i % 2]
        as_user(case, coordinator).save()
        party.is_minor = not party.is_minor
        as_user(party, coordinator).save()
        case_event_record(case=case, actor=coordinator, event_type="note")
        access_event_record(
            user=coordinator,
            action="case_detail",
            path=f"/cases/{case.pk}/",
            allowed=True,
            case=case,
        )


def queries_of(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("name", ["reporting:case_audit", "reporting:audit_review"])
def test_the_review_reads_a_constant_number_of_queries(
    client, school, other_school, coordinator, name
):
    # The queries depend on which kinds of record a page shows (two per model), never on how
    # many rows there are: both pages below show changes of cases and parties, and schools.
    case = CaseFactory(school=school)
    party = CasePartyFactory(case=case)
    schools = [other_school, school]
    url = case_url(case, name) if name == "reporting:case_audit" else reverse(name)
    login_verified(client, coordinator)
    # N: every section fits on one page, partly filled
    grow(case, coordinator, party, schools, 20)
    small, response = queries_of(client, url)
    changes, events, accesses = sections(response)
    assert 40 < len(changes) < 100 and not changes.has_next()
    assert 20 <= len(events) < 100 and 20 <= len(accesses) < 100
    assert "School: " in response.content.decode()
    # 3N: full pages of 100 rows, and more pages behind them
    grow(case, coordinator, party, schools, 40)
    large, response = queries_of(client, url)
    changes, events, accesses = sections(response)
    assert len(changes) == 100 and changes.has_next()
    assert 60 <= len(events) <= 100 and 60 <= len(accesses) <= 100
    assert "Next page" in response.content.decode()
    assert large == small
    # A later page costs the same.
    later, response = queries_of(client, url + "?changes_page=2&events_page=2")
    changes = sections(response)[0]
    assert changes.number == 2 and len(changes) > 0
    assert "Previous page" in response.content.decode()
    assert later == small


# --- The allow-list -------------------------------------------------------------------------


def test_every_case_data_model_has_an_allow_list_of_existing_metadata_fields():
    from django.db import models

    from ncii_cases.selectors.audit import CASE_MODELS, METADATA_FIELDS

    assert set(METADATA_FIELDS) == set(CASE_MODELS)
    for key, (model, _) in CASE_MODELS.items():
        assert hasattr(model, "history"), key
        for name in METADATA_FIELDS[key]:
            f = model._meta.get_field(name)
            # Free text is content: an allow-listed text field must be a choice or identifier.
            assert not isinstance(f, models.TextField), (key, name)
            if isinstance(f, models.CharField) and not f.choices:
                assert name == "reference", (key, name)


def test_a_field_missing_from_the_allow_list_is_hidden_from_the_auditor(
    client, reviewed_case, auditor, monkeypatch
):
    from ncii_cases.selectors import audit as selectors_audit

    # Stage taken off the list behaves like a new content field: no values shown.
    allowed = {**selectors_audit.METADATA_FIELDS}
    allowed["case"] = allowed["case"] - {"stage"}
    monkeypatch.setattr(selectors_audit, "METADATA_FIELDS", allowed)
    _, body = review(client, auditor, case_url(reviewed_case))
    assert STAGE_DIFF not in body and "Stage: changed (content not shown)" in body


def test_the_nightly_verification_is_scheduled_and_records_a_run(db):
    from django.conf import settings

    from ncii_cases.tasks import audit_verify_run

    entry = settings.CELERY_BEAT_SCHEDULE["audit-verify"]
    assert entry["task"] == audit_verify_run.name
    result = audit_verify_run.delay()
    run = AuditVerification.objects.get()
    assert result.get() == {"verification": run.pk, "ok": True, "problems": 0}
    assert (run.source, run.requested_by) == ("schedule", None)


def test_verify_now_pressed_twice_starts_one_check(
    client, reviewed_case, auditor, coordinator, django_capture_on_commit_callbacks
):
    login_verified(client, auditor)
    with django_capture_on_commit_callbacks(execute=True), records(queries=154):
        client.post(reverse("reporting:audit_verify_now"))
    assert AuditVerification.objects.count() == 1
    # Again, and from another auditor of the district: a check ran a moment ago.
    client.logout()
    login_verified(client, coordinator)
    with django_capture_on_commit_callbacks(execute=True), records(queries=29):
        response = client.post(reverse("reporting:audit_verify_now"), follow=True)
    assert response.status_code == 200
    assert "A check was asked for a moment ago" in response.content.decode()
    assert AuditVerification.objects.count() == 1


def test_verify_now_with_the_broker_down_says_so_and_may_be_pressed_again(
    client, reviewed_case, auditor, broker_down, django_capture_on_commit_callbacks
):
    login_verified(client, auditor)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True), records(queries=29):
            response = client.post(reverse("reporting:audit_verify_now"), follow=True)
        assert response.status_code == 200
        assert "The background service is unavailable" in response.content.decode()
    assert AuditVerification.objects.count() == 0


# --- The export reads its changes by keyset, chunk after chunk --------------------------------


def _changes(rows):
    return [row for row in rows if row[0] == "change"]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7])
def test_the_export_in_small_chunks_gives_every_change_once_in_order(
    reviewed_case, coordinator, school, chunk
):
    from ncii_cases.selectors.audit import AuditFilter, audit_export_rows

    # More history in several tables of the same instant's order: parties, the case itself.
    for n in range(4):
        CasePartyFactory(case=reviewed_case, role=c.PartyRole.WITNESS, notes=f"w{n}")
        reviewed_case.title = f"Title {n}"
        as_user(reviewed_case, coordinator).save()
    everything = _changes(
        audit_export_rows(user=coordinator, flt=AuditFilter(), case=reviewed_case, chunk=10_000)
    )
    chunked = _changes(
        audit_export_rows(user=coordinator, flt=AuditFilter(), case=reviewed_case, chunk=chunk)
    )
    assert len(everything) >= 12
    assert chunked == everything


def test_export_chunks_never_skip_rows_by_offset_and_ask_few_queries(reviewed_case, coordinator):
    from ncii_cases.selectors.audit import AuditFilter, audit_export_rows

    for n in range(6):
        reviewed_case.title = f"Title {n}"
        as_user(reviewed_case, coordinator).save()
    rows = audit_export_rows(user=coordinator, flt=AuditFilter(), case=reviewed_case, chunk=2)
    counts = []
    with CaptureQueriesContext(connection) as queries:
        before = 0
        for row in rows:
            if row[0] != "change":
                break
            counts.append(len(queries) - before)
            before = len(queries)
    per_chunk = [n for n in counts if n]
    assert len(per_chunk) >= 4
    # The union, the history rows of the chunk and their labels: a handful, however deep.
    assert max(per_chunk) <= 6
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)


@pytest.mark.django_db
def test_the_person_filter_names_each_account_as_its_field_does(district, coordinator):
    # The options are read as values, without the accounts: each label is still the field's
    # own ("username (Full Name)", the username alone without a name), and a choice is valid
    from ncii_cases.models import User
    from reporting.forms import AuditFilterForm
    from tests.factories import UserFactory

    UserFactory(district=district, first_name="", last_name="", username="no-name")
    form = AuditFilterForm({}, user=coordinator)
    field = form.fields["actor"]
    options = {str(pk): label for pk, label in field.choices if pk}
    people = {str(u.pk): field.label_from_instance(u) for u in field.queryset}
    assert options == people and "no-name" in options.values()
    chosen = User.objects.get(username="no-name")
    assert AuditFilterForm({"actor": chosen.pk}, user=coordinator).is_valid()
