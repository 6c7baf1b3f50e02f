"""Supportive measures (for the person shown, respondents and witnesses, each from their own
catalog rows), interim measures (concerning the respondent), remedies, and the resolution
options offered to parties, with each person's choice.

Supportive measures and remedies need the SUPPORT right, which counselors have; interim
measures concern respondent discipline and need WORK, which counselors lack.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policies.models import Measure

from .. import choices as c
from .. import event_details
from ..audit import case_event_record
from ..dates import dates_check
from ..models import Case, CaseMeasure, CaseParty, MeasureStatus, PartyChoice, ResolutionOffer
from ..permissions import Action
from .common import require, require_open, require_same_case, row_add_recorded, stamp
from .corrections import StaleRecord, require_version
from .several import each_row_record

K = CaseMeasure.Kind
# Which parties each kind of measure concerns, and the catalog it comes from. Supportive
# measures are for every party: the complainant (34 CFR 106.44(a)), the respondent (106.30(a):
# "to the complainant or the respondent") and witnesses (protected from retaliation, 106.71).
KIND_RULES = {
    K.SUPPORTIVE: (
        (c.PartyRole.DEPICTED, c.PartyRole.RESPONDENT, c.PartyRole.WITNESS),
        Measure.Kind.SUPPORTIVE,
        Action.SUPPORT,
    ),
    K.REMEDY: ((c.PartyRole.DEPICTED,), Measure.Kind.SUPPORTIVE, Action.SUPPORT),
    K.INTERIM: ((c.PartyRole.RESPONDENT,), Measure.Kind.INTERIM, Action.WORK),
}
# The catalog audience of a supportive measure for each party role (``Measure.Audience``).
AUDIENCE_OF_ROLE = {
    c.PartyRole.DEPICTED: Measure.Audience.COMPLAINANT,
    c.PartyRole.RESPONDENT: Measure.Audience.RESPONDENT,
    c.PartyRole.WITNESS: Measure.Audience.WITNESS,
}


def measures_for_party_role(*, district, kind: str, role: str):
    """The catalog rows a measure of ``kind`` for a party of ``role`` may come from: interim
    measures from the interim list; supportive measures and remedies from the supportive list,
    those for the role's audience or for any party."""
    _roles, catalog_kind, _permission = KIND_RULES[kind]
    rows = Measure.objects.for_district(district).filter(kind=catalog_kind)
    if catalog_kind == Measure.Kind.SUPPORTIVE:
        audience = AUDIENCE_OF_ROLE.get(role, Measure.Audience.COMPLAINANT)
        rows = rows.filter(audience__in=(audience, Measure.Audience.ANY))
    return rows


def _measure_permission(measure: CaseMeasure) -> str:
    return KIND_RULES[measure.kind][2]


@transaction.atomic
def measure_add(
    *,
    actor,
    case: Case,
    party: CaseParty,
    kind: str,
    measure: Measure | None = None,
    description: str = "",
    owner=None,
    starts_on: dt.date | None = None,
    review_on: dt.date | None = None,
    status: str = MeasureStatus.PLANNED,
    party_choice: str | None = None,
) -> CaseMeasure:
    """Adds a measure from the catalog (or described, for a remedy) for the right party and
    returns it. An interim measure is not an offer: its choice is recorded as not applicable.

    Supportive measures are for the person shown, a respondent or a witness, from the catalog
    rows of their audience (``measures_for_party_role``); the actor must be able to read the
    party (the need-to-know rule of ``selectors.case_parties_for_user``: support staff of
    the person shown neither see nor support a respondent). Raises ``ValidationError`` for a
    party or catalog row that does not fit, ``TransitionForbidden`` without the right."""
    from ncii_cases.selectors.cases import case_parties_for_user

    if kind not in KIND_RULES:
        raise ValidationError(_("Choose a supportive measure, an interim measure or a remedy."))
    party_roles, catalog_kind, permission = KIND_RULES[kind]
    require(actor, permission, case)
    require_open(case)
    require_same_case(case, party)
    if party.role not in party_roles:
        raise ValidationError(
            _(
                "Supportive measures are for the person shown, a respondent or a witness; "
                "remedies are for the person shown; interim measures concern the respondent."
            )
        )
    if not case_parties_for_user(user=actor, case=case).filter(pk=party.pk).exists():
        raise ValidationError(_("That person is not a party to this case."))
    if measure is None and not (kind == K.REMEDY and description.strip()):
        raise ValidationError(_("Choose a measure from the district's catalog."))
    if measure is not None:
        allowed = measures_for_party_role(district=case.district, kind=kind, role=party.role)
        if not allowed.filter(pk=measure.pk).exists():
            raise ValidationError(
                _(
                    "\u201c%(measure)s\u201d is not in the catalog for this kind of measure and "
                    "this person (%(role)s)."
                )
                % {"measure": measure, "role": party.get_role_display().lower()}
            )
    if owner is not None and owner.district_id != case.district_id:
        raise ValidationError(_("The owner must be staff of the case's district."))
    dates_check("measure", {"starts_on": starts_on, "review_on": review_on})
    if kind == K.INTERIM:
        party_choice = PartyChoice.NOT_APPLICABLE
    row = CaseMeasure(
        case=case,
        party=party,
        kind=kind,
        measure=measure,
        description=description,
        owner=owner,
        starts_on=starts_on,
        review_on=review_on,
        status=status,
        party_choice=party_choice or PartyChoice.OFFERED,
    )
    return row_add_recorded(
        row,
        actor,
        lambda row: event_details.measure_added(
            measure_id=row.pk,
            kind=kind,
            catalog=measure.slug if measure else "",
            party_id=party.pk,
            choice=row.party_choice,
        ),
    )


@transaction.atomic
def measures_add_for_parties(*, actor, case: Case, parties, **fields) -> list[CaseMeasure]:
    """Adds the same measure for each of ``parties`` (an iterable of ``CaseParty``) in one
    transaction, one ``measure_add`` (and one event) per person, and returns them in that
    order. ``fields`` are ``measure_add``'s other keywords (kind, measure, status...).

    Raises ``ValidationError`` when no person is given, or when one person is refused: its
    message names the person, and nothing is saved for anyone."""
    return each_row_record(
        parties,
        lambda party: measure_add(actor=actor, case=case, party=party, **fields),
        empty={"party": _("Tick at least one person.")},
        name=lambda party: party.display_name,
    )


@transaction.atomic
def measure_reviews_record(*, actor, reviews) -> list[CaseMeasure]:
    """Records several measure reviews in one transaction (``measure_review`` for each, one
    event each) and returns the measures. ``reviews`` is an iterable of dicts with the keys
    ``measure``, ``version``, ``end``, ``next_review_on`` and ``note``.

    Raises ``corrections.StaleRecord`` when one measure changed since its version was read,
    ``ValidationError`` when no review is given or one is refused (its message names the
    measure and the person); either way nothing is saved."""
    return each_row_record(
        reviews,
        lambda row: measure_review(
            actor=actor,
            measure=row["measure"],
            next_review_on=row.get("next_review_on"),
            end=row.get("end", False),
            note=row.get("note", ""),
            version=row.get("version"),
        ),
        empty=_("Choose what to do with at least one measure."),
        name=lambda row: (
            _("%(measure)s for %(name)s")
            % {"measure": row["measure"], "name": row["measure"].party.display_name}
        ),
        # the page's own refusal: "Someone changed this since you opened it"
        keep=(StaleRecord,),
        keyed_as_is=True,
    )


@transaction.atomic
def measure_choice_record(
    *, actor, measure: CaseMeasure, choice: str, version: int | None = None
) -> CaseMeasure:
    """Records the person's choice on an offered measure (accepted or declined). Accepting
    puts it in place; declining ends it, and the choice stays on the record."""
    measure = CaseMeasure.objects.select_for_update().get(pk=measure.pk)
    require_version(measure, version)
    require(actor, _measure_permission(measure), measure.case)
    require_open(measure.case)
    if measure.kind == K.INTERIM:
        raise ValidationError(
            _("An interim measure is not an offer; there is no choice to record.")
        )
    if choice not in (PartyChoice.ACCEPTED, PartyChoice.DECLINED, PartyChoice.OFFERED):
        raise ValidationError(_("Record the choice as accepted, declined or not answered yet."))
    measure.party_choice = choice
    if choice == PartyChoice.ACCEPTED and measure.status == MeasureStatus.PLANNED:
        measure.status = MeasureStatus.ACTIVE
        measure.starts_on = measure.starts_on or timezone.localdate()
    elif choice == PartyChoice.DECLINED:
        measure.status = MeasureStatus.ENDED
    stamp(measure, actor).save()
    case_event_record(
        case=measure.case,
        actor=actor,
        **event_details.measure_choice_recorded(measure_id=measure.pk, choice=choice),
    )
    return measure


@transaction.atomic
def measure_status_set(
    *, actor, measure: CaseMeasure, status: str, reason: str = "", version: int | None = None
) -> CaseMeasure:
    """Puts a measure in place or ends it."""
    measure = CaseMeasure.objects.select_for_update().get(pk=measure.pk)
    require_version(measure, version)
    require(actor, _measure_permission(measure), measure.case)
    if status not in MeasureStatus.values:
        raise ValidationError(_("Unknown status."))
    if status != MeasureStatus.ENDED:
        # Ending a measure stays possible after closure: support can outlive the case.
        require_open(measure.case)
    if (
        status == MeasureStatus.ACTIVE
        and measure.kind != K.INTERIM
        and measure.party_choice != PartyChoice.ACCEPTED
    ):
        raise ValidationError(
            _(
                "This measure was offered and not accepted; it is put in place only if the person "
                "accepts it. The choice is theirs: record it first."
            )
        )
    old = measure.status
    measure.status = status
    stamp(measure, actor).save()
    case_event_record(
        case=measure.case,
        actor=actor,
        reason=reason,
        **event_details.measure_status_changed(measure_id=measure.pk, old=old, new=status),
    )
    return measure


@transaction.atomic
def measure_review(
    *,
    actor,
    measure: CaseMeasure,
    next_review_on: dt.date | None = None,
    end: bool = False,
    note: str = "",
    version: int | None = None,
) -> CaseMeasure:
    """Records a review of the measure: it is either ended or kept with its next review date
    (a measure kept open must have one). A new date gets its own overdue reminder."""
    measure = CaseMeasure.objects.select_for_update().get(pk=measure.pk)
    require_version(measure, version)
    require(actor, _measure_permission(measure), measure.case)
    if not end and next_review_on is None:
        raise ValidationError(_("A measure that stays in place needs its next review date."))
    if not end:
        dates_check(
            "measure_review", {"starts_on": measure.starts_on, "next_review_on": next_review_on}
        )
    measure.last_reviewed_at = timezone.now()
    if end:
        measure.status = MeasureStatus.ENDED
        measure.review_on = None
    else:
        measure.review_on = next_review_on
    stamp(measure, actor).save()
    case_event_record(
        case=measure.case,
        actor=actor,
        reason=note,
        **event_details.measure_reviewed(
            measure_id=measure.pk, ended=end, next_review_on=next_review_on
        ),
    )
    return measure


@transaction.atomic
def resolution_offer_record(
    *,
    actor,
    case: Case,
    party: CaseParty,
    option: str,
    choice: str = PartyChoice.OFFERED,
    notes: str = "",
) -> ResolutionOffer:
    """Records that an option (restorative, informal, involving law enforcement) was offered to
    a party, with the party's answer if already given.

    When the same option was offered to the party before and is still open (offered, no
    answer yet, not withdrawn), the answer is recorded on that offer (``resolution_offer_decide``)
    instead of a second offer; offering it again while open raises ``ValidationError``. An
    answered offer may be offered again (a new record)."""
    require(actor, Action.WORK, case)
    require_open(case)
    require_same_case(case, party)
    open_offer = (
        ResolutionOffer.objects.select_for_update()
        .filter(
            case=case,
            party=party,
            option=option,
            choice=PartyChoice.OFFERED,
            withdrawn_at__isnull=True,
        )
        .order_by("pk")
        .first()
    )
    if open_offer is not None:
        if choice in (PartyChoice.ACCEPTED, PartyChoice.DECLINED):
            return resolution_offer_decide(
                actor=actor, offer=open_offer, choice=choice, notes=notes
            )
        raise ValidationError(
            _(
                "This option was already offered and has no answer yet: record their answer "
                "(accepted or declined) instead of offering it again."
            )
        )
    now = timezone.now()
    offer = ResolutionOffer(
        case=case,
        party=party,
        option=option,
        choice=choice,
        offered_at=now,
        decided_at=None if choice == PartyChoice.OFFERED else now,
        notes=notes,
    )
    return row_add_recorded(
        offer,
        actor,
        lambda row: event_details.resolution_offered(
            offer_id=row.pk, option=option, party_id=party.pk, choice=choice
        ),
    )


@transaction.atomic
def resolution_offers_record(*, actor, case: Case, option: str, rows) -> list[ResolutionOffer]:
    """Records the option offered to several people in one transaction, one
    ``resolution_offer_record`` (and one event) per row, and returns the offers. ``rows`` is
    an iterable of dicts with ``party``, ``choice`` and ``notes``.

    Raises ``ValidationError`` when no row is given, or when one row is refused (its message
    names the person); nothing is saved then."""
    return each_row_record(
        rows,
        lambda row: resolution_offer_record(
            actor=actor,
            case=case,
            party=row["party"],
            option=option,
            choice=row["choice"],
            notes=row.get("notes", ""),
        ),
        empty=_("Record the choice of at least one person."),
        name=lambda row: row["party"].display_name,
    )


@transaction.atomic
def resolution_offer_decide(
    *, actor, offer: ResolutionOffer, choice: str, notes: str = ""
) -> ResolutionOffer:
    """Records the party's answer to an offered option: the choice is theirs."""
    offer = ResolutionOffer.objects.select_for_update().get(pk=offer.pk)
    require(actor, Action.WORK, offer.case)
    require_open(offer.case)
    if choice not in (PartyChoice.ACCEPTED, PartyChoice.DECLINED):
        raise ValidationError(_("Record the answer as accepted or declined."))
    offer.choice = choice
    offer.decided_at = timezone.now()
    if notes:
        offer.notes = notes
    stamp(offer, actor).save()
    case_event_record(
        case=offer.case,
        actor=actor,
        **event_details.resolution_choice_recorded(
            offer_id=offer.pk, option=offer.option, choice=choice
        ),
    )
    return offer
