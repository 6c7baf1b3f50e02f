"""Deadline reminders: the beat task emails each overdue item's owner or the case's staff,
once per item however often it runs; emails carry the reference, never names or narrative."""

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.audit import audit_verify
from ncii_cases.events import EventType
from ncii_cases.models import Case, CaseEvent, CaseMeasure, ExternalReport, TakedownRequest
from ncii_cases.services.measures import measure_add, measure_review
from ncii_cases.services.reports import external_reports_sync
from ncii_cases.services.takedowns import takedown_request_create, takedown_request_submit
from ncii_cases.tasks import deadlines_remind
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


def test_notices_go_to_the_item_owner_or_the_case_staff(
    overdue_items, investigator, counselor, case
):
    deadlines_remind()
    by_subject = {m.subject: m for m in mail.outbox}
    review = next(m for s, m in by_subject.items() if "Measure review" in s)
    assert review.to == [counselor.email]
    stage = next(m for s, m in by_subject.items() if "Overdue: Harm assessment" in s)
    assert stage.to == [investigator.email]
    assert all(m.from_email == settings.DEFAULT_FROM_EMAIL for m in mail.outbox)


def test_notices_carry_no_narrative_nor_names(overdue_items, case, depicted_minor):
    deadlines_remind()
    for message in mail.outbox:
        text = message.subject + message.body
        assert case.narrative not in text and case.title not in text
        assert depicted_minor.person.last_name not in text


def test_items_not_yet_due_are_not_notified(case, investigator):
    takedown = takedown_request_create(
        actor=investigator, case=case, platform=platform("snapchat"), location="Group"
    )
    takedown_request_submit(**TAKEDOWN_ELEMENTS, actor=investigator, takedown=takedown)
    Case.objects.filter(pk=case.pk).update(stage_due_at=timezone.now() + dt.timedelta(hours=5))
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
    from django.core.mail import send_mail as real_send_mail

    from ncii_cases import tasks

    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("mail server unavailable")
        return real_send_mail(*args, **kwargs)

    monkeypatch.setattr(tasks, "send_mail", flaky)
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
    overdue_items, case, investigator, counselor
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
    assert stage.detail["recipients"] == [{"id": investigator.pk, "username": "investigator"}]
    review = events["measure_review"]
    assert review.detail["item_id"] == overdue_items["measure"].pk
    assert review.detail["recipients"] == [{"id": counselor.pk, "username": counselor.username}]
    takedown = events["takedown"]
    assert (
        takedown.detail["due"]
        == TakedownRequest.objects.get().due_at.astimezone(dt.UTC).isoformat()
    )
    assert all(e.actor_id is None and e.row_hash for e in events.values())
    # (the fixture's own bulk updates show in the history checks; the timeline verifies)
    assert {r.chain: r for r in audit_verify()}["case_event"].ok


def test_the_record_of_a_reminder_survives_a_stage_change(overdue_items, case, coordinator):
    # Given the overdue stage was reminded
    deadlines_remind()
    # When the case moves on (its new stage is due later) and the task runs again
    from ncii_cases.workflow import case_transition

    Case.objects.filter(pk=case.pk).update(stage=c.Stage.INTERIM_ACTIONS)
    case.refresh_from_db()
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
