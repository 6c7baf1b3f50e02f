"""Fixtures of the workflow tests: a case whose records meet every guard of the table, so
that a test of one transition fails only for the reason it is about."""

import datetime as dt

import pytest
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.models import (
    Appeal,
    AppealOutcome,
    CaseMeasure,
    CaseParty,
    Determination,
    MeasureStatus,
    ParentNotificationDecision,
    PartyChoice,
    PartyNotice,
    ResolutionOffer,
)
from tests.factories import CasePartyFactory, PersonFactory
from tests.factories_records import (
    AppealFactory,
    BareCasePartyFactory,
    CaseMeasureFactory,
    DeterminationFactory,
    HarmAssessmentFactory,
    ParentNotificationDecisionFactory,
    PartyNoticeFactory,
    ResolutionOfferFactory,
)
from tests.factories_workflow import measure

READY_DETAIL = {
    "respondent_track": c.RespondentTrack.STUDENT,
    "referred_to": "Another policy",
    "dismissal_ground": c.DismissalGround.WITHDRAWN,
}
# The appeal a workflow step of the appeal needs (subject, outcome; no outcome: pending).
APPEAL_FOR_ACTION = {
    "begin_appeal": (Appeal.Subject.DETERMINATION, ""),
    "appeal_upheld": (Appeal.Subject.DETERMINATION, AppealOutcome.MODIFY),
    "appeal_remanded": (Appeal.Subject.DETERMINATION, AppealOutcome.REMAND),
    "appeal_dismissal_upheld": (Appeal.Subject.DISMISSAL, AppealOutcome.AFFIRM),
    "appeal_dismissal_reversed": (Appeal.Subject.DISMISSAL, AppealOutcome.REMAND),
}


def appeal_for(case, action, user):
    """Records (test set-up only, not through the service) the appeal that the appeal step
    ``action`` of the workflow needs; nothing for other steps."""
    if action not in APPEAL_FOR_ACTION:
        return None
    subject, outcome = APPEAL_FOR_ACTION[action]
    determination = Determination.objects.filter(case=case).first()
    now = timezone.now()
    return AppealFactory(
        case=case,
        subject=subject,
        determination=determination if subject == Appeal.Subject.DETERMINATION else None,
        decision_at=now,
        appellant=determination.respondent,
        grounds=["procedural-irregularity"],
        statement="Grounds.",
        filed_at=now,
        window_closed_at=now + dt.timedelta(days=7),
        from_stage=case.stage,
        recorded_by=user,
        outcome=outcome,
        rationale="Reasons." if outcome else "",
        decided_at=now if outcome else None,
        decided_by=user if outcome else None,
    )


@pytest.fixture
def ready_case(case, coordinator):
    """``case`` with an adult depicted employee, an identified student respondent and every
    record the guards ask for: jurisdiction, a completed harm assessment, restorative offers
    accepted by both, a determination, a reviewed supportive measure (accepted), notices and
    the parent-notification decision for the minor respondent."""
    case.jurisdiction = c.Jurisdiction.IN_SCOPE
    case.jurisdiction_reasoning = "Students of the district; school was disrupted."
    case.is_intimate_imagery = True
    case.save()
    depicted = CasePartyFactory(
        case=case, role=c.PartyRole.DEPICTED, affiliation=c.Affiliation.EMPLOYEE, is_minor=False
    )
    respondent = CasePartyFactory(
        case=case,
        role=c.PartyRole.RESPONDENT,
        person=PersonFactory(district=case.district),
        affiliation=c.Affiliation.STUDENT,
        is_minor=True,
    )
    now = timezone.now()
    HarmAssessmentFactory(case=case, level=c.Level.MODERATE, completed_at=now)
    for accepting in (depicted, respondent):
        ResolutionOfferFactory(
            case=case,
            party=accepting,
            option=ResolutionOffer.Option.RESTORATIVE,
            choice=PartyChoice.ACCEPTED,
            offered_at=now,
        )
    DeterminationFactory(
        case=case,
        respondent=respondent,
        finding=Determination.Finding.RESPONSIBLE,
        standard_of_evidence=Determination.Standard.PREPONDERANCE,
        rationale="Messages and witness statements show the respondent shared the imagery.",
        decided_by=coordinator,
        decided_at=now,
    )
    CaseMeasureFactory(
        case=case,
        party=depicted,
        kind=CaseMeasure.Kind.SUPPORTIVE,
        measure=measure("counseling"),
        status=MeasureStatus.ACTIVE,
        party_choice=PartyChoice.ACCEPTED,
        last_reviewed_at=now,
        review_on=timezone.localdate() + dt.timedelta(days=14),
    )
    for party, kind in (
        (depicted, PartyNotice.Kind.OUTCOME),
        (respondent, PartyNotice.Kind.OUTCOME),
        (respondent, PartyNotice.Kind.PARENT_NOTIFICATION),
    ):
        PartyNoticeFactory(
            case=case,
            party=party,
            recipient_name="Recipient",
            kind=kind,
            method=PartyNotice.Method.LETTER,
            sent_at=now,
            sent_by=coordinator,
            summary="Told of the outcome.",
        )
    # The parent-notification decision for the minor respondent (the notice above was given).
    ParentNotificationDecisionFactory(
        case=case,
        party=respondent,
        decision=ParentNotificationDecision.Decision.NOTIFY_NOW,
        student_wishes="Agreed that a parent is told.",
        approved_by=coordinator,
        decided_at=now,
        recorded_by=coordinator,
    )
    return case


def place(case, stage):
    """Puts the case at a stage directly (test set-up only; services never do this)."""
    case.stage = stage
    case.save(update_fields=["stage"])
    return case


@pytest.fixture
def depicted_minor(case):
    return CasePartyFactory(
        case=case, role=c.PartyRole.DEPICTED, affiliation=c.Affiliation.STUDENT, is_minor=True
    )


def party(case, role, **kwargs):
    return BareCasePartyFactory(case=case, role=role, **kwargs)


@pytest.fixture
def appeal_officer(district):
    """A second coordinator of the district, with no earlier role in the case."""
    from tests.factories import UserFactory

    return UserFactory(username="appealofficer", district=district, role=c.Role.COORDINATOR)


@pytest.fixture
def decided(ready_case, coordinator):
    """``ready_case`` signed off by the coordinator (respondent responsible) with a planned
    suspension: at remedies, inside its appeal window."""
    ready_case.respondent_track = c.RespondentTrack.STUDENT
    ready_case.save()
    from ncii_cases.services.cases import case_assign
    from ncii_cases.services.determinations import sanction_add
    from ncii_cases.workflow import case_transition
    from tests.factories_workflow import intervention

    case_assign(actor=coordinator, case=ready_case, user=coordinator, role=c.AssignmentRole.LEAD)
    place(ready_case, c.Stage.DETERMINATION)
    case = case_transition(actor=coordinator, case=ready_case, action="issue_determination")
    respondent = CaseParty.objects.get(case=case, role=c.PartyRole.RESPONDENT)
    sanction = sanction_add(
        actor=coordinator,
        case=case,
        respondent=respondent,
        intervention=intervention("student-suspension"),
        details="Three days.",
    )
    return case, respondent, sanction
