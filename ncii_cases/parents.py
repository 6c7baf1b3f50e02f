"""Who is a minor now, who is an eligible student, and what the parent-notification decisions
and the support given to the people shown still lack: the rules, written once. The workflow's
guards, the services and the case page ask these functions; nothing here writes.

Sources:
- FERPA: the rights of a parent pass to the student at 18 (an "eligible student", 34 CFR 99.3
  and 99.5); a parent is told about an eligible student only with the student's consent
  (99.30) or under an exception (99.31: a tax dependant, a health or safety emergency).
  Either parent keeps the rights unless a court order or law revokes them (99.4).
- Title IX: nothing in the regulations takes away a parent's or guardian's right to act for
  their child (34 CFR 106.6(g)); the Model NCII Policy for K-12 Schools (CDT and ATIXA) asks
  that the student's wishes and safety be weighed before parents are told (a parent who is the
  respondent, danger at home, outing a student).
- Supportive measures are offered to a complainant (34 CFR 106.44(a)) and may be offered to
  a respondent (106.30(a)); a response is deliberately indifferent when "clearly unreasonable
  in light of the known circumstances" (Davis v. Monroe County Bd. of Ed., 526 U.S. 629
  (1999); 34 CFR 106.44(a)). A measure offered and answered, or a written reason, is the record.
"""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext

from . import choices as c
from .models import (
    CaseMeasure,
    CaseParty,
    ParentNotificationDecision,
    PartyChoice,
    PartyNotice,
    SupportNotOffered,
)

# The parties whose parents a decision is about: the people shown, the respondents and the
# witnesses (a parent or guardian party is the one told, not the one told about).
DECIDED_ROLES = (c.PartyRole.DEPICTED, c.PartyRole.RESPONDENT, c.PartyRole.WITNESS)
ADULT_AGE = 18


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Whole years between ``birth_date`` and ``day``."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def party_is_minor_now(party: CaseParty, today: dt.date | None = None) -> bool | None:
    """Whether the party is under 18 on ``today`` (the local date): from the person's date of
    birth when known, else the party's recorded "under 18"; None when nobody knows."""
    today = today or timezone.localdate()
    birth = party.person.birth_date if party.person_id else None
    if birth is not None:
        return age_on(birth, today) < ADULT_AGE
    return party.is_minor


def party_is_eligible_student(party: CaseParty, today: dt.date | None = None) -> bool:
    """Whether the party is a student of 18 or over: an eligible student whose FERPA rights
    are their own (34 CFR 99.3, 99.5)."""
    return c.Affiliation.STUDENT in party.affiliation_values and (
        party_is_minor_now(party, today) is False
    )


def _person_key(party) -> tuple:
    # One person with two roles (shown in one image, sharing another) needs one decision.
    return ("person", party.person_id) if party.person_id else ("row", party.pk)


def parties_needing_decision(case, today: dt.date | None = None) -> list[CaseParty]:
    """The current minor parties (shown, identified respondent, witness) of the case, one per
    person, whose parents' notification needs a recorded decision."""
    today = today or timezone.localdate()
    seen, result = set(), []
    rows = (
        CaseParty.objects.current()
        .filter(case=case, role__in=DECIDED_ROLES)
        .select_related("person")
        .order_by("role", "pk")
    )
    for party in rows:
        if party.role == c.PartyRole.RESPONDENT and party.person_id is None:
            continue  # an unknown respondent's parents cannot be told yet
        if party_is_minor_now(party, today) is not True:
            continue
        key = _person_key(party)
        if key not in seen:
            seen.add(key)
            result.append(party)
    return result


def parties_awaiting_decision(case, today: dt.date | None = None) -> list[CaseParty]:
    """The parties of ``parties_needing_decision`` (one per person) whose person has no
    current parent-notification decision yet: the rows of the form that records several."""
    decided = {
        _person_key(d.party)
        for d in ParentNotificationDecision.objects.current()
        .filter(case=case)
        .select_related("party")
    }
    return [p for p in parties_needing_decision(case, today) if _person_key(p) not in decided]


def parent_notification_gaps(
    case, today: dt.date | None = None, *, with_parties: bool = False
) -> list[tuple]:
    """What the parent-notification record of the case lacks, for the closure guard:
    ``(need, message)`` pairs, ``need`` "decision" for a minor party without a decision and
    "notice" for a decision that calls for the parent notice by ``today`` (notify now, or a
    delay whose day has come) when none is logged. ``with_parties``: ``(need, message,
    party)`` triples instead (for the to-do panel's link that ticks them)."""
    today = today or timezone.localdate()
    decisions = {}
    for d in ParentNotificationDecision.objects.current().filter(case=case).select_related("party"):
        decisions[_person_key(d.party)] = d
    notified = {
        _person_key(n.party)
        for n in PartyNotice.objects.current()
        .filter(case=case, kind=PartyNotice.Kind.PARENT_NOTIFICATION)
        .select_related("party")
    }
    msgs = []
    for party in parties_needing_decision(case, today):
        key = _person_key(party)
        decision = decisions.get(key)
        if decision is None:
            msgs.append(
                (
                    "decision",
                    gettext(
                        "Record the parent-notification decision for %(name)s (notify now, "
                        "delay until a date, or do not notify, with the student's wishes)."
                    )
                    % {"name": party.display_name},
                    party,
                )
            )
        elif decision.notice_due(today) and key not in notified:
            if decision.decision == decision.Decision.DELAY:
                message = gettext(
                    "The decision for %(name)s was to notify their parent or guardian by "
                    "%(day)s: log the notification, or correct the decision with the reason."
                ) % {"name": party.display_name, "day": f"{decision.delay_until:%b %d, %Y}"}
            else:
                message = gettext(
                    "The decision for %(name)s was to notify their parent or guardian: log "
                    "the notification, or correct the decision with the reason."
                ) % {"name": party.display_name}
            msgs.append(("notice", message, party))
    return msgs if with_parties else [(need, message) for need, message, _party in msgs]


def support_gap_message(party) -> str:
    """What the to-do panel says of a person shown without support offered or explained."""
    return (
        f"Offer {party.display_name} a supportive measure and record their choice "
        "(accepted or declined), or write down why none was offered."
    )


def support_gap_parties(case) -> list[CaseParty]:
    """The current people shown (one row per person) who have neither a supportive measure
    offered and answered (accepted or declined, the person's choice) nor a written reason
    none was offered."""
    answered = {
        _person_key(m.party)
        for m in CaseMeasure.objects.current()
        .filter(
            case=case,
            kind=CaseMeasure.Kind.SUPPORTIVE,
            party_choice__in=(PartyChoice.ACCEPTED, PartyChoice.DECLINED),
        )
        .select_related("party")
    }
    explained = {
        _person_key(r.party)
        for r in SupportNotOffered.objects.current().filter(case=case).select_related("party")
    }
    missing, seen = [], set()
    depicted = CaseParty.objects.current().filter(case=case, role=c.PartyRole.DEPICTED)
    for party in depicted.select_related("person"):
        key = _person_key(party)
        if key in seen:
            continue
        seen.add(key)
        if key not in answered and key not in explained:
            missing.append(party)
    return missing
