"""Every clock, asked everywhere it is shown, agrees: the queue (its overdue panel and stored
next due time), the takedown board, the case page, analytics, the PDF summary and the clock's
own ``is_overdue`` (what reminders ask) — across statuses and one second before, at, and one
second after the due instant (overdue is inclusive: from the due instant on)."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.core import mail
from django.urls import reverse

from ncii_cases import choices as c
from ncii_cases import clocks
from ncii_cases.events import EventType
from ncii_cases.models import Case, CaseEvent, CaseMeasure, TakedownRequest
from ncii_cases.next_due import case_next_due_refresh
from ncii_cases.selectors.analytics import district_analytics_for_user
from ncii_cases.selectors.queue import case_queue
from ncii_cases.tasks import deadlines_remind
from reporting.summary import case_summary_for_user
from tests.access.helpers import login_verified
from tests.factories import CasePartyFactory
from tests.factories_records import (
    CaseMeasureFactory,
    DeterminationFactory,
    ExternalReportFactory,
    TakedownRequestFactory,
)
from tests.factories_workflow import measure, platform

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
T0 = dt.datetime(2026, 11, 10, 9, 0, tzinfo=CHICAGO)  # a Tuesday, no clock change near
DUE = T0 + dt.timedelta(hours=48)
OFFSETS = {"due-1s": -1, "due": 0, "due+1s": 1}
OVERDUE_OUTCOME = "Not removed, past 48 hours (overdue)"

# (kind, status, whether its clock is open)
CLOCK_STATES = [
    ("takedown", "submitted", True),
    ("takedown", "removed", False),
    ("takedown", "refused", False),
    ("takedown", "reappeared", False),
    ("takedown", "waived", False),
    ("takedown", "to_do", False),
    ("takedown", "uncovered", False),
    ("report", "pending", True),
    ("report", "made", False),
    ("report", "not_required", False),
    ("stage", "investigation", True),
    ("stage", "process_a", False),
    ("stage", "closed", False),
]


@pytest.fixture
def frozen(monkeypatch):
    """Sets the instant every screen, document and query compares clocks with."""

    def freeze(moment):
        monkeypatch.setattr(clocks, "now", lambda: moment)

    return freeze


def _stage_only(case, stage, due):
    Case.objects.filter(pk=case.pk).update(
        stage=stage, stage_due_at=due, stage_entered_at=T0 - dt.timedelta(days=1)
    )
    case_next_due_refresh(case.pk)


def build(case, kind, status):
    """``case`` with exactly one clock in play (the others have none), due at DUE when open;
    returns the row that carries the clock."""
    if kind == "stage":
        stage = {"investigation": c.Stage.INVESTIGATION, "process_a": c.Stage.PROCESS_A}.get(
            status, c.Stage.CLOSED
        )
        _stage_only(case, stage, DUE)
        return Case.objects.get(pk=case.pk)
    _stage_only(case, c.Stage.PROCESS_A, None)
    if kind == "takedown":
        covered = status != "uncovered"
        row = TakedownRequestFactory(
            case=case,
            platform=platform("snapchat"),
            location="@account",
            route=TakedownRequest.Route.PLATFORM,
            status="to_do" if status == "to_do" else "submitted",
            covered_by_48h_rule=covered,
            submitted_at=None if status == "to_do" else T0,
            due_at=DUE if covered and status != "to_do" else None,
        )
        if status in ("removed", "refused", "reappeared", "waived"):
            row.status = status
            stopped = status in ("removed", "waived")
            row.resolved_at = T0 + dt.timedelta(hours=5) if stopped else None
            row.waiver_reason = "The account was deleted." if status == "waived" else ""
            row.save()
        return row
    row = ExternalReportFactory(
        case=case,
        agency="State child abuse hotline",
        agency_kind="child_protection",
        triggered_at=T0,
        due_at=DUE,
        status=status,
        reported_at=T0 + dt.timedelta(hours=2) if status == "made" else None,
    )
    return row


def clock_of(kind, row):
    return row.stage_clock if kind == "stage" else row.clock


@pytest.mark.parametrize("offset", OFFSETS.values(), ids=OFFSETS.keys())
@pytest.mark.parametrize(("kind", "status", "is_open"), CLOCK_STATES)
def test_every_presentation_agrees_on_each_clock_at_its_due_instant(
    kind, status, is_open, offset, case, coordinator, client, frozen
):
    # Given one clock in the state, and the present one second before, at, or after its due
    row = build(case, kind, status)
    now = DUE + dt.timedelta(seconds=offset)
    frozen(now)
    overdue = is_open and offset >= 0
    running = is_open and offset < 0

    # The clock itself (what reminders ask) and its queryset face
    clock = clock_of(kind, row)
    assert (clock.open, clock.is_overdue(now), clock.is_running(now)) == (
        is_open,
        overdue,
        running,
    )
    model = Case if kind == "stage" else type(row)
    assert model.objects.overdue(now).filter(pk=row.pk).exists() is overdue
    assert model.objects.running(now).filter(pk=row.pk).exists() is running
    if kind != "stage":
        assert row.is_overdue(now) is overdue

    # The queue: the stored next due time, the overdue flag and panel, the overdue filter
    queue = case_queue(user=coordinator, now=now)
    listed = {x.pk: x for x in queue.cases}
    assert listed[case.pk].next_due_at == (DUE if is_open else None)
    assert listed[case.pk].is_overdue is overdue
    assert (case.pk in [x.pk for x in queue.overdue]) is (overdue and status != "closed")
    assert (case.pk in [x.pk for x in queue.due_soon]) is running
    filtered = case_queue(user=coordinator, params={"overdue": "true"}, now=now)
    assert (case.pk in [x.pk for x in filtered.cases]) is overdue

    login_verified(client, coordinator)
    home = client.get(reverse("ncii_cases:home")).content.decode()
    overdue_panel = home.split("<h3>Overdue</h3>")[1].split("</div>")[0]
    assert (case.reference in overdue_panel) is (overdue and status != "closed")

    # The case page's open deadlines, and the takedown board
    page = client.get(case.get_absolute_url()).content.decode()
    deadlines = page.split('id="deadlines-h"')[1].split("</section>")[0]
    assert ('class="clock overdue"' in deadlines) is overdue
    assert ('class="clock"' in deadlines) is running
    board = client.get(reverse("ncii_cases:case_takedowns", args=[case.pk])).content.decode()
    if kind == "takedown":
        assert ('class="clock overdue"' in board) is overdue
        assert ('class="clock"' in board) is running

    # Analytics (the 48-hour duty) and the PDF summary
    analytics = district_analytics_for_user(user=coordinator)
    counts = dict(analytics.takedown_outcomes)
    if kind == "takedown" and status != "uncovered" and status != "to_do":
        assert counts[OVERDUE_OUTCOME] == int(overdue)
        assert counts["Not removed, within 48 hours"] == int(running)
    summary = case_summary_for_user(user=coordinator, pk=case.pk, profile="internal", now=now)
    texts = [text for _, text in summary.deadlines]
    assert any("Overdue by" in t for t in texts) is overdue
    assert any(" left" in t for t in texts) is running
    if kind == "takedown":
        assert ("Overdue by" in summary.takedowns[0].clock) is overdue
    if kind == "report":
        assert ("Overdue by" in summary.reports[0].clock) is overdue

    # The reminder task: its overdue reminder from the due instant on (one second before, the
    # "due soon" one of the clock's lead instead), and none for a clock that is not open
    sent = deadlines_remind()
    reminded = CaseEvent.objects.filter(case=case, event_type=EventType.REMINDER_SENT)
    assert reminded.filter(detail__when="overdue").exists() is overdue
    assert reminded.filter(detail__when="before").exists() is running
    assert sum(sent.values()) == int(is_open) == len(mail.outbox)

    # One wording everywhere: at the due instant it is "Overdue by under 1 min"
    if is_open:
        words = {-1: "under 1 min left", 0: "Overdue by under 1 min", 1: "Overdue by under 1 min"}
        assert words[offset] in deadlines
        assert any(words[offset] in t for t in texts)
        assert words[offset] in mail.outbox[0].body


def test_the_wording_of_time_left_is_one_helper():
    due = dt.datetime(2026, 11, 1, 22, 0, tzinfo=dt.UTC)
    assert clocks.time_left(due, due - dt.timedelta(hours=3, minutes=20)) == "3 h left"
    assert clocks.time_left(due, due - dt.timedelta(minutes=5)) == "5 min left"
    assert clocks.time_left(due, due - dt.timedelta(days=4)) == "4 days left"
    assert clocks.time_left(due, due) == "Overdue by under 1 min"
    assert clocks.time_left(due, due + dt.timedelta(hours=2)) == "Overdue by 2 h"
    text = clocks.due_text(due, now_=due - dt.timedelta(hours=3), zone=CHICAGO)
    assert str(text) == "Sun Nov 1, 4:00 PM CST \u2014 3 h left"


def test_a_measure_review_is_due_at_the_end_of_its_school_day(case, counselor, depicted_minor):
    review_on = dt.date(2026, 11, 12)
    row = CaseMeasureFactory(
        case=case,
        party=depicted_minor,
        kind=CaseMeasure.Kind.SUPPORTIVE,
        measure=measure("counseling"),
        review_on=review_on,
    )
    due = dt.datetime(2026, 11, 12, 17, 0, tzinfo=CHICAGO)
    assert row.review_clock.due_at == due
    for offset, overdue in ((-1, False), (0, True), (1, True)):
        at = due + dt.timedelta(seconds=offset)
        assert row.review_clock.is_overdue(at) is overdue
        assert CaseMeasure.objects.overdue(at).filter(pk=row.pk).exists() is overdue
        assert CaseMeasure.objects.running(at).filter(pk=row.pk).exists() is not overdue
    row.status = "ended"
    row.save()
    assert not CaseMeasure.objects.overdue(due + dt.timedelta(days=9)).exists()


def test_reminder_pieces_lead_and_overdue(case):
    row = build(case, "takedown", "submitted")
    lead = clocks.reminder_lead("takedown")
    due_soon = TakedownRequest.objects.due_for_lead_reminder
    assert not due_soon(DUE - lead - dt.timedelta(seconds=1)).filter(pk=row.pk).exists()
    assert due_soon(DUE - lead).filter(pk=row.pk).exists()
    assert not due_soon(DUE).exists()  # overdue instead
    assert TakedownRequest.objects.overdue(DUE).filter(pk=row.pk).exists()


def test_an_appeal_window_counts_the_districts_school_days(case, coordinator):

    respondent = CasePartyFactory(case=case, role=c.PartyRole.RESPONDENT)
    case.district.appeal_window_school_days = 3
    case.district.save()
    # Decided on a Thursday: Friday, Monday, Tuesday; closes Tuesday at the end of the day
    decided = dt.datetime(2026, 11, 5, 10, 0, tzinfo=CHICAGO)
    determination = DeterminationFactory(
        case=Case.objects.get(pk=case.pk),
        respondent=respondent,
        finding="responsible",
        standard_of_evidence="preponderance",
        rationale="The record shows it.",
        decided_by=coordinator,
        decided_at=decided,
    )
    closes = dt.datetime(2026, 11, 10, 17, 0, tzinfo=CHICAGO)
    assert determination.appeal_clock.due_at == closes
    assert not determination.appeal_clock.is_overdue(closes - dt.timedelta(seconds=1))
    assert determination.appeal_clock.is_overdue(closes)


def test_templates_of_clocks_never_compare_a_status_string():
    from pathlib import Path

    shown = [
        *Path("templates/ncii_cases").rglob("*.html"),
        Path("templates/reporting/case_summary_pdf.html"),
    ]
    for path in shown:
        text = path.read_text()
        assert not re.search(r"\.status\s*[!=]=", text), path
        assert not re.search(r'stage\s*[!=]=\s*"closed"', text), path


def test_stage_label_is_the_display_of_every_stage_in_each_language():
    """``choices.stage_label`` (a table per language, for batches of reminders) says what
    ``Case.get_stage_display`` says."""
    from django.utils import translation

    from ncii_cases import choices
    from ncii_cases.choices import stage_label
    from ncii_cases.models import Case

    for language in ("en", "es"):
        with translation.override(language):
            for value, _ in choices.Stage.choices:
                assert stage_label(value) == Case(stage=value).get_stage_display()
            assert stage_label("not-a-stage") == "not-a-stage"
