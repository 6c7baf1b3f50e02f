"""Appeals of a determination or of a dismissal, and the milestones of Process A.

The rules (34 CFR 106.45(b)(8), and the Model Policy's appeal step):

- either party (a depicted person / complainant, or the respondent) may appeal, within the
  district's window (``District.appeal_window_school_days`` school days, ``clocks``); an appeal
  received after the window closed is refused with the date it closed;
- on the grounds of the catalog ``policies.AppealGround``: the three of 106.45(b)(8)(i) and
  any the district adds for both parties (106.45(b)(8)(ii));
- the decision-maker is not the Title IX coordinator of the case (its lead), an investigator,
  nor the original decision-maker (106.45(b)(8)(iii)(B)): ``appeal_decision_maker_problem``
  is the one rule, asked by the service and by the form;
- the other party may respond in writing (106.45(b)(8)(iii)(D)); its response and its date
  are kept;
- the decision is written with its rationale, affirm / modify / remand, and notified to both
  parties at the same time (106.45(b)(8)(iii)(E)-(F)): one notice per party, written together;
- while an appeal of a determination is pending its sanctions are stayed unless the district
  says otherwise (``District.appeal_stays_sanctions``); supportive measures continue.

Filing and deciding move the case along the workflow table (``begin_appeal`` and the
``appeal_*`` exits) in the same transaction. What does not belong here: the appeal window's
clock (``clocks``), reads for screens (``selectors_appeals``).
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policies.models import AppealGround

from .. import choices as c
from .. import clocks, event_details
from ..audit import case_event_record
from ..dates import dates_check
from ..events import EventType
from ..models import (
    Appeal,
    AppealOutcome,
    Case,
    CaseAssignment,
    CaseEvent,
    CaseParty,
    Determination,
    PartyNotice,
    ProcessAMilestone,
    Sanction,
    SanctionStatus,
)
from ..permissions import Action, user_can
from .common import require, require_open, require_same_case, stamp

APPELLANT_ROLES = (c.PartyRole.DEPICTED, c.PartyRole.RESPONDENT)
# The stages from which each kind of decision may be appealed (``workflow.APPEALABLE``).
DETERMINATION_STAGES = (c.Stage.REMEDIES, c.Stage.MONITORING)
DISMISSAL_STAGES = (c.Stage.REFERRED,)
# The transitions that record a decision someone may then appeal: who took them had a role
# in the decision under appeal.
DECIDING_ACTIONS = ("issue_determination", "refer", "dismiss_to_process_b")
ROUTING_ACTIONS = ("route_process_b", "route_process_a")
NO_PENDING = "No appeal is pending on this case."
INDEPENDENCE_SOURCE = (
    "The appeal decision-maker may not be the Title IX coordinator of the case, an "
    "investigator, or the original decision-maker (34 CFR 106.45(b)(8)(iii)(B))."
)


def _minute(moment: dt.datetime) -> dt.datetime:
    """The instant to the minute: forms take times to the minute, so a response entered in
    the minute the appeal came in is not "before" it."""
    return moment.replace(second=0, microsecond=0)


def _local(moment: dt.datetime, case: Case) -> str:
    return clocks.local_time_text(moment, clocks.case_zone(case))


# --- Who may decide an appeal ----------------------------------------------------------------


def appeal_earlier_roles(case: Case) -> dict[int, list[str]]:
    """The staff who had a role in the case that bars them from deciding its appeal, by user
    id, with each role in words: the case's lead (its coordinator) and whoever routed it, its
    investigators (current or past assignments), and whoever made or signed off the decision
    under appeal (the determinations' ``decided_by``, the sign-off, referral or dismissal)."""
    roles: dict[int, list[str]] = {}

    def add(user_id, words):
        if user_id is not None and words not in roles.setdefault(user_id, []):
            roles[user_id].append(words)

    assignments = CaseAssignment.objects.filter(
        case=case, role__in=[c.AssignmentRole.LEAD, c.AssignmentRole.INVESTIGATOR]
    ).values_list("user_id", "role")
    for user_id, role in assignments:
        lead = role == c.AssignmentRole.LEAD
        add(user_id, "were the case's lead (its coordinator)" if lead else "investigated it")
    for user_id in Determination.objects.filter(case=case).values_list("decided_by_id", flat=True):
        add(user_id, "made the original determination")
    events = CaseEvent.objects.filter(case=case, event_type=EventType.TRANSITION).values_list(
        "actor_id", "detail"
    )
    for actor_id, detail in events:
        action = (detail or {}).get("action")
        if action in DECIDING_ACTIONS:
            add(actor_id, "signed off the decision under appeal")
        elif action in ROUTING_ACTIONS:
            add(actor_id, "coordinated the case (routed it)")
    return roles


def appeal_decision_maker_problem(case: Case, user) -> str | None:
    """Why ``user`` may not decide an appeal of the case, in plain words, or None when they
    may: an active account of the case's district who may decide on it (a coordinator) and
    who had no earlier role in it (``appeal_earlier_roles``; 34 CFR 106.45(b)(8)(iii)(B))."""
    if user is None or not getattr(user, "is_active", False):
        return "Choose an active account of this district."
    if user.district_id != case.district_id:
        return "Choose an account of this district."
    earlier = appeal_earlier_roles(case).get(user.pk)
    if earlier:
        return (
            f"{user} cannot decide this appeal: they {' and '.join(earlier)}. {INDEPENDENCE_SOURCE}"
        )
    if not user_can(user, Action.DECIDE, case):
        return (
            f"{user} cannot decide on this case: an appeal decision-maker is a coordinator of "
            "the district."
        )
    return None


# --- Reads the rules share --------------------------------------------------------------------


def appeal_pending(case: Case) -> Appeal | None:
    """The case's pending appeal (filed and not decided), or None. One at a time."""
    return Appeal.objects.filter(case=case, decided_at__isnull=True).order_by("pk").first()


def stayed_sanction_ids(case: Case, *, appeals=None) -> set[int]:
    """The ids of the case's sanctions stayed now: not final, of a respondent whose
    determination has a pending appeal filed with a stay. ``appeals`` (the case's appeals)
    may be given to spare a query."""
    if appeals is None:
        appeals = list(Appeal.objects.filter(case=case).select_related("determination"))
    respondents = {
        a.determination.respondent_id
        for a in appeals
        if a.is_pending and a.sanctions_stayed and a.determination_id
    }
    if not respondents:
        return set()
    return set(
        Sanction.objects.filter(case=case, respondent_id__in=respondents)
        .exclude(status__in=[SanctionStatus.COMPLETED, SanctionStatus.VACATED])
        .values_list("pk", flat=True)
    )


def appeal_window_closes_at(case: Case, *, determination=None, dismissed_at=None):
    """The end of the window of the decision appealed: a determination's (with its
    extensions), or the dismissal's from ``dismissed_at``."""
    if determination is not None:
        return clocks.appeal_window_closes_at(determination, case=case)
    return clocks.dismissal_appeal_window_closes_at(case, dismissed_at)


def _parties_to_notify(appeal: Appeal) -> list[CaseParty]:
    """Both parties of the decision appealed, one row per person: the depicted people and
    the respondent of the determination (or every identified respondent of a dismissal)."""
    parties = CaseParty.objects.current().filter(case=appeal.case, role__in=APPELLANT_ROLES)
    if appeal.determination_id:
        respondent_id = appeal.determination.respondent_id
        parties = [p for p in parties if p.role == c.PartyRole.DEPICTED or p.pk == respondent_id]
    else:
        parties = [p for p in parties if p.role == c.PartyRole.DEPICTED or p.person_id is not None]
    seen, result = set(), []
    for party in [appeal.appellant, *parties]:
        key = ("person", party.person_id) if party.person_id else ("row", party.pk)
        if key not in seen:
            seen.add(key)
            result.append(party)
    return result


# --- The writes ------------------------------------------------------------------------------


@transaction.atomic
def appeal_file(
    *,
    actor,
    case: Case,
    appellant: CaseParty,
    grounds,
    statement: str,
    determination: Determination | None = None,
    filed_at: dt.datetime | None = None,
) -> Appeal:
    """Records a party's appeal of a determination (``determination`` given) or of the case's
    dismissal (none given), and moves the case to the appeal stage; returns the appeal.

    ``grounds`` are slugs (or rows) of the district's appeal grounds catalog; ``filed_at``
    (UTC, default now) is when the appeal came in. Raises ``TransitionForbidden`` unless the
    actor may decide on the case, and ``ValidationError`` for a closed case, a wrong stage, a
    party that may not appeal, no ground or statement, another appeal pending, or an appeal
    received after the window closed (the message gives the date it closed)."""
    require(actor, Action.DECIDE, case)
    case = Case.objects.select_for_update().select_related("district", "school").get(pk=case.pk)
    require_open(case)
    require_same_case(case, appellant, determination)
    if appellant.withdrawn_at is not None or appellant.role not in APPELLANT_ROLES:
        raise ValidationError(
            {"appellant": "An appeal is made by a depicted person (complainant) or a respondent."}
        )
    if appeal_pending(case) is not None:
        raise ValidationError(
            _(
                "An appeal is already pending on this case. Record this party's view as the "
                "response to it, or file this appeal once that one is decided."
            )
        )
    if determination is not None:
        if determination.withdrawn_at is not None:
            raise ValidationError({"determination": "That determination was withdrawn."})
        if case.stage not in DETERMINATION_STAGES:
            raise ValidationError(
                _("A determination is appealed once it is signed off (remedies or monitoring).")
            )
        if appellant.role == c.PartyRole.RESPONDENT and appellant.pk != (
            determination.respondent_id
        ):
            raise ValidationError(
                {"appellant": "A respondent appeals the determination that concerns them."}
            )
        subject, decision_at = Appeal.Subject.DETERMINATION, determination.decided_at
    else:
        if case.stage not in DISMISSAL_STAGES:
            raise ValidationError(
                {
                    "determination": "Choose the determination appealed; a dismissal is appealed "
                    "while the case is referred outside this policy."
                }
            )
        subject, decision_at = Appeal.Subject.DISMISSAL, case.stage_entered_at
    slugs = sorted({getattr(g, "slug", g) for g in grounds or []})
    known = set(AppealGround.objects.for_district(case.district).values_list("slug", flat=True))
    if not slugs:
        raise ValidationError({"grounds": "Choose at least one ground of appeal."})
    if set(slugs) - known:
        raise ValidationError({"grounds": "Choose grounds from this district's list."})
    if not (statement or "").strip():
        raise ValidationError({"statement": "Write the appellant's grounds in their words."})
    filed_at = filed_at or timezone.now()
    dates_check("appeal", {"filed_at": filed_at})
    if filed_at < decision_at:
        raise ValidationError({"filed_at": "An appeal comes in after the decision it appeals."})
    closes = appeal_window_closes_at(case, determination=determination, dismissed_at=decision_at)
    if not clocks.done_in_time(filed_at, closes):
        raise ValidationError(
            {
                "filed_at": f"The appeal window closed on {_local(closes, case)}: an appeal "
                "received after it cannot be recorded. If there was good cause, a "
                "coordinator may extend the window (Deadlines) with notice to both parties, "
                "and then record the appeal."
            }
        )
    appeal = Appeal(
        case=case,
        subject=subject,
        determination=determination,
        decision_at=decision_at,
        appellant=appellant,
        grounds=slugs,
        statement=statement.strip(),
        filed_at=filed_at,
        window_closed_at=closes,
        from_stage=case.stage,
        sanctions_stayed=bool(determination and case.district.appeal_stays_sanctions),
        recorded_by=actor,
    )
    stamp(appeal, actor).save()
    case_event_record(
        case=case,
        actor=actor,
        **event_details.appeal_filed(
            appeal_id=appeal.pk,
            subject=subject,
            appellant_id=appellant.pk,
            determination_id=determination.pk if determination else None,
            grounds=slugs,
            sanctions_stayed=appeal.sanctions_stayed,
        ),
    )
    from ..workflow import case_transition

    case_transition(actor=actor, case_id=case.pk, action="begin_appeal")
    return appeal


def _pending_locked(case: Case) -> Appeal:
    appeal = (
        Appeal.objects.select_for_update()
        .filter(case=case, decided_at__isnull=True)
        .order_by("pk")
        .first()
    )
    if appeal is None:
        raise ValidationError(NO_PENDING)
    return appeal


@transaction.atomic
def appeal_decision_maker_set(*, actor, case: Case, user) -> Appeal:
    """Names the decision-maker of the case's pending appeal and returns the appeal. Raises
    ``ValidationError`` with the reason when ``user`` had an earlier role in the case or
    cannot decide on it (``appeal_decision_maker_problem``), or when no appeal is pending."""
    require(actor, Action.DECIDE, case)
    require_open(case)
    appeal = _pending_locked(case)
    problem = appeal_decision_maker_problem(case, user)
    if problem:
        raise ValidationError({"decision_maker": problem})
    appeal.decision_maker = user
    appeal.designated_at = timezone.now()
    stamp(appeal, actor).save()
    case_event_record(
        case=case,
        actor=actor,
        **event_details.appeal_decision_maker_set(appeal_id=appeal.pk, user_id=user.pk),
    )
    return appeal


@transaction.atomic
def appeal_response_record(
    *, actor, case: Case, party: CaseParty, response: str, received_at: dt.datetime
) -> Appeal:
    """Records the other party's written response to the pending appeal, with the date it
    came in (34 CFR 106.45(b)(8)(iii)(D)), and returns the appeal. Raises
    ``ValidationError`` when the party is the appellant or not a party of the decision, the
    response is empty, or the date is in the future or before the appeal."""
    require(actor, Action.DECIDE, case)
    require_open(case)
    appeal = _pending_locked(case)
    require_same_case(case, party)
    if party.pk == appeal.appellant_id or party.role not in APPELLANT_ROLES:
        raise ValidationError({"party": "The response comes from the other party."})
    if party.withdrawn_at is not None:
        raise ValidationError({"party": "That person was withdrawn from the case."})
    if not (response or "").strip():
        raise ValidationError({"response": "Write the response, or a summary of it."})
    dates_check("appeal_response", {"received_at": received_at})
    if received_at < _minute(appeal.filed_at):
        raise ValidationError({"received_at": "A response comes in after the appeal."})
    appeal.response = response.strip()
    appeal.response_party = party
    appeal.response_at = received_at
    stamp(appeal, actor).save()
    case_event_record(
        case=case,
        actor=actor,
        **event_details.appeal_response_recorded(appeal_id=appeal.pk, party_id=party.pk),
    )
    return appeal


# Where the case goes once the appeal is decided: the workflow table's exits.
EXIT_ACTIONS = {
    (Appeal.Subject.DETERMINATION, AppealOutcome.AFFIRM): "appeal_upheld",
    (Appeal.Subject.DETERMINATION, AppealOutcome.MODIFY): "appeal_upheld",
    (Appeal.Subject.DETERMINATION, AppealOutcome.REMAND): "appeal_remanded",
    (Appeal.Subject.DISMISSAL, AppealOutcome.AFFIRM): "appeal_dismissal_upheld",
    (Appeal.Subject.DISMISSAL, AppealOutcome.MODIFY): "appeal_dismissal_reversed",
    (Appeal.Subject.DISMISSAL, AppealOutcome.REMAND): "appeal_dismissal_reversed",
}


@transaction.atomic
def appeal_decide(
    *,
    actor,
    case: Case,
    outcome: str,
    rationale: str,
    notice_method: str,
    notified_at: dt.datetime,
    notice_summary: str,
) -> Appeal:
    """Records the decision of the pending appeal by its decision-maker, the notice of it to
    both parties at the same instant (one ``PartyNotice`` per party, written together), and
    moves the case on (``EXIT_ACTIONS``); returns the appeal.

    Raises ``ValidationError`` when the actor is not the named decision-maker or had an
    earlier role in the case (the reason is given), for an unknown outcome, an empty
    rationale or notice summary, or a notice dated in the future or before the appeal."""
    require(actor, Action.DECIDE, case)
    require_open(case)
    appeal = _pending_locked(case)
    if appeal.decision_maker_id is None:
        raise ValidationError(_("Name the appeal decision-maker first."))
    if appeal.decision_maker_id != actor.pk:
        raise ValidationError(
            _(
                "Only the appeal decision-maker named for this appeal (%(person)s) "
                "records its decision."
            )
            % {"person": appeal.decision_maker}
        )
    problem = appeal_decision_maker_problem(case, actor)
    if problem:
        raise ValidationError(problem)
    problems = {}
    if outcome not in AppealOutcome.values:
        problems["outcome"] = "Choose the outcome: affirm, modify or remand."
    if not (rationale or "").strip():
        problems["rationale"] = "Write the rationale of the decision (34 CFR 106.45(b)(8)(iii)(E))."
    if notice_method not in PartyNotice.Method.values:
        problems["notice_method"] = "Choose how both parties were told."
    if not (notice_summary or "").strip():
        problems["notice_summary"] = "Say what the parties were told."
    if problems:
        raise ValidationError(problems)
    dates_check("appeal_decision", {"notified_at": notified_at})
    if notified_at < _minute(appeal.filed_at):
        raise ValidationError({"notified_at": "The parties are told after the appeal came in."})
    now = timezone.now()
    notices = []
    for party in _parties_to_notify(appeal):
        notice = PartyNotice(
            case=case,
            party=party,
            recipient_name=party.display_name,
            kind=PartyNotice.Kind.APPEAL,
            method=notice_method,
            sent_at=notified_at,
            sent_by=actor,
            summary=notice_summary.strip(),
        )
        stamp(notice, actor).save()
        notices.append(notice)
    appeal.outcome = outcome
    appeal.rationale = rationale.strip()
    appeal.decided_at = now
    appeal.decided_by = actor
    appeal.parties_notified_at = notified_at
    stamp(appeal, actor).save()
    case_event_record(
        case=case,
        actor=actor,
        **event_details.appeal_decided(
            appeal_id=appeal.pk,
            outcome=outcome,
            notice_ids=[n.pk for n in notices],
            party_ids=[n.party_id for n in notices],
        ),
    )
    from ..workflow import case_transition

    case_transition(actor=actor, case_id=case.pk, action=EXIT_ACTIONS[(appeal.subject, outcome)])
    return appeal


# --- Process A --------------------------------------------------------------------------------

M = ProcessAMilestone.Kind
# Each step's earlier step: a step is not dated before it. The evidence review and the
# report are also 10 days apart, as the report and the determination are
# (``clocks.PROCESS_A_REVIEW_DAYS``; 34 CFR 106.45(b)(5)(vi) and (vii)).
MILESTONE_AFTER = {
    M.NOTICE_OF_ALLEGATIONS: M.FORMAL_COMPLAINT,
    M.EVIDENCE_REVIEW: M.NOTICE_OF_ALLEGATIONS,
    M.INVESTIGATION_REPORT: M.EVIDENCE_REVIEW,
    M.DETERMINATION: M.INVESTIGATION_REPORT,
    M.APPEAL: M.DETERMINATION,
}
TEN_DAYS_AFTER = {M.INVESTIGATION_REPORT, M.DETERMINATION}


@transaction.atomic
def process_a_milestone_record(
    *, actor, case: Case, kind: str, occurred_at: dt.datetime, note: str = ""
) -> ProcessAMilestone:
    """Records when a step of the formal grievance process happened and returns it.

    Raises ``ValidationError`` when the case is not in Process A, the step is unknown, the
    date is in the future, before the case was reported or before its earlier step, or when
    the investigative report comes less than 10 days after the evidence was sent for review
    (106.45(b)(5)(vi)) or the determination less than 10 days after the report
    (106.45(b)(5)(vii))."""
    require(actor, Action.WORK, case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    require_open(case)
    if case.stage != c.Stage.PROCESS_A:
        raise ValidationError(_("Steps of the formal process are recorded while in Process A."))
    if kind not in M.values:
        raise ValidationError({"kind": "Choose the step of the formal process."})
    dates_check("process_a_milestone", {"occurred_at": occurred_at})
    if occurred_at < case.reported_at:
        raise ValidationError(
            {"occurred_at": "A step of the process cannot be dated before the report."}
        )
    earlier_kind = MILESTONE_AFTER.get(kind)
    if earlier_kind:
        earlier = (
            ProcessAMilestone.objects.filter(case=case, kind=earlier_kind)
            .order_by("-occurred_at")
            .first()
        )
        if earlier is None:
            raise ValidationError({"kind": f"Record \u201c{M(earlier_kind).label}\u201d first."})
        if occurred_at < earlier.occurred_at:
            raise ValidationError(
                {"occurred_at": f"This step cannot come before \u201c{earlier}\u201d."}
            )
        if kind in TEN_DAYS_AFTER and occurred_at < clocks.evidence_review_closes_at(
            earlier.occurred_at
        ):
            raise ValidationError(
                {
                    "occurred_at": f"The parties have {clocks.PROCESS_A_REVIEW_DAYS} days "
                    f"after \u201c{earlier}\u201d before this step (34 CFR 106.45(b)(5)(vi) "
                    f"and (vii)): not before "
                    f"{_local(clocks.evidence_review_closes_at(earlier.occurred_at), case)}."
                }
            )
    row = ProcessAMilestone(
        case=case,
        kind=kind,
        occurred_at=occurred_at,
        note=(note or "").strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    stamp(row, actor).save()
    local_day = occurred_at.astimezone(clocks.case_zone(case)).date().isoformat()
    case_event_record(
        case=case,
        actor=actor,
        **event_details.process_a_milestone(milestone_id=row.pk, kind=kind, on=local_day),
    )
    return row
