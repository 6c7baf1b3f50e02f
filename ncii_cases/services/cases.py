"""Creating cases and recording their facts, parties and assignments.

Each function is one action: one transaction that writes the change and its ``CaseEvent``.
Workflow transitions live in ``ncii_cases.workflow``; access grants in ``permissions``, which
the assignment services call in their own transaction so that an assignment and the per-case
rights it gives begin and end together.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .. import choices as c
from ..audit import case_event_record
from ..errors import TransitionForbidden
from ..events import EventType
from ..models import (
    Case,
    CaseAssignment,
    CaseParty,
    District,
    Person,
    ReferenceCounter,
    School,
)
from ..permissions import Action, case_grants_sync, user_can_open_case_at
from ..workflow import stage_due_at
from .common import require, require_not_depicted_and_respondent, require_open, stamp
from .reports import reports_sync_internal

# Facts a coordinator may correct after intake; stage, process and track change only
# through the workflow.
EDITABLE_FACTS = (
    "title",
    "narrative",
    "reported_by_name",
    "reported_via",
    "occurred_at",
    "occurred_at_approximate",
    "ncii_kind",
    "is_intimate_imagery",
    "conduct",
    "location",
    "timing",
    "jurisdiction",
    "jurisdiction_facts",
    "jurisdiction_reasoning",
    "disrupts_school",
    "reach",
    "reach_estimate",
)


@dataclass(frozen=True)
class PartyInput:
    role: str
    person: Person | None = None
    affiliation: str = c.Affiliation.UNKNOWN
    is_minor: bool | None = None
    description: str = ""


def case_reference_next(*, district: District, year: int) -> str:
    """Returns the next reference number of the district for the year (call inside a
    transaction: the counter row stays locked until it commits)."""
    counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(
        district=district, year=year
    )
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{district.reference_prefix}-{year}-{counter.last_number:04d}"


def person_create(
    *,
    district: District,
    first_name: str,
    last_name: str,
    affiliation: str,
    school: School | None = None,
    grade: str = "",
    email: str = "",
    phone: str = "",
    external_id: str = "",
    birth_date: dt.date | None = None,
) -> Person:
    if school is not None and school.district_id != district.pk:
        raise ValidationError("The school belongs to another district.")
    person = Person(
        district=district,
        first_name=first_name,
        last_name=last_name,
        affiliation=affiliation,
        school=school,
        grade=grade,
        email=email,
        phone=phone,
        external_id=external_id,
        birth_date=birth_date,
    )
    person.full_clean()
    person.save()
    return person


@transaction.atomic
def case_create(
    *,
    actor,
    school: School,
    title: str,
    narrative: str,
    reported_at: dt.datetime,
    reported_by_name: str = "",
    reported_via: str = "",
    occurred_at: dt.datetime | None = None,
    ncii_kind: str = c.NciiKind.UNDETERMINED,
    conduct: str = c.Conduct.DISTRIBUTION,
    location: str = c.Location.UNKNOWN,
    timing: str = c.Timing.UNKNOWN,
    reach: str = c.Reach.UNKNOWN,
    reach_estimate: int | None = None,
    platforms: Iterable = (),
    parties: Iterable[PartyInput] = (),
) -> Case:
    """Creates a case in the intake stage with its first parties, and returns it. The actor
    must be able to triage cases of the school (its district's coordinator or one of its
    administrators)."""
    if not user_can_open_case_at(actor, school):
        raise TransitionForbidden("You may not open a case at this school.")
    district = school.district
    now = timezone.now()
    if reported_at is not None and reported_at > now:
        raise ValidationError(
            "The date staff learned of this cannot be in the future; enter when it was reported."
        )
    case = Case(
        district=district,
        school=school,
        reference=case_reference_next(district=district, year=timezone.localdate(now).year),
        title=title,
        narrative=narrative,
        reported_at=reported_at,
        reported_by_name=reported_by_name,
        reported_via=reported_via,
        occurred_at=occurred_at,
        ncii_kind=ncii_kind,
        conduct=conduct,
        location=location,
        timing=timing,
        reach=reach,
        reach_estimate=reach_estimate,
        stage=c.Stage.INTAKE,
        stage_entered_at=now,
        stage_due_at=stage_due_at(
            c.Stage.INTAKE, c.Level.MODERATE, now, district=district, school=school
        ),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    case.full_clean()
    stamp(case, actor)
    case.save()
    platform_list = list(platforms)
    if platform_list:
        case.platforms.set(platform_list)
    created = [_party_add(case=case, actor=actor, party=p) for p in parties]
    case_event_record(
        case=case,
        actor=actor,
        event_type=EventType.CASE_CREATED,
        to_stage=c.Stage.INTAKE,
        detail={
            "reference": case.reference,
            "school_id": school.pk,
            "party_ids": [p.pk for p in created],
            "platform_ids": [p.pk for p in platform_list],
        },
    )
    reports_sync_internal(actor=actor, case=case)
    return case


def _party_add(*, case: Case, actor, party: PartyInput) -> CaseParty:
    if party.person is not None and party.person.district_id != case.district_id:
        raise ValidationError("That person belongs to another district.")
    require_not_depicted_and_respondent(case, party.person, party.role)
    row = CaseParty(
        case=case,
        person=party.person,
        role=party.role,
        affiliation=party.affiliation,
        is_minor=party.is_minor,
        description=party.description,
    )
    row.full_clean()
    stamp(row, actor)
    row.save()
    return row


@transaction.atomic
def case_party_add(*, actor, case: Case, party: PartyInput) -> CaseParty:
    """Adds a party (depicted person, respondent, reporter, witness, parent) to the case.
    Investigators may add parties (witnesses, respondents they identify): it needs WORK."""
    require(actor, Action.WORK, case)
    require_open(case)
    row = _party_add(case=case, actor=actor, party=party)
    case_event_record(
        case=case,
        actor=actor,
        event_type=EventType.PARTY_ADDED,
        detail={"party_id": row.pk, "role": row.role, "affiliation": row.affiliation},
    )
    reports_sync_internal(actor=actor, case=case)
    return row


@transaction.atomic
def case_facts_update(*, actor, case: Case, reason: str = "", **facts) -> Case:
    """Corrects recorded facts of a case; returns the case. The event names each changed
    field (not its content, which the history rows hold)."""
    unknown = set(facts) - set(EDITABLE_FACTS)
    if unknown:
        raise ValidationError(f"These facts cannot be changed here: {', '.join(sorted(unknown))}.")
    require(actor, Action.TRIAGE, case)
    require_open(case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    changed = [name for name, value in facts.items() if getattr(case, name) != value]
    if not changed:
        return case
    for name in changed:
        setattr(case, name, facts[name])
    case.full_clean()
    stamp(case, actor)
    case.save()
    case_event_record(
        case=case,
        actor=actor,
        event_type=EventType.FACTS_UPDATED,
        reason=reason,
        detail={"fields": changed},
    )
    reports_sync_internal(actor=actor, case=case)
    return case


@transaction.atomic
def case_assign(*, actor, case: Case, user, role: str) -> CaseAssignment:
    """Assigns a user to the case in a role (idempotent for an active assignment)."""
    require(actor, Action.ASSIGN, case)
    if user.district_id != case.district_id:
        raise ValidationError("Only staff of the case's district can be assigned.")
    existing = CaseAssignment.objects.filter(
        case=case, user=user, role=role, ended_at__isnull=True
    ).first()
    if existing:
        return existing
    assignment = CaseAssignment(
        case=case,
        user=user,
        role=role,
        assigned_at=timezone.now(),
        assigned_by=actor if getattr(actor, "pk", None) else None,
    )
    stamp(assignment, actor)
    assignment.save()
    case_grants_sync(case=case, user=user)
    case_event_record(
        case=case,
        actor=actor,
        event_type=EventType.ASSIGNED,
        detail={"user_id": user.pk, "role": role},
    )
    return assignment


@transaction.atomic
def case_unassign(*, actor, assignment: CaseAssignment, reason: str = "") -> CaseAssignment:
    """Ends an assignment; the user loses the access it gave."""
    assignment = CaseAssignment.objects.select_for_update().get(pk=assignment.pk)
    require(actor, Action.ASSIGN, assignment.case)
    return _unassign(actor=actor, assignment=assignment, reason=reason)


def _unassign(*, actor, assignment: CaseAssignment, reason: str) -> CaseAssignment:
    """Ends a locked assignment with its grants and event; callers check the right."""
    if assignment.ended_at is None:
        assignment.ended_at = timezone.now()
        stamp(assignment, actor)
        assignment.save(update_fields=["ended_at"])
        case_grants_sync(case=assignment.case, user=assignment.user)
        case_event_record(
            case=assignment.case,
            actor=actor,
            event_type=EventType.UNASSIGNED,
            reason=reason,
            detail={"user_id": assignment.user_id, "role": assignment.role},
        )
    return assignment


@transaction.atomic
def case_move_school(*, actor, case: Case, school: School, reason: str) -> Case:
    """Moves the case to another school of its district and returns it.

    School administrators reach cases through their schools, so theirs follows the case
    without any grant. Assignments held by school-based staff (users with schools recorded)
    who do not serve the new school end, with their grants, because they came from the old
    school; district-wide staff (investigators and counselors without schools) keep theirs.
    """
    require(actor, Action.TRIAGE, case)
    if school.district_id != case.district_id:
        raise ValidationError("A case can move only to a school of its own district.")
    if not reason.strip():
        raise ValidationError("Say why the case moves to another school.")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.school_id == school.pk:
        return case
    old_school_id = case.school_id
    case.school = school
    stamp(case, actor)
    case.save(update_fields=["school", "updated_at"])
    ended = []
    active = CaseAssignment.objects.filter(case=case, ended_at__isnull=True).select_related("user")
    for assignment in active:
        schools = set(assignment.user.schools.values_list("pk", flat=True))
        if schools and school.pk not in schools:
            _unassign(
                actor=actor, assignment=assignment, reason="The case moved to another school."
            )
            ended.append(assignment.pk)
    case_event_record(
        case=case,
        actor=actor,
        event_type=EventType.SCHOOL_CHANGED,
        reason=reason,
        detail={
            "from_school_id": old_school_id,
            "to_school_id": school.pk,
            "ended_assignment_ids": ended,
        },
    )
    return case


@transaction.atomic
def case_party_add_named(
    *,
    actor,
    case: Case,
    role: str,
    affiliation: str,
    is_minor: bool | None = None,
    first_name: str = "",
    last_name: str = "",
    description: str = "",
) -> CaseParty:
    """Adds a party to the case: an identified person of the district (created here) when a
    name is given, otherwise a described, not yet identified party."""
    require(actor, Action.WORK, case)
    person = None
    if first_name.strip() and last_name.strip():
        person = person_create(
            district=case.district,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            affiliation=affiliation,
            school=case.school
            if affiliation in (c.Affiliation.STUDENT, c.Affiliation.EMPLOYEE)
            else None,
        )
    party = PartyInput(
        role=role,
        person=person,
        affiliation=affiliation,
        is_minor=is_minor,
        description=description,
    )
    return case_party_add(actor=actor, case=case, party=party)


def case_intake(
    *,
    actor,
    depicted: list[str],
    depicted_minor: bool | None,
    depicted_affiliation: str,
    respondent: str = "",
    respondent_affiliation: str = c.Affiliation.UNKNOWN,
    **report,
) -> Case:
    """Creates a case from the intake form: the report, each person shown (by name or
    description, as told) and the person who shared it when known, and returns it."""
    parties = [
        PartyInput(
            role=c.PartyRole.DEPICTED,
            affiliation=depicted_affiliation,
            is_minor=depicted_minor,
            description=name[:300],
        )
        for name in depicted
    ]
    if respondent.strip() or respondent_affiliation != c.Affiliation.UNKNOWN:
        parties.append(
            PartyInput(
                role=c.PartyRole.RESPONDENT,
                affiliation=respondent_affiliation,
                description=respondent.strip()[:300],
            )
        )
    return case_create(actor=actor, parties=parties, **report)
