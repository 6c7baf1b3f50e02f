"""``Case.next_due_at`` is stored (for the queue's index) and must always equal what the queue
used to compute on every load: the earliest of the stage's due time (none once closed), the
clocks of open takedown requests and the due times of pending external reports. The old
annotation is kept here as the oracle, with one change of rule (docs/clocks.md): a takedown
clock runs only while a covered request is submitted; a reappeared one has none until it is
submitted again (it used to keep its old, long-past due time)."""

import datetime as dt

import pytest
from django.db.models import Case as When_
from django.db.models import DateTimeField, Min, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce, Least, NullIf
from django.db.models.signals import post_save
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.models import (
    Case,
    CaseEvent,
    ExternalReport,
    ParentNotificationDecision,
    PartyNotice,
    TakedownRequest,
)
from ncii_cases.next_due import case_next_due_refresh
from ncii_cases.selectors.queue import case_queue
from ncii_cases.services import reports, takedowns
from ncii_cases.workflow import case_transition
from tests.factories import CasePartyFactory
from tests.factories_records import ParentNotificationDecisionFactory, PartyNoticeFactory
from tests.factories_workflow import TAKEDOWN_ELEMENTS, all_obligations, platform

from . import test_scenarios

FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
OPEN_TAKEDOWN = (TakedownRequest.Status.SUBMITTED,)


def _min_due(model, **filters):
    rows = (
        model.objects.filter(case=OuterRef("pk"), due_at__isnull=False, **filters)
        .order_by()
        .values("case")
        .annotate(due=Min("due_at"))
        .values("due")
    )
    return Subquery(rows, output_field=DateTimeField())


def computed_next_due(case_id):
    """The queue's former per-load computation (the oracle)."""
    far = Value(FAR_FUTURE, output_field=DateTimeField())
    stage_due = When_(
        When(stage=c.Stage.CLOSED, then=Value(None, output_field=DateTimeField())),
        default="stage_due_at",
        output_field=DateTimeField(),
    )
    earliest = Least(
        Coalesce(stage_due, far),
        Coalesce(
            _min_due(TakedownRequest, status__in=OPEN_TAKEDOWN, covered_by_48h_rule=True), far
        ),
        Coalesce(_min_due(ExternalReport, status=ExternalReport.Status.PENDING), far),
    )
    return (
        Case.objects.filter(pk=case_id)
        .annotate(computed=NullIf(earliest, far))
        .values_list("computed", flat=True)
        .get()
    )


def stored_next_due(case_id):
    return Case.objects.filter(pk=case_id).values_list("next_due_at", flat=True).get()


def assert_in_step(case_id, step):
    stored, computed = stored_next_due(case_id), computed_next_due(case_id)
    assert stored == computed, f"after {step}: stored {stored}, computed {computed}"
    return stored


def test_next_due_at_follows_intake_transitions_takedowns_reports_close_and_reopen(
    ready_case, coordinator, investigator
):
    case = ready_case
    now = timezone.now()
    all_obligations()
    # Intake: the stage clock only
    first = assert_in_step(case.pk, "intake")
    assert first == case.stage_due_at

    moved = case_transition(actor=coordinator, case=case, action="begin_assessment")
    assert assert_in_step(case.pk, "begin_assessment") == moved.stage_due_at

    # A depicted minor triggers the child reports: pending, due 24 h after the report
    Case.objects.filter(pk=case.pk).update(reported_at=now - dt.timedelta(hours=30))
    minor = CasePartyFactory(
        case=case, role=c.PartyRole.DEPICTED, affiliation=c.Affiliation.STUDENT, is_minor=True
    )
    synced = reports.external_reports_sync(actor=investigator, case=case)
    assert synced and all(r.status == ExternalReport.Status.PENDING for r in synced)
    report_due = min(r.due_at for r in synced)
    assert assert_in_step(case.pk, "reports pending") == report_due  # overdue, 6 h ago

    # The first report made: the other is still pending with the same due time
    reports.external_report_record_made(
        actor=investigator, report=synced[0], reported_at=now, reference_number="REF-1"
    )
    assert assert_in_step(case.pk, "one report made") == report_due

    for report in synced[1:]:
        reports.external_report_record_made(
            actor=investigator, report=report, reported_at=now, reference_number="REF-2"
        )
    assert assert_in_step(case.pk, "every report made") == moved.stage_due_at

    # Process A has no stage clock: only takedown and report clocks would count
    case_transition(
        actor=coordinator,
        case=case,
        action="route_process_a",
        reason="An employee is involved.",
        detail={"respondent_track": c.RespondentTrack.STUDENT},
    )
    assert Case.objects.get(pk=case.pk).stage_due_at is None
    assert assert_in_step(case.pk, "route_process_a") is None

    # A takedown request: added (to do, no clock), submitted (48 h clock), then resolved
    request = takedowns.takedown_request_create(
        actor=investigator,
        case=case,
        platform=platform("snapchat"),
        location="https://social.example/p/1",
        route=TakedownRequest.Route.PLATFORM,
    )
    assert assert_in_step(case.pk, "takedown added") is None
    submitted_at = now - dt.timedelta(hours=10)
    takedowns.takedown_request_submit(
        actor=investigator, takedown=request, submitted_at=submitted_at, **TAKEDOWN_ELEMENTS
    )
    assert assert_in_step(case.pk, "takedown submitted") == submitted_at + dt.timedelta(hours=48)
    takedowns.takedown_request_update(
        actor=investigator, takedown=request, status=TakedownRequest.Status.REFUSED
    )
    assert assert_in_step(case.pk, "takedown refused") is None
    takedowns.takedown_request_submit(
        actor=investigator, takedown=request, submitted_at=now, **TAKEDOWN_ELEMENTS
    )
    assert assert_in_step(case.pk, "takedown resubmitted") == now + dt.timedelta(hours=48)
    takedowns.takedown_request_update(
        actor=investigator, takedown=request, status=TakedownRequest.Status.REAPPEARED
    )
    # Reappeared: the earlier clock ended; a new request starts a new one
    assert assert_in_step(case.pk, "takedown reappeared") is None
    takedowns.takedown_request_update(
        actor=investigator, takedown=request, status=TakedownRequest.Status.REMOVED
    )
    assert assert_in_step(case.pk, "takedown removed") is None

    # A second request, submitted then deleted (admin clean-up): its clock goes with it
    other = takedowns.takedown_request_create(
        actor=investigator,
        case=case,
        platform=platform("discord"),
        location="https://chat.example/g/2",
        route=TakedownRequest.Route.PLATFORM,
    )
    takedowns.takedown_request_submit(
        actor=investigator, takedown=other, submitted_at=now, **TAKEDOWN_ELEMENTS
    )
    assert assert_in_step(case.pk, "second submitted") == now + dt.timedelta(hours=48)
    TakedownRequest.objects.get(pk=other.pk).delete()
    assert assert_in_step(case.pk, "second deleted") is None

    # Closing (the minor's notices and parent-notification decision first, as the guards ask)
    ParentNotificationDecisionFactory(
        case=case,
        party=minor,
        decision=ParentNotificationDecision.Decision.NOTIFY_NOW,
        student_wishes="Agreed that a parent is told.",
        approved_by=coordinator,
        decided_at=now,
        recorded_by=coordinator,
    )
    for kind in (PartyNotice.Kind.OUTCOME, PartyNotice.Kind.PARENT_NOTIFICATION):
        PartyNoticeFactory(
            case=case,
            party=minor,
            recipient_name="Recipient",
            kind=kind,
            method=PartyNotice.Method.LETTER,
            sent_at=now,
            sent_by=coordinator,
            summary="Told of the outcome.",
        )
    case_transition(actor=coordinator, case=case, action="close", reason="Resolved.")
    assert assert_in_step(case.pk, "close") is None

    reopened = case_transition(
        actor=coordinator, case=case, action="reopen", reason="The imagery reappeared."
    )
    assert reopened.stage_due_at is not None
    assert assert_in_step(case.pk, "reopen") == reopened.stage_due_at


def test_a_refresh_leaves_no_history_row_and_no_case_event(case):
    due = timezone.now() + dt.timedelta(hours=5)
    # An update that bypasses save() leaves the stored value stale until refreshed
    Case.objects.filter(pk=case.pk).update(stage_due_at=due)
    assert stored_next_due(case.pk) is None
    history, events = case.history.count(), CaseEvent.objects.filter(case=case).count()
    case_next_due_refresh(case.pk)
    assert stored_next_due(case.pk) == due
    assert case.history.count() == history
    assert CaseEvent.objects.filter(case=case).count() == events
    assert "next_due_at" not in {f.name for f in Case.history.model._meta.get_fields()}


@pytest.fixture
def staff(coordinator, investigator, counselor):
    all_obligations()
    return {"coordinator": coordinator, "investigator": investigator, "counselor": counselor}


@pytest.mark.parametrize(
    "scenario",
    [
        test_scenarios.test_s1_group_chat_nudify_images_of_four_minors,
        test_scenarios.test_s2_deepfake_of_a_principal_with_unknown_then_identified_senders,
        test_scenarios.test_s3_forwarded_private_photo_of_a_minor,
        test_scenarios.test_s4_teacher_shares_a_colleagues_image_routed_to_process_a,
        test_scenarios.test_s5_sextortion_by_an_unknown_adult_referred_with_support_continuing,
        test_scenarios.test_s6_not_ncii_referred_to_the_bullying_policy_and_closed,
    ],
    ids=lambda f: f.__name__.split("_")[1],
)
def test_next_due_at_equals_the_computed_value_after_every_event_of_each_scenario(
    scenario, staff, school
):
    """Each scenario runs through the real services; at every case event recorded (inside
    the write's own transaction) the stored value matches the computation."""
    mismatches = []

    def check(sender, instance, created, **kwargs):
        stored, computed = stored_next_due(instance.case_id), computed_next_due(instance.case_id)
        if stored != computed:
            mismatches.append((instance.event_type, stored, computed))

    post_save.connect(check, sender=CaseEvent, dispatch_uid="test_next_due_check")
    try:
        scenario(staff, school)
    finally:
        post_save.disconnect(sender=CaseEvent, dispatch_uid="test_next_due_check")
    assert CaseEvent.objects.exists()
    assert mismatches == []
    case_ids = list(Case.objects.values_list("pk", flat=True))
    assert case_ids
    for case_id in case_ids:
        assert stored_next_due(case_id) == computed_next_due(case_id)


def test_the_queue_orders_and_flags_on_the_stored_value(case, coordinator, investigator):
    """An overdue takedown clock puts the case in the overdue panel; no clock at all sorts last."""
    now = timezone.now()
    request = takedowns.takedown_request_create(
        actor=investigator,
        case=case,
        platform=platform("snapchat"),
        location="https://social.example/p/9",
        route=TakedownRequest.Route.PLATFORM,
    )
    takedowns.takedown_request_submit(
        actor=investigator,
        takedown=request,
        submitted_at=now - dt.timedelta(hours=50),
        **TAKEDOWN_ELEMENTS,
    )
    Case.objects.filter(pk=case.pk).update(stage_due_at=now + dt.timedelta(days=3))
    case_next_due_refresh(case.pk)
    queue = case_queue(user=coordinator, now=now)
    assert [x.pk for x in queue.overdue] == [case.pk]
    listed = list(queue.cases)
    assert listed[0].pk == case.pk and listed[0].is_overdue
    overdue_only = case_queue(user=coordinator, params={"overdue": "true"}, now=now)
    assert [x.pk for x in overdue_only.cases] == [case.pk]
    # Without any clock the case sorts after those with one
    takedowns.takedown_request_update(
        actor=investigator, takedown=request, status=TakedownRequest.Status.REMOVED
    )
    Case.objects.filter(pk=case.pk).update(stage_due_at=None)
    case_next_due_refresh(case.pk)
    queue = case_queue(user=coordinator, now=now)
    assert queue.overdue == [] and queue.due_soon == []
    listed = list(queue.cases)
    assert listed[-1].pk == case.pk and stored_next_due(case.pk) is None
