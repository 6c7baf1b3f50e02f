"""Deadline reminders: the beat task emails each clock's reminder before its due time (at the
clock's lead) and once it is overdue, to the item's owner, the case's lead and investigators
and the district's coordinators, once per clock, due time and "when" however often it runs;
emails carry the reference and the due time in the district's zone, never names or
narrative."""

import datetime as dt
import threading
import zoneinfo

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases import clocks
from ncii_cases.audit import audit_verify, case_event_record
from ncii_cases.events import EventType
from ncii_cases.models import (
    Case,
    CaseEvent,
    CaseMeasure,
    ExternalReport,
    PartyChoice,
    TakedownRequest,
    User,
)
from ncii_cases.services.cases import case_assign
from ncii_cases.services.deadlines import deadline_extend
from ncii_cases.services.measures import measure_add, measure_review
from ncii_cases.services.reminders import reminder_due_text
from ncii_cases.services.reports import external_reports_sync
from ncii_cases.services.takedowns import takedown_request_create, takedown_request_submit
from ncii_cases.tasks import deadlines_remind
from tests.factories_records import (
    CaseMeasureFactory,
    ExternalReportFactory,
    TakedownRequestFactory,
)
from tests.factories_workflow import TAKEDOWN_ELEMENTS, all_obligations, measure, platform


@pytest.fixture
def overdue_items(case, coordinator, investigator, counselor, depicted_minor):
    """One overdue item of each kind on ``case``: its stage, a takedown request, an external
    report and a supportive-measure review."""
    long_ago = timezone.now() - dt.timedelta(days=3)
    Case.objects.filter(pk=case.pk).update(
        stage=c.Stage.HARM_ASSESSMENT,
        stage_due_at=timezone.now() - dt.timedelta(hours=1),
        reported_at=long_ago,
    )
    case.refresh_from_db()
    takedown = takedown_request_create(
        actor=investigator, case=case, platform=platform("snapchat"), location="Group"
    )
    takedown_request_submit(
        **TAKEDOWN_ELEMENTS, actor=investigator, takedown=takedown, submitted_at=long_ago
    )
    all_obligations()
    external_reports_sync(actor=investigator, case=case)
    ExternalReport.objects.exclude(obligation__slug="cybertipline-report").update(
        status=ExternalReport.Status.MADE
    )
    support = measure_add(
        actor=counselor,
        case=case,
        party=depicted_minor,
        kind=CaseMeasure.Kind.SUPPORTIVE,
        measure=measure("counseling"),
        owner=counselor,
        review_on=timezone.localdate() - dt.timedelta(days=1),
    )
    return {"takedown": takedown, "measure": support}


def test_each_overdue_item_is_notified_once_across_repeated_runs(overdue_items, case):
    # When the reminder task runs twice
    first = deadlines_remind()
    second = deadlines_remind()
    # Then one notice per overdue item was sent, all in the first run
    assert first == {"stage": 1, "takedown": 1, "report": 1, "measure_review": 1}
    assert second == {"stage": 0, "takedown": 0, "report": 0, "measure_review": 0}
    assert len(mail.outbox) == 4
    assert all(case.reference in m.subject for m in mail.outbox)


def test_notices_go_to_the_item_owner_the_case_staff_and_the_coordinators(
    overdue_items, investigator, counselor, coordinator, case
):
    # (Before the lead reminders, a notice went to the item's owner alone, or else to the
    # case's staff; now the district's coordinators are always told as well.)
    deadlines_remind()
    assert len(mail.outbox) == 4
    by_subject = {m.subject: m for m in mail.outbox}
    review = next(m for s, m in by_subject.items() if "Measure review" in s)
    assert review.to == sorted([counselor.email, coordinator.email, investigator.email])
    stage = next(m for s, m in by_subject.items() if "Overdue: Harm assessment" in s)
    assert stage.to == sorted([coordinator.email, investigator.email])
    assert all(m.from_email == settings.DEFAULT_FROM_EMAIL for m in mail.outbox)


def test_notices_carry_no_narrative_nor_names(overdue_items, case, depicted_minor):
    deadlines_remind()
    assert len(mail.outbox) == 4
    for message in mail.outbox:
        text = message.subject + message.body
        assert case.narrative not in text and case.title not in text
        assert depicted_minor.person.last_name not in text


def test_items_not_yet_at_their_lead_are_not_notified(case, investigator):
    # (A stage due in 5 h was "not yet due" before the lead reminders; it is now within the
    # stage's 24-hour lead, so the stage here is due in 3 days.)
    takedown = takedown_request_create(
        actor=investigator, case=case, platform=platform("snapchat"), location="Group"
    )
    takedown_request_submit(**TAKEDOWN_ELEMENTS, actor=investigator, takedown=takedown)
    Case.objects.filter(pk=case.pk).update(stage_due_at=timezone.now() + dt.timedelta(days=3))
    assert deadlines_remind() == {"stage": 0, "takedown": 0, "report": 0, "measure_review": 0}
    assert mail.outbox == []
    assert not CaseEvent.objects.filter(event_type=EventType.REMINDER_SENT).exists()


def test_a_case_with_nobody_assigned_notifies_the_district_coordinators(school, coordinator):
    from tests.factories import CaseFactory

    lone = CaseFactory(school=school, stage_due_at=timezone.now() - dt.timedelta(hours=1))
    deadlines_remind()
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert lone.reference in mail.outbox[0].subject


def test_a_review_sets_the_next_date_and_rearms_the_reminder(overdue_items, counselor):
    deadlines_remind()
    mail.outbox.clear()
    reviewed = measure_review(
        actor=counselor,
        measure=overdue_items["measure"],
        next_review_on=timezone.localdate() - dt.timedelta(days=1),
        note="Still meeting weekly.",
    )
    assert reviewed.review_on == timezone.localdate() - dt.timedelta(days=1)
    assert deadlines_remind()["measure_review"] == 1


def test_a_closed_case_is_never_reminded(closed_case):
    Case.objects.filter(pk=closed_case.pk).update(
        stage_due_at=timezone.now() - dt.timedelta(days=1)
    )
    assert deadlines_remind()["stage"] == 0


def test_the_reminder_runs_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["deadlines-remind"]
    assert entry == {"task": "ncii_cases.tasks.deadlines_remind", "schedule": 300.0}


def test_given_a_send_that_fails_once_when_the_task_runs_again_then_each_notice_goes_once(
    overdue_items, monkeypatch
):
    # Given the mail server fails on the first attempt only
    from django.core.mail.backends.locmem import EmailBackend

    real_send_messages = EmailBackend.send_messages
    calls = {"n": 0}

    def flaky(self, messages):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("mail server unavailable")
        return real_send_messages(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    # When the task runs, then once more, then a third time
    first = deadlines_remind()
    second = deadlines_remind()
    third = deadlines_remind()
    # Then the failed notice was not lost: it went out on the second run, and every item
    # was notified exactly once in all
    assert sum(first.values()) == 3
    assert sum(second.values()) == 1
    assert sum(third.values()) == 0
    assert len(mail.outbox) == 4


def test_each_reminder_is_a_case_event_naming_who_was_told_about_which_clock(
    overdue_items, case, investigator, counselor, coordinator
):
    # When the reminder task runs
    deadlines_remind()
    # Then each notice sent is one event on the case's timeline, written through the audit
    # chain: which clock, which item, which due time, and who was emailed
    events = {
        e.detail["clock"]: e
        for e in CaseEvent.objects.filter(case=case, event_type=EventType.REMINDER_SENT)
    }
    assert sorted(events) == ["measure_review", "report", "stage", "takedown"]
    stage = events["stage"]
    assert stage.detail["item_id"] == case.pk and stage.detail["stage"] == c.Stage.HARM_ASSESSMENT
    assert stage.detail["when"] == "overdue"
    assert {r["id"] for r in stage.detail["recipients"]} == {investigator.pk, coordinator.pk}
    review = events["measure_review"]
    assert review.detail["item_id"] == overdue_items["measure"].pk
    assert {r["id"] for r in review.detail["recipients"]} == {
        counselor.pk,
        investigator.pk,
        coordinator.pk,
    }
    takedown = events["takedown"]
    assert (
        takedown.detail["due"]
        == TakedownRequest.objects.get().due_at.astimezone(dt.UTC).isoformat()
    )
    assert all(e.actor_id is None and e.row_hash for e in events.values())
    # (the fixture's own bulk updates show in the history checks; the timeline verifies)
    reports = {r.chain: r for r in audit_verify()}
    assert reports[f"case_event.d{case.district_id}"].ok and reports["case_event"].ok


def test_the_record_of_a_reminder_survives_a_stage_change(overdue_items, case, coordinator):
    # Given the overdue stage was reminded
    deadlines_remind()
    # When the case moves on (its new stage is due later) and the task runs again
    from ncii_cases.workflow import case_transition

    Case.objects.filter(pk=case.pk).update(stage=c.Stage.INTERIM_ACTIONS)
    case.refresh_from_db()
    # (leaving interim actions asks for the support record of the person shown)
    CaseMeasure.objects.filter(case=case, kind=CaseMeasure.Kind.SUPPORTIVE).update(
        party_choice=PartyChoice.ACCEPTED
    )
    case_transition(actor=coordinator, case=case, action="begin_investigation")
    mail.outbox.clear()
    assert deadlines_remind()["stage"] == 0
    # Then the reminder about the earlier stage is still on the record
    reminded = CaseEvent.objects.filter(
        case=case, event_type=EventType.REMINDER_SENT, detail__clock="stage"
    ).get()
    assert reminded.detail["stage"] == c.Stage.HARM_ASSESSMENT


def test_a_stage_reentered_with_a_new_due_time_is_reminded_again(overdue_items, case):
    deadlines_remind()
    Case.objects.filter(pk=case.pk).update(stage_due_at=timezone.now() - dt.timedelta(minutes=5))
    assert deadlines_remind()["stage"] == 1
    assert (
        CaseEvent.objects.filter(event_type=EventType.REMINDER_SENT, detail__clock="stage").count()
        == 2
    )


# --- Before and after: the lead reminder and the overdue one, per clock ------------------------

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
T0 = dt.datetime(2026, 11, 10, 9, 0, tzinfo=CHICAGO)  # a Tuesday, no clock change near
NOTHING = {"stage": 0, "takedown": 0, "report": 0, "measure_review": 0}


@pytest.fixture
def frozen(monkeypatch):
    """Sets the instant the reminder task (and every clock) reads as now."""

    def freeze(moment):
        monkeypatch.setattr(clocks, "now", lambda: moment)

    return freeze


def one_clock(case, kind, *, owner=None, party=None):
    """``case`` with exactly one open clock, of ``kind``, started at T0; returns the row that
    carries it (the case for "stage")."""
    due = T0 + dt.timedelta(hours=48)
    stage, stage_due = (c.Stage.PROCESS_A, None)
    if kind == "stage":
        stage, stage_due = c.Stage.INVESTIGATION, due
    Case.objects.filter(pk=case.pk).update(stage=stage, stage_due_at=stage_due, stage_entered_at=T0)
    if kind == "stage":
        return Case.objects.get(pk=case.pk)
    if kind == "takedown":
        return TakedownRequestFactory(
            case=case,
            platform=platform("snapchat"),
            location="@account",
            route=TakedownRequest.Route.PLATFORM,
            status="submitted",
            covered_by_48h_rule=True,
            submitted_at=T0,
            due_at=due,
            owner=owner,
        )
    if kind == "report":
        return ExternalReportFactory(
            case=case,
            agency="State child abuse hotline",
            agency_kind="child_protection",
            triggered_at=T0,
            due_at=due,
            status="pending",
        )
    return CaseMeasureFactory(
        case=case,
        party=party,
        kind=CaseMeasure.Kind.SUPPORTIVE,
        measure=measure("counseling"),
        owner=owner,
        review_on=dt.date(2026, 11, 12),
        status="active",
    )


def clock_of(kind, row):
    return {"stage": lambda: row.stage_clock, "measure_review": lambda: row.review_clock}.get(
        kind, lambda: row.clock
    )()


def reminders(case, kind):
    return list(
        CaseEvent.objects.filter(
            case=case, event_type=EventType.REMINDER_SENT, detail__clock=kind
        ).order_by("pk")
    )


KINDS = ["stage", "takedown", "report", "measure_review"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_clock_is_reminded_once_at_its_lead_and_once_from_its_due_instant(
    kind, case, coordinator, investigator, depicted_minor, frozen
):
    # Given one open clock of the kind
    row = one_clock(case, kind, party=depicted_minor)
    due = clock_of(kind, row).due_at
    lead = clocks.reminder_lead(kind)
    # Before its lead: nothing
    frozen(due - lead - dt.timedelta(seconds=1))
    assert deadlines_remind() == NOTHING
    # At its lead: the "due soon" reminder, once however often the task runs
    frozen(due - lead)
    assert deadlines_remind() == {**NOTHING, kind: 1}
    assert deadlines_remind() == NOTHING
    assert len(mail.outbox) == 1 and "due soon" in mail.outbox[0].subject.lower()
    # One second before the due instant: still only the lead reminder
    frozen(due - dt.timedelta(seconds=1))
    assert deadlines_remind() == NOTHING
    # At the due instant (overdue is inclusive): the overdue reminder, once
    frozen(due)
    assert deadlines_remind() == {**NOTHING, kind: 1}
    frozen(due + dt.timedelta(hours=5))
    assert deadlines_remind() == NOTHING
    assert len(mail.outbox) == 2 and "overdue" in mail.outbox[1].subject.lower()
    assert "Overdue by under 1 min" in mail.outbox[1].body
    # Both are events on the case's timeline, told apart by "when", with who was told
    before, overdue = reminders(case, kind)
    assert (before.detail["when"], overdue.detail["when"]) == ("before", "overdue")
    assert before.detail["due"] == overdue.detail["due"]
    expected = {coordinator.pk, investigator.pk}
    assert {r["id"] for r in before.detail["recipients"]} == expected
    assert {r["id"] for r in overdue.detail["recipients"]} == expected
    assert sorted(mail.outbox[0].to) == sorted([coordinator.email, investigator.email])


@pytest.mark.parametrize("kind", KINDS)
def test_a_clock_first_seen_overdue_gets_only_the_overdue_reminder(
    kind, case, depicted_minor, frozen
):
    row = one_clock(case, kind, party=depicted_minor)
    due = clock_of(kind, row).due_at
    frozen(due + dt.timedelta(minutes=10))
    assert deadlines_remind() == {**NOTHING, kind: 1}
    assert deadlines_remind() == NOTHING
    assert [e.detail["when"] for e in reminders(case, kind)] == ["overdue"]
    assert len(mail.outbox) == 1


def test_an_extended_deadline_gets_its_own_reminders(case, coordinator, frozen):
    # Given an investigation due in 2 hours, reminded "due soon"
    start = timezone.now().replace(microsecond=0)
    due = start + dt.timedelta(hours=2)
    Case.objects.filter(pk=case.pk).update(
        stage=c.Stage.INVESTIGATION, stage_due_at=due, stage_entered_at=start
    )
    frozen(start)
    assert deadlines_remind()["stage"] == 1
    # When the coordinator extends it for good cause by three days
    new_due = due + dt.timedelta(days=3)
    deadline_extend(
        actor=coordinator,
        case=Case.objects.get(pk=case.pk),
        clock="stage",
        new_due_at=new_due,
        reason="The investigator is on leave this week.",
        notice="Both families were told by letter on the day of the extension.",
    )
    # Then nothing is sent until the new due time's lead, then each reminder once again
    assert deadlines_remind()["stage"] == 0
    frozen(new_due - clocks.reminder_lead("stage"))
    assert deadlines_remind()["stage"] == 1
    frozen(new_due)
    assert deadlines_remind()["stage"] == 1
    assert deadlines_remind()["stage"] == 0
    events = reminders(case, "stage")
    assert [(e.detail["when"], e.detail["due"]) for e in events] == [
        ("before", reminder_due_text(due)),
        ("before", reminder_due_text(new_due)),
        ("overdue", reminder_due_text(new_due)),
    ]


def test_the_assigned_lead_is_told_and_an_inactive_lead_is_not(
    case, coordinator, unassigned_investigator, frozen
):
    # Given a lead assigned to the case
    case_assign(
        actor=coordinator, case=case, user=unassigned_investigator, role=c.AssignmentRole.LEAD
    )
    row = one_clock(case, "takedown")
    frozen(row.due_at - dt.timedelta(hours=1))
    deadlines_remind()
    assert unassigned_investigator.email in mail.outbox[-1].to
    assert coordinator.email in mail.outbox[-1].to
    # When the lead's account is deactivated
    User.objects.filter(pk=unassigned_investigator.pk).update(is_active=False)
    frozen(row.due_at)
    deadlines_remind()
    # Then the overdue reminder goes to the others only, and the record says so
    assert len(mail.outbox) == 2
    assert unassigned_investigator.email not in mail.outbox[-1].to
    assert coordinator.email in mail.outbox[-1].to
    told = {r["id"] for r in reminders(case, "takedown")[-1].detail["recipients"]}
    assert unassigned_investigator.pk not in told and coordinator.pk in told


def test_the_item_owner_is_told_once_even_when_also_the_coordinator(
    case, coordinator, investigator, frozen
):
    row = one_clock(case, "takedown", owner=coordinator)
    frozen(row.due_at)
    deadlines_remind()
    assert mail.outbox[0].to == sorted([coordinator.email, investigator.email])


def test_the_email_shows_the_due_time_in_the_district_zone(case, district, settings, frozen):
    # Given a district on the Pacific coast and a server in Chicago
    settings.TIME_ZONE = "America/Chicago"
    district.time_zone = "America/Los_Angeles"
    district.save()
    pacific = zoneinfo.ZoneInfo("America/Los_Angeles")
    row = one_clock(case, "takedown")
    due = dt.datetime(2026, 11, 12, 16, 0, tzinfo=pacific)
    TakedownRequest.objects.filter(pk=row.pk).update(
        submitted_at=due - dt.timedelta(hours=48), due_at=due
    )
    # When the lead reminder goes out three hours before
    frozen(due - dt.timedelta(hours=3))
    deadlines_remind()
    # Then the e-mail gives the district's local time with its zone, and the time left
    body = mail.outbox[0].body
    assert (
        f"Takedown request to {row.platform} for case {case.reference} is due "
        "Thu Nov 12, 4:00 PM PST \u2014 3 h left." in body
    )
    assert "CST" not in body and "6:00 PM" not in body


def test_a_run_attempts_at_most_the_batch_and_the_backlog_drains(overdue_items, settings):
    settings.DEADLINE_REMINDER_BATCH = 3
    assert sum(deadlines_remind().values()) == 3
    assert sum(deadlines_remind().values()) == 1
    assert sum(deadlines_remind().values()) == 0
    assert len(mail.outbox) == 4
    assert CaseEvent.objects.filter(event_type=EventType.REMINDER_SENT).count() == 4


def test_a_reminder_recorded_before_the_lead_reminders_is_read_as_the_overdue_one(case, frozen):
    # Given an overdue takedown whose reminder was recorded without "when" (older events)
    row = one_clock(case, "takedown")
    case_event_record(
        case=case,
        actor=None,
        event_type=EventType.REMINDER_SENT,
        detail={
            "clock": "takedown",
            "item_id": row.pk,
            "due": reminder_due_text(row.due_at),
            "started": reminder_due_text(row.submitted_at),
            "recipients": [],
        },
    )
    frozen(row.due_at + dt.timedelta(hours=1))
    # Then the task does not send it again
    assert deadlines_remind() == NOTHING
    assert mail.outbox == []


def test_finding_what_to_remind_takes_the_same_queries_for_one_item_or_many(
    case, investigator, depicted_minor, frozen, django_assert_num_queries
):
    for kind in KINDS:
        one_clock(case, kind, party=depicted_minor)
    TakedownRequestFactory(
        case=case,
        platform=platform("snapchat"),
        location="@other",
        route=TakedownRequest.Route.PLATFORM,
        status="submitted",
        covered_by_48h_rule=True,
        submitted_at=T0,
        due_at=T0 + dt.timedelta(hours=48),
    )
    Case.objects.filter(pk=case.pk).update(
        stage=c.Stage.INVESTIGATION, stage_due_at=T0 + dt.timedelta(hours=48)
    )
    frozen(T0 + dt.timedelta(days=5))
    first = deadlines_remind()
    assert first == {"stage": 1, "takedown": 2, "report": 1, "measure_review": 1}
    # A run with everything already reminded: one query per clock and "when" for the items
    # whose reminder mark does not name the reminder (none), three in which the measure
    # faces read the districts' zones and ends of school day; none per item, and no
    # reminder read (the marks say they were sent)
    with django_assert_num_queries(8 + 3):
        assert deadlines_remind() == NOTHING


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_lead_reminder_once(case):
    # Given a stage due within its lead and two workers starting the task together
    Case.objects.filter(pk=case.pk).update(stage_due_at=timezone.now() + dt.timedelta(hours=2))
    barrier = threading.Barrier(2)
    sent: list[int] = []

    def run():
        try:
            barrier.wait(timeout=10)
            sent.append(deadlines_remind()["stage"])
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # Then one of them claimed it: one e-mail, one "before" event
    assert sorted(sent) == [0, 1]
    assert len(mail.outbox) == 1
    assert [e.detail["when"] for e in reminders(case, "stage")] == ["before"]


def _overdue_stage_cases(school, investigator, coordinator, n):
    from tests.factories import CaseFactory

    due = timezone.now() - dt.timedelta(hours=2)
    cases = [CaseFactory(school=school) for _ in range(n)]
    Case.objects.filter(pk__in=[x.pk for x in cases]).update(
        stage=c.Stage.HARM_ASSESSMENT, stage_due_at=due
    )
    for each in cases:
        case_assign(actor=coordinator, case=each, user=investigator, role=c.AssignmentRole.LEAD)
    return cases


@pytest.mark.parametrize("n", [3, 12])
def test_a_batch_of_reminders_costs_the_same_queries_whatever_its_size(
    school, investigator, coordinator, n, settings
):
    from django.test.utils import CaptureQueriesContext

    settings.DEADLINE_REMINDER_CHUNK = 50
    _overdue_stage_cases(school, investigator, coordinator, n)
    with CaptureQueriesContext(connection) as queries:
        assert deadlines_remind()["stage"] == n
    # Finding (8 faces), reminders recorded, then per batch: lock, recheck, coordinators,
    # assignments, recipients, the chain head, one insert, its move (plus SQLite's
    # savepoints): the same for 3 as for 12.
    assert len(queries) <= 30
    assert len(mail.outbox) == n
    assert all(investigator.email in m.to for m in mail.outbox)
    # The events recorded together are chained exactly as one by one.
    # (in the district's own chain since migration 0022 closed the installation-wide one)
    from ncii_cases.audit import CASE_EVENT_CHAIN, chain_verify, district_chain_name

    report = chain_verify(district_chain_name(CASE_EVENT_CHAIN, school.district_id))
    assert report.problems == [] and report.rows >= n


def test_a_backlog_drains_over_runs_in_batches_each_item_once(
    school, investigator, coordinator, settings
):
    settings.DEADLINE_REMINDER_CHUNK = 4
    settings.DEADLINE_REMINDER_BATCH = 10
    cases = _overdue_stage_cases(school, investigator, coordinator, 23)
    runs = [deadlines_remind()["stage"] for _ in range(4)]
    assert runs == [10, 10, 3, 0]
    reminded = CaseEvent.objects.filter(event_type=EventType.REMINDER_SENT)
    assert sorted(reminded.values_list("case_id", flat=True)) == sorted(x.pk for x in cases)
    assert len(mail.outbox) == 23


def test_a_backlog_run_finds_its_batch_without_reading_every_reminder(
    case, frozen, settings, monkeypatch
):
    """With more never-reminded items than a run's cap, a run reads only its batch: the
    reminders already recorded for the rest of the backlog are not read (the first pass asks
    the database for items no reminder names), so a long backlog drains in linear time; and
    every item is still reminded exactly once."""
    from ncii_cases import tasks
    from tests.factories import CaseFactory

    settings.DEADLINE_REMINDER_BATCH = 2
    settings.DEADLINE_REMINDER_CHUNK = 2
    cases = [CaseFactory(school=case.school) for _ in range(5)]
    Case.objects.filter(pk__in=[k.pk for k in cases]).update(
        stage=c.Stage.INVESTIGATION, stage_due_at=T0 + dt.timedelta(hours=1)
    )
    frozen(T0 + dt.timedelta(days=1))
    real = tasks._reminders_sent

    def not_while_the_cap_is_filled(case_ids):
        # A batch checks its own items again (at most a chunk's cases), never the backlog's.
        assert len(case_ids) <= settings.DEADLINE_REMINDER_CHUNK, "read every reminder"
        return real(case_ids)

    monkeypatch.setattr(tasks, "_reminders_sent", not_while_the_cap_is_filled)
    assert deadlines_remind()["stage"] == 2
    assert deadlines_remind()["stage"] == 2
    monkeypatch.setattr(tasks, "_reminders_sent", real)
    for _ in range(3):
        deadlines_remind()
    reminded = CaseEvent.objects.filter(
        event_type=EventType.REMINDER_SENT, case__in=cases, detail__clock="stage"
    )
    assert sorted(reminded.values_list("case_id", flat=True)) == sorted(k.pk for k in cases)
    assert deadlines_remind() == NOTHING


def test_each_reminder_marks_its_clock_row_and_a_lost_mark_sends_nothing_twice(overdue_items, case):
    # When the task runs, every clock reminded carries the due time and start reminded
    deadlines_remind()
    case.refresh_from_db()
    assert (case.reminded_due, case.reminded_started, case.reminded_overdue) == (
        case.stage_due_at,
        case.stage_entered_at,
        True,
    )
    takedown = TakedownRequest.objects.get(pk=overdue_items["takedown"].pk)
    assert (takedown.reminded_due, takedown.reminded_overdue) == (takedown.due_at, True)
    review = CaseMeasure.objects.get(pk=overdue_items["measure"].pk)
    assert (review.reminded_due, review.reminded_overdue) == (review.review_on, True)
    # Then a row whose mark was lost (a stale save wrote it back) is checked against the
    # reminders recorded and marked again, not reminded a second time
    Case.objects.filter(pk=case.pk).update(reminded_due=None, reminded_overdue=False)
    sent = len(mail.outbox)
    assert deadlines_remind()["stage"] == 0
    assert len(mail.outbox) == sent
    case.refresh_from_db()
    assert case.reminded_overdue and case.reminded_due == case.stage_due_at
