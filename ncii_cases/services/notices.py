"""Notifications to parents and guardians and notices to parties: who, when, how, what.

A support notice (information on help and resources) may be logged by support staff; other
notices (allegations, interviews, outcomes, parent notifications) need the WORK right.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..audit import case_event_record
from ..dates import dates_check
from ..events import EventType
from ..models import Case, CaseParty, PartyNotice
from ..permissions import Action
from .common import require, require_open, require_same_case, stamp


@transaction.atomic
def party_notice_record(
    *,
    actor,
    case: Case,
    party: CaseParty,
    recipient_name: str,
    kind: str,
    method: str,
    summary: str,
    sent_at: dt.datetime | None = None,
) -> PartyNotice:
    """Logs a notice given to a party, or to a parent or guardian about a party, and
    returns it. ``party`` is the party the notice concerns."""
    require(actor, Action.SUPPORT if kind == PartyNotice.Kind.SUPPORT else Action.WORK, case)
    require_open(case)
    require_same_case(case, party)
    if not summary.strip():
        raise ValidationError("Write in a few sentences what was said or sent.")
    dates_check("notice", {"sent_at": sent_at})
    notice = PartyNotice(
        case=case,
        party=party,
        recipient_name=recipient_name.strip(),
        kind=kind,
        method=method,
        sent_at=sent_at or timezone.now(),
        sent_by=actor,
        summary=summary.strip(),
    )
    notice.full_clean()
    stamp(notice, actor).save()
    case_event_record(
        case=case,
        actor=actor,
        event_type=EventType.NOTICE_LOGGED,
        detail={"notice_id": notice.pk, "party_id": party.pk, "kind": kind, "method": method},
    )
    return notice
