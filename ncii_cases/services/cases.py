"""Creating cases and recording their facts, parties and assignments.

Each function is one action: one transaction that writes the change and its ``CaseEvent``.
Workflow transitions live in ``ncii_cases.workflow``; access grants in ``permissions``, which
the assignment services call in their own transaction so that an assignment and the per-case
rights it gives begin and end together.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import choices as c
from .. import event_details
from ..audit import case_event_record
from ..dates import dates_check
from ..errors import TransitionForbidden
from ..models import (
    Case,
    CaseAssignment,
    CaseParty,
    District,
    Person,
    ReferenceCounter,
    School,
)
from ..permissions import (
    Action,
    AssignmentProblem,
    assignment_problem,
    case_grants_sync,
    user_can_open_case_at,
    user_role,
)
from ..workflow import stage_due_at
from .common import require, require_not_depicted_and_respondent, require_open, stamp
from .corrections import StaleRecord, require_version
from .reports import reports_sync_internal

# Facts a coordinator may correct after intake; stage, process and track change only
# through the workflow.
EDITABLE_FACTS = (
    "title",
    "narrative",
    "reported_by_name",
    "reporter_name",
    "reporter_anonymous",
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
class PersonInput:
    """A person named at intake or on the party form, not yet linked to a ``Person`` row.
    ``affiliations``: one or more ``Affiliation`` values, the first being the main one."""

    first_name: str
    last_name: str
    affiliations: tuple[str, ...] = (c.Affiliation.UNKNOWN,)
    school: School | None = None
    grade: str = ""
    birth_date: dt.date | None = None
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class PartyInput:
    """One party to add: an existing ``person``, a ``new_person`` to find or create, or
    neither (a described, unidentified party such as "unknown sender of an AirDrop").
    ``notes`` also carries the facts that let one person hold the depicted and the respondent
    role (which image each concerns)."""

    role: str
    person: Person | None = None
    affiliation: str = c.Affiliation.UNKNOWN
    is_minor: bool | None = None
    description: str = ""
    affiliations: tuple[str, ...] = ()
    notes: str = ""
    new_person: PersonInput | None = None
    aliases: str = ""
    # A parent or guardian's legal authority, where known (``choices.GuardianAuthority``).
    guardian_authority: str = ""
    guardian_authority_notes: str = ""
    # "Under 18 in the imagery" (``AgeInImagery``), what report duties and takedown routes
    # follow; ``is_minor`` is the age now.
    age_in_imagery: str = c.AgeInImagery.UNKNOWN


def case_reference_next(*, district: District, year: int) -> str:
    """Returns the next reference number of the district for the year (call inside a
    transaction: the counter row stays locked until it commits)."""
    counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(
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
    affiliations: Iterable[str] = (),
) -> Person:
    """Creates a person of the district and returns it. ``affiliations``: further
    affiliations beside ``affiliation``. Raises ``ValidationError`` for a school of another
    district or a date of birth in the future."""
    if school is not None and school.district_id != district.pk:
        raise ValidationError(_("The school belongs to another district."))
    dates_check("person", {"birth_date": birth_date})
    person = Person(
        district=district,
        first_name=first_name,
        last_name=last_name,
        affiliation=affiliation,
        affiliations=sorted(set(affiliations) - {affiliation}),
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
    reporter_name: str = "",
    reporter_anonymous: bool = False,
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
    dates_check("case", {"reported_at": reported_at, "occurred_at": occurred_at}, now=now)
    case = Case(
        district=district,
        school=school,
        reference=case_reference_next(district=district, year=timezone.localdate(now).year),
        title=title,
        narrative=narrative,
        reported_at=reported_at,
        reported_by_name=reported_by_name,
        reporter_name=reporter_name,
        reporter_anonymous=reporter_anonymous,
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
        **event_details.case_created(
            reference=case.reference,
            school_id=school.pk,
            party_ids=[p.pk for p in created],
            platform_ids=[p.pk for p in platform_list],
            to_stage=c.Stage.INTAKE,
        ),
    )
    reports_sync_internal(actor=actor, case=case)
    return case


def person_find_or_create(*, district: District, data: PersonInput) -> Person:
    """Returns the district's person with this name at this school (and this date of birth,
    when both are known), or creates one. Several rows of one intake naming the same person
    (shown in one image, sharing another) thus become one person with several party rows."""
    first, last = data.first_name.strip(), data.last_name.strip()
    if not (first and last):
        raise ValidationError(_("Give the person's first and last name, or describe them instead."))
    matches = Person.objects.filter(
        district=district, first_name__iexact=first, last_name__iexact=last, school=data.school
    )
    if data.birth_date is not None:
        matches = matches.filter(Q(birth_date=data.birth_date) | Q(birth_date__isnull=True))
    person = matches.order_by("pk").first()
    affiliations = [a for a in data.affiliations if a] or [c.Affiliation.UNKNOWN]
    if person is None:
        return person_create(
            district=district,
            first_name=first,
            last_name=last,
            affiliation=affiliations[0],
            affiliations=affiliations[1:],
            school=data.school,
            grade=data.grade.strip(),
            birth_date=data.birth_date,
            email=data.email.strip(),
            phone=data.phone.strip(),
        )
    return person


def _minor_from_birth_date(birth_date: dt.date | None, on: dt.datetime) -> bool | None:
    """Under 18 on the day ``on`` (today, or the day of the conduct), from a date of birth;
    None when it is not known."""
    if birth_date is None:
        return None
    day = timezone.localdate(on) if timezone.is_aware(on) else on.date()
    eighteenth = _add_years(birth_date, 18)
    return day < eighteenth


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _party_add(*, case: Case, actor, party: PartyInput) -> CaseParty:
    person = party.person
    affiliation, affiliations = party.affiliation, list(party.affiliations)
    is_minor = party.is_minor
    age_in_imagery = party.age_in_imagery or c.AgeInImagery.UNKNOWN
    if person is None and party.new_person is not None:
        new = party.new_person
        if new.school is None and {c.Affiliation.STUDENT, c.Affiliation.EMPLOYEE} & set(
            new.affiliations
        ):
            # A student or employee named without a school is taken to be of the case's.
            new = replace(new, school=case.school)
        if new.school is not None and new.school.district_id != case.district_id:
            raise ValidationError(_("The person's school belongs to another district."))
        person = person_find_or_create(district=case.district, data=new)
        birth_date = person.birth_date or new.birth_date
        if is_minor is None:
            is_minor = _minor_from_birth_date(birth_date, timezone.now())
        # Under 18 on the day of the conduct: imagery shared then was made earlier, so it
        # shows them under 18. At 18 or over then, it may still have been made before: the
        # answer stays the one given (unknown unless someone knows).
        if age_in_imagery == c.AgeInImagery.UNKNOWN and _minor_from_birth_date(
            birth_date, case.occurred_at or case.reported_at
        ):
            age_in_imagery = c.AgeInImagery.UNDER_18
    if person is not None:
        if person.district_id != case.district_id:
            raise ValidationError(_("That person belongs to another district."))
        if is_minor is None:
            # A person picked from the roster: under 18 from their date of birth.
            is_minor = _minor_from_birth_date(
                person.birth_date, case.occurred_at or case.reported_at
            )
        # The person's affiliations are the party's: one truth about who they are.
        affiliation = person.affiliation
        affiliations = sorted(person.affiliation_values - {person.affiliation})
    require_not_depicted_and_respondent(case, person, party.role, facts=party.notes)
    row = CaseParty(
        case=case,
        person=person,
        role=party.role,
        affiliation=affiliation,
        affiliations=affiliations,
        is_minor=is_minor,
        age_in_imagery=age_in_imagery,
        description=party.description,
        notes=party.notes,
        aliases=party.aliases,
        guardian_authority=party.guardian_authority if party.role == c.PartyRole.PARENT else "",
        guardian_authority_notes=(
            party.guardian_authority_notes.strip() if party.role == c.PartyRole.PARENT else ""
        ),
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
        **event_details.party_added(
            party_id=row.pk, role=row.role, affiliation=row.affiliation, name=row.display_name
        ),
    )
    reports_sync_internal(actor=actor, case=case)
    return row


@transaction.atomic
def case_facts_update(
    *, actor, case: Case, reason: str = "", version: int | None = None, **facts
) -> Case:
    """Corrects recorded facts of a case; returns the case. The event names each changed
    field (not its content, which the history rows hold). ``version``, when given, is the
    case's version the form showed: a case changed since is refused with ``StaleRecord``.

    Deciding the case in scope needs the facts relied on, the reasoning and the reason for
    the change: the district acts when conduct affects its community, and the record must
    show why (the Model NCII Policy's jurisdiction section). Raises ``ValidationError``
    keyed by field."""
    unknown = set(facts) - set(EDITABLE_FACTS)
    if unknown:
        raise ValidationError(
            _("These facts cannot be changed here: %(names)s.")
            % {"names": ", ".join(sorted(unknown))}
        )
    require(actor, Action.TRIAGE, case)
    require_open(case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if version is not None and int(version) != case.version:
        raise StaleRecord()
    changed = [name for name, value in facts.items() if getattr(case, name) != value]
    if not changed:
        return case
    for name in changed:
        setattr(case, name, facts[name])
    if case.jurisdiction == c.Jurisdiction.IN_SCOPE:
        errors = {}
        if not case.jurisdiction_facts.strip():
            errors["jurisdiction_facts"] = "Write the facts relied on for \u201cin scope\u201d."
        if not case.jurisdiction_reasoning.strip():
            errors["jurisdiction_reasoning"] = "Write the reasoning for \u201cin scope\u201d."
        if "jurisdiction" in changed and not reason.strip():
            errors["reason"] = "Say why the case is now in scope (kept in the record)."
        if errors:
            raise ValidationError(errors)
    dates_check("case", {"occurred_at": case.occurred_at, "reported_at": case.reported_at})
    case.full_clean()
    stamp(case, actor)
    case.save()
    case_event_record(
        case=case,
        actor=actor,
        reason=reason,
        **event_details.facts_updated(fields=changed),
    )
    reports_sync_internal(actor=actor, case=case)
    return case


ASSIGN_CLOSED_MESSAGE = (
    "This case is closed, so nobody can be assigned to it. Reopen it first if work must continue."
)


def assignment_require_fit(*, user, case: Case, role: str) -> None:
    """Raises ``ValidationError`` (code ``assignment_refused``), naming the problem, unless
    ``user`` may be assigned to the case in ``role``: an active account of the case's
    district whose role can do everything the assignment promises on this case
    (``permissions.assignment_problem``)."""
    problem = assignment_problem(user, case, role)
    if problem is None:
        return
    role_label = c.AssignmentRole(role).label.lower() if role in c.AssignmentRole.values else role
    held = user_role(user)
    who = f"{user}, {c.Role(held).label}," if held else str(user)
    if problem == AssignmentProblem.INACTIVE:
        message = f"{user}'s account is deactivated; only active staff can be assigned."
    elif problem == AssignmentProblem.OTHER_DISTRICT:
        message = f"{user} is not staff of this case's district; only its staff can be assigned."
    elif problem == AssignmentProblem.NO_CASE_ROLE:
        message = (
            f"{who} has no role that works on cases, so an assignment would give them nothing. "
            "Assign a coordinator, school administrator, investigator or support staff member."
        )
    elif problem == AssignmentProblem.OTHER_SCHOOL:
        message = (
            f"{user} is an administrator of other schools. School administrators handle the "
            f"cases of their own schools only; to involve them, add {case.school} to their "
            "schools first, or assign someone else."
        )
    else:
        fitting = [
            label.lower()
            for value, label in c.AssignmentRole.choices
            if assignment_problem(user, case, value) is None
        ]
        message = (
            f"{who} cannot be assigned as {role_label}: that assignment does not fit their role."
        )
        if fitting:
            message += f" They may be assigned as {', '.join(fitting)}."
    raise ValidationError(message, code="assignment_refused")


def _case_lock_open_for_assignment(case: Case) -> Case:
    """Locks the case row (assignments of one case line up: one lead at a time) and raises
    ``ValidationError`` when it is closed; returns the locked row."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.stage == c.Stage.CLOSED:
        raise ValidationError(ASSIGN_CLOSED_MESSAGE, code="case_closed")
    return locked


def _lead_active(case: Case) -> CaseAssignment | None:
    return (
        CaseAssignment.objects.select_related("user")
        .filter(case=case, role=c.AssignmentRole.LEAD, ended_at__isnull=True)
        .first()
    )


def _assignment_start(*, actor, case: Case, user, role: str) -> CaseAssignment:
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
    return assignment


@transaction.atomic
def case_assign(*, actor, case: Case, user, role: str) -> CaseAssignment:
    """Assigns a user to the case in a role and returns the assignment (the active one, if
    the user already holds that role: nothing is written then).

    Refused with ``ValidationError``, writing nothing, when the case is closed, when the
    user cannot be assigned in that role (``assignment_require_fit``: deactivated, another
    district, no case role, a school administrator of other schools, a role that cannot do
    what the assignment promises) and when the case already has another lead (a case has one
    lead at a time: ``case_lead_change`` hands it over). ``TransitionForbidden`` unless the
    actor may ASSIGN on the case."""
    require(actor, Action.ASSIGN, case)
    case = _case_lock_open_for_assignment(case)
    assignment_require_fit(user=user, case=case, role=role)
    existing = CaseAssignment.objects.filter(
        case=case, user=user, role=role, ended_at__isnull=True
    ).first()
    if existing:
        return existing
    if role == c.AssignmentRole.LEAD:
        lead = _lead_active(case)
        if lead is not None:
            raise ValidationError(
                _(
                    "This case already has a lead: %(user)s. A case has one lead at a time; "
                    "to hand it over, use \u201cChange the lead\u201d and say why."
                )
                % {"user": lead.user},
                code="lead_exists",
            )
    assignment = _assignment_start(actor=actor, case=case, user=user, role=role)
    case_event_record(
        case=case,
        actor=actor,
        **event_details.assigned(user_id=user.pk, role=role, assignment_id=assignment.pk),
    )
    return assignment


@transaction.atomic
def case_lead_change(
    *, actor, case: Case, user, reason: str, lead_shown: int | None = None
) -> CaseAssignment:
    """Hands the case's lead over to ``user`` and returns the new lead assignment: the old
    lead's lead assignment ends (with the rights it gave; their other assignments stay), the
    new one begins, and one ``lead_changed`` event records both with the reason.

    Refused with ``ValidationError``, writing nothing, without a reason, on a closed case,
    when ``user`` is already the lead, and when ``user`` cannot lead the case
    (``assignment_require_fit``). ``TransitionForbidden`` unless the actor may ASSIGN.
    ``lead_shown``: the lead assignment's id the form showed (0: no lead; None: no form); a
    lead handed over since raises ``StaleRecord``."""
    require(actor, Action.ASSIGN, case)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the lead changes."), code="reason_required")
    case = _case_lock_open_for_assignment(case)
    assignment_require_fit(user=user, case=case, role=c.AssignmentRole.LEAD)
    old = _lead_active(case)
    if lead_shown is not None and int(lead_shown) != (old.pk if old else 0):
        raise StaleRecord()
    if old is not None and old.user_id == user.pk:
        raise ValidationError(
            _("%(user)s is already the lead of this case.") % {"user": user}, code="same_lead"
        )
    if old is not None:
        old.ended_at = timezone.now()
        stamp(old, actor)
        old.save(update_fields=["ended_at"])
        case_grants_sync(case=case, user=old.user)
    assignment = _assignment_start(actor=actor, case=case, user=user, role=c.AssignmentRole.LEAD)
    case_event_record(
        case=case,
        actor=actor,
        reason=reason,
        **event_details.lead_changed(
            from_user_id=old.user_id if old else None,
            to_user_id=user.pk,
            ended_assignment_id=old.pk if old else None,
            assignment_id=assignment.pk,
        ),
    )
    return assignment


@transaction.atomic
def case_unassign(*, actor, assignment: CaseAssignment, reason: str = "") -> CaseAssignment:
    """Ends an assignment; the user loses the access it gave. Allowed on a closed case too
    (ending access is always possible)."""
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
            reason=reason,
            **event_details.unassigned(user_id=assignment.user_id, role=assignment.role),
        )
    return assignment


@transaction.atomic
def case_move_school(
    *, actor, case: Case, school: School, reason: str, version: int | None = None
) -> Case:
    """Moves the case to another school of its district and returns it. ``version``: the
    case's version the form showed (None: no form); a case changed since raises
    ``StaleRecord`` and nothing moves.

    School administrators reach cases through their schools, so theirs follows the case
    without any grant. Assignments held by school-based staff (users with schools recorded)
    who do not serve the new school end, with their grants, because they came from the old
    school; district-wide staff (investigators and counselors without schools) keep theirs.
    """
    require(actor, Action.TRIAGE, case)
    if school.district_id != case.district_id:
        raise ValidationError(_("A case can move only to a school of its own district."))
    if not reason.strip():
        raise ValidationError(_("Say why the case moves to another school."))
    case = Case.objects.select_for_update().get(pk=case.pk)
    require_version(case, version)
    if case.school_id == school.pk:
        return case
    old_school_id = case.school_id
    case.school = school
    stamp(case, actor)
    case.save(update_fields=["school", "updated_at", "version"])
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
        reason=reason,
        **event_details.school_changed(
            from_school_id=old_school_id, to_school_id=school.pk, ended_assignment_ids=ended
        ),
    )
    return case


@transaction.atomic
def case_party_add_named(
    *,
    actor,
    case: Case,
    role: str,
    affiliation: str = c.Affiliation.UNKNOWN,
    affiliations: Iterable[str] = (),
    is_minor: bool | None = None,
    age_in_imagery: str = c.AgeInImagery.UNKNOWN,
    first_name: str = "",
    last_name: str = "",
    description: str = "",
    school: School | None = None,
    grade: str = "",
    birth_date: dt.date | None = None,
    notes: str = "",
    aliases: str = "",
    person: Person | None = None,
    guardian_authority: str = "",
    guardian_authority_notes: str = "",
) -> CaseParty:
    """Adds a party to the case: the ``person`` picked from the roster (their details are
    the roster's), or an identified person of the district (found by name, school and date
    of birth, or created) when a name is given, otherwise a described, not yet identified
    party. The person's school is the one given (a named employee of another school is
    recorded at that school, not at the case's). Raises ``ValidationError`` for a person of
    another district."""
    require(actor, Action.WORK, case)
    all_affiliations = tuple(dict.fromkeys([affiliation, *affiliations]))
    # What the form says of the party either way (a person from the roster or not).
    party_input = partial(
        PartyInput,
        role=role,
        is_minor=is_minor,
        description=description,
        notes=notes,
        aliases=aliases,
    )
    if person is not None:
        return case_party_add(actor=actor, case=case, party=party_input(person=person))
    new_person = None
    if first_name.strip() and last_name.strip():
        new_person = PersonInput(
            first_name=first_name,
            last_name=last_name,
            affiliations=all_affiliations,
            school=school,
            grade=grade,
            birth_date=birth_date,
        )
    party = party_input(
        affiliation=affiliation,
        affiliations=all_affiliations[1:],
        age_in_imagery=age_in_imagery,
        new_person=new_person,
        guardian_authority=guardian_authority,
        guardian_authority_notes=guardian_authority_notes,
    )
    return case_party_add(actor=actor, case=case, party=party)


def case_intake(*, actor, people: Iterable[PartyInput] = (), **report) -> Case:
    """Creates a case from the intake form: the report and each person the reporter could
    name or describe, as a party (``people``: one ``PartyInput`` per row of the form, a
    ``new_person`` for a named person, a description for an unknown one), and returns it."""
    return case_create(actor=actor, parties=list(people), **report)


PERSON_FIELDS = ("first_name", "last_name", "school", "grade", "birth_date", "email", "phone")


@transaction.atomic
def case_party_correct(*, actor, party: CaseParty, version: int, reason: str, **changes):
    """Corrects a party and, for an identified party, the person's own details (name, school,
    grade, date of birth, contacts), with one event naming each change before and after, and
    returns the party. ``affiliations``: all of them, the main one first. ``version`` is the
    party's version the form showed; see ``corrections.record_correct`` for the errors. A
    changed answer that stops triggering a report obligation marks it no longer required,
    never deletes it."""
    from .corrections import changes_apply, record_correct_locked, record_lock_for_change

    party = record_lock_for_change(actor=actor, record=party, version=version, reason=reason)
    person_changes = {k: changes.pop(k) for k in list(changes) if k in PERSON_FIELDS}
    if "affiliations" in changes:
        values = list(dict.fromkeys(a for a in changes.pop("affiliations") if a))
        values = values or [c.Affiliation.UNKNOWN]
        changes["affiliation"], changes["affiliations"] = values[0], sorted(set(values[1:]))
    extra = {}
    if party.person_id is not None:
        person = Person.objects.select_for_update().get(pk=party.person_id)
        if "affiliation" in changes:
            person_changes["affiliation"] = changes["affiliation"]
            person_changes["affiliations"] = changes["affiliations"]
        school = person_changes.get("school", person.school)
        if school is not None and school.district_id != party.case.district_id:
            raise ValidationError({"school": "The school belongs to another district."})
        dates_check("person", {"birth_date": person_changes.get("birth_date")})
        extra = changes_apply(person, person_changes)
        extra.pop("affiliation", None)
        extra.pop("affiliations", None)
        if extra or person_changes:
            person.full_clean()
            stamp(person, actor).save()
    elif person_changes:
        raise ValidationError(_("Identify the person first; an unidentified party has no details."))
    return record_correct_locked(
        actor=actor, record=party, reason=reason, changes=changes, extra=extra
    )
