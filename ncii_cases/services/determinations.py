"""Identifying respondents, the respondent track, determinations and sanctions.

A determination needs a finding, the standard of evidence and a rationale. Sanctions come
only from the catalog of the case's respondent track (student interventions or employee
corrective actions) and only for a respondent found responsible.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policies.models import Intervention

from .. import choices as c
from .. import event_details
from ..audit import case_event_record
from ..dates import dates_check
from ..models import Case, CaseParty, Determination, Person, Sanction, SanctionStatus
from ..permissions import Action
from .common import (
    require,
    require_not_depicted_and_respondent,
    require_open,
    require_same_case,
    row_add_recorded,
    stamp,
)
from .corrections import StaleRecord, require_version
from .reports import reports_sync_internal

# Sanctions follow a finding of responsibility: chosen while it is signed off or remedied.
SANCTION_STAGES = (c.Stage.DETERMINATION, c.Stage.REMEDIES)
AFFILIATION_TRACK = {
    c.Affiliation.STUDENT: c.RespondentTrack.STUDENT,
    c.Affiliation.EMPLOYEE: c.RespondentTrack.EMPLOYEE,
    c.Affiliation.NON_AFFILIATED: c.RespondentTrack.NONE,
}


@transaction.atomic
def case_party_identify(
    *,
    actor,
    party: CaseParty,
    person: Person,
    is_minor: bool | None = None,
    reason: str = "",
    age_in_imagery: str | None = None,
) -> CaseParty:
    """Records who an unidentified party turned out to be (for example a respondent the
    investigation identified) and returns the party; ``is_minor`` (under 18 now) and
    ``age_in_imagery`` (``AgeInImagery``), when given, replace the recorded answers, and the
    report obligations follow."""
    party = CaseParty.objects.select_for_update().get(pk=party.pk)
    require(actor, Action.WORK, party.case)
    require_open(party.case)
    if person.district_id != party.case.district_id:
        raise ValidationError(_("That person belongs to another district."))
    require_not_depicted_and_respondent(party.case, person, party.role, exclude=party)
    party.person = person
    party.affiliation = person.affiliation
    party.affiliations = sorted(person.affiliation_values - {person.affiliation})
    if is_minor is not None:
        party.is_minor = is_minor
    if age_in_imagery is not None:
        party.age_in_imagery = age_in_imagery
    party.full_clean()
    stamp(party, actor).save()
    case_event_record(
        case=party.case,
        actor=actor,
        reason=reason,
        **event_details.party_updated(party_id=party.pk, affiliation=party.affiliation),
    )
    reports_sync_internal(actor=actor, case=party.case)
    return party


@transaction.atomic
def case_respondent_track_set(
    *, actor, case: Case, track: str, reason: str, version: int | None = None
) -> Case:
    """Sets the respondent track once the respondent is known (student discipline or employee
    corrective action) and returns the case; the reason is kept. ``version``: the case's
    version the form showed (None: no form); a case changed since raises ``StaleRecord``."""
    require(actor, Action.TRIAGE, case)
    require_open(case)
    if track not in c.RespondentTrack.values:
        raise ValidationError(_("Unknown respondent track."))
    if not reason.strip():
        raise ValidationError(_("Give the reason for the track."))
    case = Case.objects.select_for_update().get(pk=case.pk)
    require_version(case, version)
    old = case.respondent_track
    case.respondent_track = track
    stamp(case, actor).save(update_fields=["respondent_track", "updated_at", "version"])
    case_event_record(
        case=case,
        actor=actor,
        reason=reason.strip(),
        **event_details.track_set(old=old, new=track),
    )
    return case


@transaction.atomic
def determination_record(
    *,
    actor,
    case: Case,
    respondent: CaseParty,
    finding: str,
    standard_of_evidence: str,
    rationale: str,
    decided_at: dt.datetime | None = None,
) -> Determination:
    """Records the determination for one respondent and returns it."""
    require(actor, Action.DECIDE, case)
    require_open(case)
    require_same_case(case, respondent)
    if respondent.role != c.PartyRole.RESPONDENT:
        raise ValidationError(_("A determination concerns a respondent of this case."))
    stage = Case.objects.filter(pk=case.pk).values_list("stage", flat=True).get()
    if stage != c.Stage.DETERMINATION:
        raise ValidationError(
            _(
                "A determination is recorded once the investigation is done, at the "
                "determination stage."
            )
        )
    if respondent.person_id is None:
        raise ValidationError(_("Identify the respondent before recording a determination."))
    problems = []
    if finding not in Determination.Finding.values:
        problems.append("Choose a finding.")
    if standard_of_evidence not in Determination.Standard.values:
        problems.append("Choose the standard of evidence applied.")
    if not rationale.strip():
        problems.append("Write the rationale: the facts found and why they lead to the finding.")
    if problems:
        raise ValidationError(problems)
    dates_check("determination", {"decided_at": decided_at})
    if Determination.objects.filter(case=case, respondent=respondent).exists():
        raise ValidationError(_("A determination for this respondent is already recorded."))
    row = Determination(
        case=case,
        respondent=respondent,
        finding=finding,
        standard_of_evidence=standard_of_evidence,
        rationale=rationale.strip(),
        decided_by=actor,
        decided_at=decided_at or timezone.now(),
    )
    stamp(row, actor).save()
    case_event_record(
        case=case,
        actor=actor,
        **event_details.determination_recorded(
            determination_id=row.pk,
            respondent_id=respondent.pk,
            finding=finding,
            standard=standard_of_evidence,
        ),
    )
    return row


@transaction.atomic
def sanction_add(
    *,
    actor,
    case: Case,
    respondent: CaseParty,
    intervention: Intervention,
    details: str = "",
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> Sanction:
    """Adds an intervention or corrective action for a respondent found responsible, from the
    catalog of the case's respondent track, and returns it."""
    require(actor, Action.DECIDE, case)
    # Read the track from the locked row, not from a copy the caller may hold from earlier.
    case = Case.objects.select_for_update().get(pk=case.pk)
    require_open(case)
    if case.stage not in SANCTION_STAGES:
        raise ValidationError(
            _("Sanctions are chosen at the determination or remedies stage, after a finding.")
        )
    if case.respondent_track not in (c.RespondentTrack.STUDENT, c.RespondentTrack.EMPLOYEE):
        raise ValidationError(_("Set the respondent track before choosing sanctions."))
    if intervention.track != case.respondent_track:
        label = c.RespondentTrack(case.respondent_track).label.lower()
        raise ValidationError(
            _("\u201c%(name)s\u201d is not in the catalog of the %(track)s.")
            % {"name": intervention, "track": label}
        )
    require_same_case(case, respondent)
    if respondent.role != c.PartyRole.RESPONDENT:
        raise ValidationError(_("Sanctions are for a respondent of this case."))
    fitting = {AFFILIATION_TRACK.get(a) for a in respondent.affiliation_values}
    if respondent.withdrawn_at is not None:
        raise ValidationError(_("That respondent was withdrawn from the case."))
    if intervention.track not in fitting:
        label = c.RespondentTrack(intervention.track).label.lower()
        raise ValidationError(
            _(
                "\u201c%(name)s\u201d belongs to the %(track)s, which does not fit this "
                "respondent: student interventions are for students, corrective actions for "
                "employees."
            )
            % {"name": intervention, "track": label}
        )
    available = Intervention.objects.for_district(case.district)
    if not available.filter(pk=intervention.pk).exists():
        raise ValidationError(
            _("\u201c%(name)s\u201d is not in this district's catalog.") % {"name": intervention}
        )
    responsible = Determination.objects.filter(
        case=case, respondent=respondent, finding=Determination.Finding.RESPONSIBLE
    ).exists()
    if not responsible:
        raise ValidationError(_("Sanctions follow a determination of responsibility."))
    row = Sanction(
        case=case,
        respondent=respondent,
        intervention=intervention,
        details=details,
        starts_on=starts_on,
        ends_on=ends_on,
        decided_by=actor,
        decided_at=timezone.now(),
    )
    dates_check("sanction", {"starts_on": starts_on, "ends_on": ends_on})
    return row_add_recorded(
        row,
        actor,
        lambda row: event_details.sanction_added(
            sanction_id=row.pk, respondent_id=respondent.pk, intervention=intervention.slug
        ),
    )


# The sanction lifecycle: planned → in effect → completed; any of the first two may be vacated
# (set aside, for example on appeal), with the reason. Completed and vacated are final.
SANCTION_NEXT = {
    SanctionStatus.PLANNED: {SanctionStatus.IN_EFFECT, SanctionStatus.VACATED},
    SanctionStatus.IN_EFFECT: {SanctionStatus.COMPLETED, SanctionStatus.VACATED},
    SanctionStatus.COMPLETED: set(),
    SanctionStatus.VACATED: set(),
}


@transaction.atomic
def sanction_status_set(
    *, actor, sanction: Sanction, status: str, reason: str = "", version: int | None = None
) -> Sanction:
    """Moves a sanction along its lifecycle (``SANCTION_NEXT``) and returns it. Vacating
    needs a reason; ``version``, when given, is the version the user's form showed (a newer
    change is refused with ``StaleRecord``). Raises ``ValidationError`` for a step the
    lifecycle does not allow, naming the steps that are."""
    sanction = Sanction.objects.select_for_update().select_related("case").get(pk=sanction.pk)
    require(actor, Action.DECIDE, sanction.case)
    require_open(sanction.case)
    if version is not None and int(version) != sanction.version:
        raise StaleRecord()
    if sanction.withdrawn_at is not None:
        raise ValidationError(_("This sanction was withdrawn; it cannot be changed."))
    allowed = SANCTION_NEXT.get(sanction.status, set())
    if status not in allowed:
        labels = ", ".join(str(SanctionStatus(s).label).lower() for s in sorted(allowed))
        current = SanctionStatus(sanction.status).label.lower()
        raise ValidationError(
            _("A sanction that is %(current)s can become: %(next)s.")
            % {"current": current, "next": labels or _("nothing else (final)")}
        )
    if status == SanctionStatus.VACATED and not reason.strip():
        raise ValidationError({"reason": "Say why the sanction is vacated."})
    from .appeals import stayed_sanction_ids

    # A sanction under a pending appeal with a stay waits for the decision (it may still be
    # vacated, for example when the appeal is conceded).
    if status != SanctionStatus.VACATED and sanction.pk in stayed_sanction_ids(sanction.case):
        raise ValidationError(
            _(
                "This sanction is stayed while the appeal of the determination is pending; it "
                "can take effect once the appeal is decided."
            )
        )
    old = sanction.status
    sanction.status = status
    sanction.status_reason = reason.strip()
    stamp(sanction, actor).save()
    case_event_record(
        case=sanction.case,
        actor=actor,
        reason=reason.strip(),
        **event_details.sanction_status_changed(
            sanction_id=sanction.pk, intervention=str(sanction.intervention), old=old, new=status
        ),
    )
    return sanction


@transaction.atomic
def sanctions_add(
    *,
    actor,
    case: Case,
    respondent: CaseParty,
    interventions: list[Intervention],
    details: str = "",
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> list[Sanction]:
    """Adds one sanction per intervention of ``interventions`` for the respondent, with the
    same details and dates, in one transaction (``sanction_add`` checks each: the track's
    catalog, a finding of responsibility, the dates), and returns them in the given order.

    Raises ``ValidationError`` when no intervention is given or any is refused: then nothing
    is saved."""
    if not interventions:
        raise ValidationError({"interventions": _("Tick at least one intervention.")})
    return [
        sanction_add(
            actor=actor,
            case=case,
            respondent=respondent,
            intervention=intervention,
            details=details,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        for intervention in interventions
    ]
