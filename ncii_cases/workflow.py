"""The Process B workflow as one table, and the one service that moves a case along it.

What belongs here: the transitions, one row each by keyword (action, source stages, target
stage, permission, guards, reason, label, the detail fields of its form, what it sets on the
case), the guards that make the policy's conditions real, and ``case_transition``. What does
not: writes of measures, takedowns, reports, evidence or determinations (``services/``), reads
for screens (``selectors``), and which reports a case triggers (``obligations``, below this
module).

Stage due times are clocks: each stage's rule is declared in ``clocks.STAGE_CLOCKS``
(initial assessment one school day, investigation 10 school days, the others in hours,
Process A and closed without a clock) and docs/clocks.md.
"""

import datetime as dt
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import choices as c
from . import clocks, event_details
from .audit import case_event_record
from .errors import GuardFailed, TransitionForbidden, TransitionNotAllowed
from .models import (
    Appeal,
    AppealOutcome,
    Case,
    CaseMeasure,
    CaseParty,
    Determination,
    HarmAssessment,
    MeasureStatus,
    PartyChoice,
    PartyNotice,
    ResolutionOffer,
    Sanction,
    TakedownRequest,
)
from .obligations import obligations_undecided
from .outbox import notification_enqueue
from .parents import (
    parent_notification_gaps,
    party_is_eligible_student,
    support_gap_message,
    support_gap_parties,
)
from .permissions import Action, actions_for, cases_visible_to, user_can

__all__ = [
    "TRANSITIONS",
    "Blocker",
    "ChecklistItem",
    "FormTarget",
    "GuardFailed",
    "Transition",
    "TransitionForbidden",
    "TransitionNotAllowed",
    "StepTodo",
    "available_transitions",
    "case_transition",
    "stage_todo",
    "transition_blockers",
    "transition_checklist",
]

S = c.Stage


@dataclass(frozen=True)
class FormTarget:
    """The form that satisfies a condition: ``url_name`` is a case page's route (it takes the
    case's pk, and ``args`` after it), None for the step's own form (its reason and choices);
    ``section`` is the id of the case page's section that shows the record; ``query`` is added
    to the form's URL (such as ``measure=12`` to open that measure's update form)."""

    url_name: str | None
    section: str
    args: tuple = ()
    query: str = ""

    def url(self, case: Case, action: str) -> str:
        """The URL of the form for ``case`` (the step page of ``action`` for the step's own
        form)."""
        if self.url_name is None:
            return reverse("ncii_cases:case_transition", args=[case.pk, action])
        path = reverse(self.url_name, args=[case.pk, *self.args])
        return f"{path}?{self.query}" if self.query else path


@dataclass(frozen=True)
class Blocker:
    """One thing missing before a step: a sentence in the coordinator's words and the form
    that records it (None when no form does: the message says what to do instead)."""

    message: str
    target: FormTarget | None = None

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ChecklistItem:
    """One condition of a step, for the case page's to-do panel: the guard's title and what
    it finds missing (``blockers``, empty when the condition is met)."""

    title: str
    blockers: tuple[Blocker, ...]
    target: FormTarget | None

    @property
    def done(self) -> bool:
        return not self.blockers


# A guard reads the case (and the reason and detail given) and returns what is missing. Each
# carries a ``title`` (the condition, for the to-do panel) and a ``target`` (the form that
# satisfies it), set by ``guard``.
Guard = Callable[[Case, str, dict], list[Blocker]]

STEP_FORM = FormTarget(None, "steps")
FACTS_FORM = FormTarget("ncii_cases:case_facts", "summary")
HARM_FORM = FormTarget("ncii_cases:case_harm", "summary")
REPORTS_FORM = FormTarget("ncii_cases:case_report_update", "reports")
OFFER_FORM = FormTarget("ncii_cases:case_offer", "decisions")
PARTY_ADD_FORM = FormTarget("ncii_cases:case_party_add", "people")
DETERMINATION_FORM = FormTarget("ncii_cases:case_determination", "decisions")
SANCTION_FIX_FORM = FormTarget("ncii_cases:case_record_correct", "decisions", ("sanction",))
TAKEDOWNS_FORM = FormTarget("ncii_cases:case_takedown_update", "takedowns")
MEASURE_ADD_FORM = FormTarget("ncii_cases:case_measure_add", "support")
MEASURE_REVIEW_FORM = FormTarget("ncii_cases:case_measure_review", "support")
NOTICE_ADD_FORM = FormTarget("ncii_cases:case_notice_add", "notices")
PARENT_DECISION_FORM = FormTarget("ncii_cases:case_parent_decision_add", "notices")
APPEALS_FORM = FormTarget("ncii_cases:case_appeal_decide", "decisions")
APPEAL_FILE_FORM = FormTarget("ncii_cases:case_appeal_file", "decisions")


def guard(title: str, target: FormTarget | None):
    """Marks a function as a guard: ``title`` names its condition on the to-do panel, and
    ``target`` is the form that satisfies it (a message the guard returns as a plain string
    links there; a guard may return a ``Blocker`` with a more precise form)."""

    def mark(fn):
        def checked(case, reason, detail):
            return [
                m if isinstance(m, Blocker) else Blocker(m, target)
                for m in fn(case, reason, detail)
            ]

        checked.__name__ = fn.__name__
        checked.__doc__ = fn.__doc__
        checked.title = title
        checked.target = target
        return checked

    return mark


# What a step sets on the case's own fields: a function of the reason, the step's detail (the
# keys of its ``detail_fields`` that were given) and the moment it is taken, returning
# ``{field name: value}``. The stage and its clock are set for every step by
# ``case_transition``; this is what a step sets besides.
Sets = Callable[[str, dict, dt.datetime], dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class Transition:
    """One row of the workflow table, by keyword (a positional row fails at import).

    ``action``: the step's name (its URL and the event's ``detail["action"]``); ``sources``:
    the stages it leaves from; ``target``: the stage it moves the case to (the stage's clock,
    ``clocks.STAGE_CLOCKS``, starts then); ``permission``: the ``permissions.Action`` it needs;
    ``guards``: the policy's conditions, checked in order; ``needs_reason``: a written reason
    is required and kept; ``label``: the button's words; ``detail_fields``: the keys of
    ``detail`` the step reads and records (the fields of its form, ``forms.TransitionForm``;
    any other key is dropped); ``sets``: what it sets on the case besides the stage
    (``Sets``), None for nothing."""

    action: str
    sources: tuple[str, ...]
    target: str
    permission: str
    guards: tuple[Guard, ...] = ()
    needs_reason: bool = False
    label: str = ""
    detail_fields: tuple[str, ...] = ()
    sets: Sets | None = None

    @property
    def clock(self) -> clocks.StageClock:
        """The row's due-time rule: the clock that starts when the step is taken, the rule of
        its ``target`` stage (``clocks.STAGE_CLOCKS``, checked at import to cover every stage).
        Several rows lead to one stage, so the rule is written once per stage and every row
        reads it here; ``clock.span`` is None where the stage has no clock (``no_clock`` says
        why)."""
        return clocks.STAGE_CLOCKS[self.target]


# --- Guards -------------------------------------------------------------------------------


@guard(gettext_lazy("Jurisdiction decided, with the reasoning"), FACTS_FORM)
def jurisdiction_decided(case, reason, detail):
    msgs = []
    if case.jurisdiction != c.Jurisdiction.IN_SCOPE:
        msgs.append(_("Record that the conduct is within the district's jurisdiction first."))
    if not case.jurisdiction_reasoning.strip():
        msgs.append(
            _(
                "Write down the jurisdiction reasoning: who is involved, where, and how "
                "school was affected."
            )
        )
    return msgs


@guard(gettext_lazy("The imagery assessed as intimate"), FACTS_FORM)
def imagery_intimate(case, reason, detail):
    if case.is_intimate_imagery is not True:
        return [
            _(
                "Record in the initial assessment that the imagery is intimate; if it is not, "
                "refer the case instead."
            )
        ]
    return []


@guard(gettext_lazy("The respondent track chosen"), STEP_FORM)
def track_decided(case, reason, detail):
    track = detail.get("respondent_track", "")
    if track not in c.RespondentTrack.values:
        return [
            _(
                "Choose the respondent track: student discipline, employee corrective action, "
                "none, or not yet known."
            )
        ]
    # A respondent who is both a student and an employee (an aide) fits either track: the
    # coordinator chooses, with the reason.
    known = set()
    for party in _current_parties(case):
        if party.role == c.PartyRole.RESPONDENT:
            known |= party.affiliation_values
    expected = {
        c.Affiliation.STUDENT: c.RespondentTrack.STUDENT,
        c.Affiliation.EMPLOYEE: c.RespondentTrack.EMPLOYEE,
    }
    wanted = {expected[a] for a in known if a in expected}
    if wanted and track not in wanted:
        return [_("The track does not match the identified respondent (student or employee).")]
    return []


@guard(gettext_lazy("Where the case is referred"), STEP_FORM)
def referral_named(case, reason, detail):
    if not str(detail.get("referred_to", "")).strip():
        return [_("Name the policy, office or agency the case is referred to.")]
    return []


def _undecided_obligation_messages(case, *, minors_only: bool = False) -> list[str]:
    return [
        _(
            "%(report)s: record a decision, either made (with its reference) or not required "
            "(with an explanation)."
        )
        % {"report": o.name}
        for o in obligations_undecided(case, minors_only=minors_only)
    ]


@guard(gettext_lazy("Reports required for a minor decided"), REPORTS_FORM)
def minor_reports_decided(case, reason, detail):
    if case.stage != S.INITIAL_ASSESSMENT:
        return []
    return _undecided_obligation_messages(case, minors_only=True)


@guard(gettext_lazy("Harm assessment completed"), HARM_FORM)
def harm_assessment_completed(case, reason, detail):
    done = HarmAssessment.objects.filter(case=case, completed_at__isnull=False).exists()
    return [] if done else [_("Complete the harm assessment first.")]


def _offer_form_for(case, depicted) -> FormTarget:
    """The offer form with a row ready ("offered, no answer yet") for each person shown who
    has no informal or restorative offer recorded yet."""
    offered = {party_id for party_id, _choice, withdrawn in _informal_offers(case) if not withdrawn}
    missing = [p.pk for p in depicted if p.pk not in offered]
    query = urlencode([("party", pk) for pk in missing])
    return FormTarget(OFFER_FORM.url_name, OFFER_FORM.section, query=query)


@guard(gettext_lazy("Informal resolution accepted by the parties"), OFFER_FORM)
def resolution_accepted(case, reason, detail):
    msgs = []
    # Withdrawn offers count too, as they always have.
    accepted = {
        party_id
        for party_id, choice, _withdrawn in _informal_offers(case)
        if choice == PartyChoice.ACCEPTED
    }
    depicted = [p for p in _current_parties(case) if p.role == c.PartyRole.DEPICTED]
    if not depicted or any(p.pk not in accepted for p in depicted):
        msgs.append(
            Blocker(
                _("Informal resolution needs the depicted person's recorded acceptance."),
                _offer_form_for(case, depicted),
            )
        )
    respondents = _identified_respondents(case)
    if not respondents:
        msgs.append(
            Blocker(_("Informal resolution needs an identified respondent."), PARTY_ADD_FORM)
        )
    for party in respondents:
        if party.pk not in accepted:
            msgs.append(
                _("Informal resolution needs the recorded acceptance of %(name)s (respondent).")
                % {"name": party.display_name}
            )
    employee_respondent = case.respondent_track == c.RespondentTrack.EMPLOYEE or any(
        p.affiliation == c.Affiliation.EMPLOYEE for p in respondents
    )
    if employee_respondent and any(p.affiliation == c.Affiliation.STUDENT for p in depicted):
        msgs.append(
            Blocker(
                _(
                    "Informal resolution is not available when an employee is alleged to have "
                    "harmed a student: Title IX rules do not allow it. Continue the "
                    "investigation."
                )
            )
        )
    return msgs


@guard(gettext_lazy("A respondent identified"), PARTY_ADD_FORM)
def respondent_identified(case, reason, detail):
    if not _identified_respondents(case):
        return [
            _(
                "A determination needs an identified respondent; if none can be identified, "
                "refer the case or record why it closes."
            )
        ]
    return []


@guard(gettext_lazy("A determination for each respondent"), DETERMINATION_FORM)
def determinations_complete(case, reason, detail):
    msgs = []
    done = {d.respondent_id: d for d in Determination.objects.current().filter(case=case)}
    for party in _identified_respondents(case):
        d = done.get(party.pk)
        if d is None:
            msgs.append(_("Record the determination for %(name)s.") % {"name": party.display_name})
        elif not (d.finding and d.standard_of_evidence and d.rationale.strip()):
            msgs.append(
                Blocker(
                    _(
                        "The determination for %(name)s needs a finding, the standard of "
                        "evidence and a rationale."
                    )
                    % {"name": party.display_name},
                    FormTarget(
                        "ncii_cases:case_record_correct",
                        "decisions",
                        ("determination",),
                        f"record={d.pk}",
                    ),
                )
            )
    return msgs


@guard(gettext_lazy("Sanctions from the respondent track's catalog"), SANCTION_FIX_FORM)
def sanctions_match_track(case, reason, detail):
    wrong = (
        Sanction.objects.current()
        .filter(case=case)
        .exclude(status="vacated")
        .exclude(intervention__track=case.respondent_track)
    )
    first = wrong.values_list("pk", flat=True).first()
    if first is not None:
        return [
            Blocker(
                _(
                    "Some sanctions do not come from the catalog of the case's respondent "
                    "track: correct or withdraw them."
                ),
                FormTarget(
                    "ncii_cases:case_record_correct", "decisions", ("sanction",), f"record={first}"
                ),
            )
        ]
    return []


@guard(gettext_lazy("Takedown requests resolved"), TAKEDOWNS_FORM)
def takedowns_resolved(case, reason, detail):
    msgs = []
    for t in TakedownRequest.objects.current().filter(case=case).select_related("platform"):
        target = FormTarget(TAKEDOWNS_FORM.url_name, "takedowns", query=f"takedown={t.pk}")
        if t.status == TakedownRequest.Status.WAIVED and not t.waiver_reason.strip():
            msgs.append(
                Blocker(
                    _("Give the reason the %(platform)s request was not pursued.")
                    % {"platform": t.platform},
                    target,
                )
            )
        elif t.status not in (TakedownRequest.Status.REMOVED, TakedownRequest.Status.WAIVED):
            msgs.append(
                Blocker(
                    _("The %(platform)s takedown request is not resolved (%(status)s).")
                    % {"platform": t.platform, "status": t.get_status_display().lower()},
                    target,
                )
            )
    return msgs


@guard(gettext_lazy("External reports decided"), REPORTS_FORM)
def obligations_met(case, reason, detail):
    return _undecided_obligation_messages(case)


@guard(gettext_lazy("Supportive measures reviewed"), MEASURE_REVIEW_FORM)
def measures_reviewed(case, reason, detail):
    msgs = []
    rows = CaseMeasure.objects.current().filter(case=case, kind=CaseMeasure.Kind.SUPPORTIVE)
    for m in rows.select_related("measure"):
        # One page for every review due (``case_views.measure_review``).
        target = MEASURE_REVIEW_FORM
        if m.last_reviewed_at is None:
            msgs.append(
                Blocker(
                    _("Review the supportive measure \u201c%(measure)s\u201d before closing.")
                    % {"measure": m},
                    target,
                )
            )
        elif m.status != MeasureStatus.ENDED and m.review_on is None:
            msgs.append(
                Blocker(
                    _(
                        "The supportive measure \u201c%(measure)s\u201d stays open: set its "
                        "next review date."
                    )
                    % {"measure": m},
                    target,
                )
            )
    return msgs


@guard(gettext_lazy("Notices to the parties logged"), NOTICE_ADD_FORM)
def notices_logged(case, reason, detail):
    msgs = []
    # Counted per person: one person with two roles (shown in one image, sharing another)
    # needs one notice, whichever of their rows it was logged on. An eligible student (18 or
    # over) is told directly: a notice to their parent is not a notice to them (FERPA 34 CFR
    # 99.5). Whether a minor's parents are told is the parent-notification decision's
    # (``parent_notifications_decided``).
    notices = list(
        PartyNotice.objects.current()
        .filter(case=case)
        .values_list("party_id", "party__person_id", "kind")
    )

    def key(party_id, person_id):
        return ("person", person_id) if person_id else ("row", party_id)

    notified = {key(p, person) for p, person, _kind in notices}
    direct = {
        key(p, person) for p, person, k in notices if k != PartyNotice.Kind.PARENT_NOTIFICATION
    }
    seen, lacking = set(), []
    for party in (
        CaseParty.objects.current()
        .filter(case=case, role__in=[c.PartyRole.DEPICTED, c.PartyRole.RESPONDENT])
        .select_related("person")
    ):
        if party.role == c.PartyRole.RESPONDENT and party.person_id is None:
            continue
        who = key(party.pk, party.person_id)
        if who in seen:
            continue
        seen.add(who)
        if who not in (direct if party_is_eligible_student(party) else notified):
            lacking.append(party)
    # One link for all: the notice form with the notice of outcome chosen and everyone still
    # lacking a notice ticked.
    target = notice_form_for(PartyNotice.Kind.OUTCOME, lacking)
    for party in lacking:
        msgs.append(
            Blocker(_("Log the notice given to %(name)s.") % {"name": party.display_name}, target)
        )
    return msgs


def notice_form_for(kind: str, parties) -> FormTarget:
    """The notice form opened with ``kind`` chosen and ``parties`` ticked (the form reads
    ``?kind=...&party=<id>&party=<id>``)."""
    query = urlencode([("kind", kind), *(("party", p.pk) for p in parties)])
    return FormTarget(NOTICE_ADD_FORM.url_name, NOTICE_ADD_FORM.section, query=query)


@guard(gettext_lazy("Parent and guardian notification decided"), PARENT_DECISION_FORM)
def parent_notifications_decided(case, reason, detail):
    """A decision for every minor party (notify now, delay, do not notify), and the parent
    notice given for each decision that calls for one by today: replaces a forced parent
    notification for every minor (FERPA 34 CFR 99.4, 99.5; Title IX 34 CFR 106.6(g); the
    Model Policy's weighing of the student's wishes and safety; see ``parents``)."""
    gaps = parent_notification_gaps(case, with_parties=True)
    # The parent notices still due, in one link: the parent notification chosen, those
    # students ticked.
    notices = notice_form_for(
        PartyNotice.Kind.PARENT_NOTIFICATION, [p for need, _m, p in gaps if need == "notice"]
    )
    return [
        Blocker(message, PARENT_DECISION_FORM if need == "decision" else notices)
        for need, message, _party in gaps
    ]


@guard(gettext_lazy("Support offered to each person shown"), MEASURE_ADD_FORM)
def support_offered_or_explained(case, reason, detail):
    """Before leaving interim actions: each person shown has a supportive measure offered
    and answered, or a written reason none was offered (34 CFR 106.44(a); Davis v. Monroe
    County Bd. of Ed., 526 U.S. 629 (1999): a response not clearly unreasonable)."""
    if case.stage != S.INTERIM_ACTIONS:
        return []
    missing = support_gap_parties(case)
    # The form opens with every person still lacking support ticked and the kind chosen.
    query = urlencode([("kind", CaseMeasure.Kind.SUPPORTIVE), *(("party", p.pk) for p in missing)])
    target = FormTarget(MEASURE_ADD_FORM.url_name, MEASURE_ADD_FORM.section, query=query)
    return [Blocker(support_gap_message(party), target) for party in missing]


@guard(gettext_lazy("Creation only: why this policy applies"), STEP_FORM)
def creation_only_confirmed(case, reason, detail):
    """Routing a case of creation only (nothing shared): the policy's focus is distribution
    (Model NCII Policy, scope), so the coordinator says why this policy applies, or refers
    the case (bullying and harassment, technology use policy)."""
    if case.conduct != c.Conduct.CREATION_ONLY:
        return []
    if str(detail.get("creation_only_reason", "")).strip():
        return []
    return [
        _(
            "This case is about creation only: nothing was shared. The policy's focus is "
            "distribution; say why this policy applies (for example a threat to share, or "
            "images of a minor), or refer the case under the bullying and harassment policy or "
            "the technology use policy."
        )
    ]


@guard(gettext_lazy("A supportive measure continues"), None)
def measures_to_monitor(case, reason, detail):
    if case.stage != S.REFERRED:
        return []
    open_support = (
        CaseMeasure.objects.current()
        .filter(case=case, kind=CaseMeasure.Kind.SUPPORTIVE)
        .exclude(status=MeasureStatus.ENDED)
    )
    return (
        []
        if open_support.exists()
        else [
            _(
                "Monitoring a referred case is for supportive measures that continue; none is "
                "open. Close the case instead."
            )
        ]
    )


@guard(gettext_lazy("The appeal recorded"), APPEAL_FILE_FORM)
def appeal_pending(case, reason, detail):
    if not Appeal.objects.filter(case=case, decided_at__isnull=True).exists():
        return [_("Record the appeal first: who appeals, on which grounds, and when it came in.")]
    return []


def appeal_decided_as(subject: str, outcomes: tuple[str, ...]) -> Guard:
    """A guard: the case's latest appeal is of ``subject`` and was decided with one of
    ``outcomes`` (the appeal's decision says where the case goes next)."""

    @guard(gettext_lazy("The appeal decided"), APPEALS_FORM)
    def decided_as(case, reason, detail):
        latest = Appeal.objects.filter(case=case).order_by("-pk").first()
        if latest is None or latest.decided_at is None:
            return [_("The appeal decision-maker records the decision first.")]
        if latest.subject != subject or latest.outcome not in outcomes:
            return [Blocker(_("The appeal's decision leads the case elsewhere."))]
        return []

    decided_as.__name__ = f"appeal_{subject}_{'_'.join(outcomes)}"
    return decided_as


# The grounds of a dismissal from Process A: ``choices.DismissalGround`` (34 CFR 106.45(b)(3)).
DISMISSAL_GROUNDS = dict(c.DismissalGround.choices)


@guard(gettext_lazy("The ground of the dismissal"), STEP_FORM)
def dismissal_ground_named(case, reason, detail):
    if detail.get("dismissal_ground") not in DISMISSAL_GROUNDS:
        return [
            _(
                "Choose the ground of the dismissal under 34 CFR 106.45(b)(3), and give the "
                "reason; the case then continues under Process B."
            )
        ]
    return []


def _identified_respondents(case):
    return [
        p
        for p in _current_parties(case)
        if p.role == c.PartyRole.RESPONDENT and p.person_id is not None
    ]


# The to-do panel checks every step of the stage at one moment (``stage_todo``): while it
# does, a read that several guards make (the case's current parties, its informal offers) is
# made once. Everywhere else (a step taken) each guard reads afresh.
_SHARED_READS: ContextVar[dict | None] = ContextVar("guard_shared_reads", default=None)


def _shared(case: Case, name: str, read: Callable[[], Any]):
    memo = _SHARED_READS.get()
    if memo is None:
        return read()
    key = (name, case.pk)
    if key not in memo:
        memo[key] = read()
    return memo[key]


def _current_parties(case: Case) -> list[CaseParty]:
    """The case's current (not withdrawn) parties with their people, in the table's order."""
    return _shared(
        case,
        "parties",
        lambda: list(CaseParty.objects.current().filter(case=case).select_related("person")),
    )


INFORMAL_OPTIONS = (ResolutionOffer.Option.INFORMAL, ResolutionOffer.Option.RESTORATIVE)


def _informal_offers(case: Case) -> list[tuple[int, str, bool]]:
    """The case's informal and restorative offers (withdrawn ones too): ``(party id, choice,
    withdrawn)`` each."""

    def read():
        rows = ResolutionOffer.objects.filter(case=case, option__in=INFORMAL_OPTIONS).values_list(
            "party_id", "choice", "withdrawn_at"
        )
        return [
            (party_id, choice, withdrawn_at is not None) for party_id, choice, withdrawn_at in rows
        ]

    return _shared(case, "offers", read)


CLOSURE_GUARDS = (
    takedowns_resolved,
    obligations_met,
    measures_reviewed,
    notices_logged,
    parent_notifications_decided,
)
EXITS_ASSESSMENT = (minor_reports_decided,)
# Every step out of interim actions (it checks the stage itself).
EXITS_INTERIM = (support_offered_or_explained,)
INVESTIGATING = (S.INTERIM_ACTIONS, S.INVESTIGATION)
BEFORE_DETERMINATION = (S.INITIAL_ASSESSMENT, S.HARM_ASSESSMENT, *INVESTIGATING)
ROUTING_DETAIL = ("respondent_track", "creation_only_reason")
# An appeal of a determination (34 CFR 106.45(b)(8)) comes after the sign-off; an appeal of a
# dismissal, while the case is referred outside this policy. Appeals: ``services.appeals``.
APPEALABLE = (S.REMEDIES, S.MONITORING, S.REFERRED)
DETERMINATION, DISMISSAL = Appeal.Subject.DETERMINATION, Appeal.Subject.DISMISSAL
AFFIRM, MODIFY, REMAND = AppealOutcome.AFFIRM, AppealOutcome.MODIFY, AppealOutcome.REMAND

# --- What the steps set on the case ------------------------------------------------------


def routed_to(process: str) -> Sets:
    """What routing to ``process`` (``choices.Process``) sets: the process, the respondent
    track chosen on the step's form, and the reason as the routing reasoning."""

    def sets(reason, detail, now):
        return {
            "process": process,
            "respondent_track": detail["respondent_track"],
            "routing_reasoning": reason,
        }

    sets.__name__ = f"routed_to_{process}"
    return sets


def referred(reason: str, detail: dict, now: dt.datetime) -> dict[str, Any]:
    """What a referral outside this policy sets: where the case goes and why, the respondent
    track when one was chosen, and the jurisdiction when the conduct is outside it."""
    fields = {
        "process": c.Process.REFERRED,
        "referred_to": str(detail["referred_to"]).strip(),
        "routing_reasoning": reason,
    }
    if detail.get("respondent_track") in c.RespondentTrack.values:
        fields["respondent_track"] = detail["respondent_track"]
    if detail.get("out_of_scope"):
        fields["jurisdiction"] = c.Jurisdiction.OUT_OF_SCOPE
    return fields


def closed(reason: str, detail: dict, now: dt.datetime) -> dict[str, Any]:
    """What closing sets: when, and the reason as the closure summary."""
    return {"closed_at": now, "closure_summary": reason}


def reopened(reason: str, detail: dict, now: dt.datetime) -> dict[str, Any]:
    """What reopening sets: the case is no longer closed (its closure summary is kept)."""
    return {"closed_at": None}


def dismissed_to_process_b(reason: str, detail: dict, now: dt.datetime) -> dict[str, Any]:
    """What a dismissal from Process A sets: Process B, and the routing reasoning naming the
    ground of the dismissal (34 CFR 106.45(b)(3)) and the reason."""
    ground = DISMISSAL_GROUNDS[detail["dismissal_ground"]]
    return {
        "process": c.Process.PROCESS_B,
        "routing_reasoning": f"Dismissed from Process A ({ground}): {reason}",
    }


# --- The table ----------------------------------------------------------------------------
T = Transition
ROUTING_GUARDS = (
    jurisdiction_decided,
    imagery_intimate,
    track_decided,
    creation_only_confirmed,
    *EXITS_ASSESSMENT,
)
TRANSITIONS: tuple[Transition, ...] = (
    T(
        action="begin_assessment",
        sources=(S.INTAKE,),
        target=S.INITIAL_ASSESSMENT,
        permission=Action.TRIAGE,
        label=gettext_lazy("Start the initial assessment"),
    ),
    T(
        action="route_process_b",
        sources=(S.INITIAL_ASSESSMENT,),
        target=S.HARM_ASSESSMENT,
        permission=Action.TRIAGE,
        guards=ROUTING_GUARDS,
        needs_reason=True,
        label=gettext_lazy("Route to Process B"),
        detail_fields=ROUTING_DETAIL,
        sets=routed_to(c.Process.PROCESS_B),
    ),
    T(
        action="route_process_a",
        sources=BEFORE_DETERMINATION,
        target=S.PROCESS_A,
        permission=Action.TRIAGE,
        guards=(*ROUTING_GUARDS, *EXITS_INTERIM),
        needs_reason=True,
        label=gettext_lazy("Route to Process A (formal Title IX)"),
        detail_fields=ROUTING_DETAIL,
        sets=routed_to(c.Process.PROCESS_A),
    ),
    T(
        action="refer",
        sources=BEFORE_DETERMINATION,
        target=S.REFERRED,
        permission=Action.TRIAGE,
        guards=(referral_named, *EXITS_ASSESSMENT, *EXITS_INTERIM),
        needs_reason=True,
        label=gettext_lazy("Refer outside this policy"),
        detail_fields=("referred_to", "respondent_track", "out_of_scope"),
        sets=referred,
    ),
    T(
        action="complete_harm_assessment",
        sources=(S.HARM_ASSESSMENT,),
        target=S.INTERIM_ACTIONS,
        permission=Action.WORK,
        guards=(harm_assessment_completed,),
        label=gettext_lazy("Harm assessment done: interim actions"),
    ),
    T(
        action="begin_investigation",
        sources=(S.INTERIM_ACTIONS,),
        target=S.INVESTIGATION,
        permission=Action.WORK,
        guards=EXITS_INTERIM,
        label=gettext_lazy("Start the investigation"),
    ),
    T(
        action="begin_informal_resolution",
        sources=INVESTIGATING,
        target=S.INFORMAL_RESOLUTION,
        permission=Action.DECIDE,
        guards=(resolution_accepted, *EXITS_INTERIM),
        needs_reason=True,
        label=gettext_lazy("Begin informal / restorative resolution"),
    ),
    T(
        action="informal_resolution_failed",
        sources=(S.INFORMAL_RESOLUTION,),
        target=S.INVESTIGATION,
        permission=Action.WORK,
        needs_reason=True,
        label=gettext_lazy("Informal resolution ended: back to investigation"),
    ),
    T(
        action="informal_agreement_reached",
        sources=(S.INFORMAL_RESOLUTION,),
        target=S.REMEDIES,
        permission=Action.DECIDE,
        needs_reason=True,
        label=gettext_lazy("Agreement reached: remedies"),
    ),
    T(
        action="submit_for_determination",
        sources=(S.INVESTIGATION,),
        target=S.DETERMINATION,
        permission=Action.WORK,
        guards=(respondent_identified,),
        label=gettext_lazy("Investigation done: determination"),
    ),
    T(
        action="issue_determination",
        sources=(S.DETERMINATION,),
        target=S.REMEDIES,
        permission=Action.DECIDE,
        guards=(determinations_complete,),
        label=gettext_lazy("Sign off the determination"),
    ),
    T(
        action="begin_monitoring",
        sources=(S.REMEDIES, S.REFERRED),
        target=S.MONITORING,
        permission=Action.DECIDE,
        guards=(sanctions_match_track, measures_to_monitor),
        label=gettext_lazy("Start monitoring"),
    ),
    T(
        action="close",
        sources=(S.MONITORING, S.PROCESS_A, S.REFERRED),
        target=S.CLOSED,
        permission=Action.DECIDE,
        guards=CLOSURE_GUARDS,
        needs_reason=True,
        label=gettext_lazy("Close the case"),
        sets=closed,
    ),
    T(
        action="reopen",
        sources=(S.CLOSED,),
        target=S.INITIAL_ASSESSMENT,
        permission=Action.DECIDE,
        needs_reason=True,
        label=gettext_lazy("Reopen the case"),
        sets=reopened,
    ),
    # --- Appeals: taken by ``services.appeals`` when an appeal is filed and when decided ---
    T(
        action="begin_appeal",
        sources=APPEALABLE,
        target=S.APPEAL,
        permission=Action.DECIDE,
        guards=(appeal_pending,),
        label=gettext_lazy("Appeal"),
    ),
    T(
        action="appeal_upheld",
        sources=(S.APPEAL,),
        target=S.REMEDIES,
        permission=Action.DECIDE,
        guards=(appeal_decided_as(DETERMINATION, (AFFIRM, MODIFY)),),
        label=gettext_lazy("Appeal decided: remedies and sanctions"),
    ),
    T(
        action="appeal_remanded",
        sources=(S.APPEAL,),
        target=S.INVESTIGATION,
        permission=Action.DECIDE,
        guards=(appeal_decided_as(DETERMINATION, (REMAND,)),),
        label=gettext_lazy("Appeal remanded: back to investigation"),
    ),
    T(
        action="appeal_dismissal_upheld",
        sources=(S.APPEAL,),
        target=S.REFERRED,
        permission=Action.DECIDE,
        guards=(appeal_decided_as(DISMISSAL, (AFFIRM,)),),
        label=gettext_lazy("Appeal decided: the dismissal stands"),
    ),
    T(
        action="appeal_dismissal_reversed",
        sources=(S.APPEAL,),
        target=S.INITIAL_ASSESSMENT,
        permission=Action.DECIDE,
        guards=(appeal_decided_as(DISMISSAL, (MODIFY, REMAND)),),
        label=gettext_lazy("Appeal decided: the case is assessed again"),
    ),
    # --- Process A: a dismissal of the formal complaint continues under Process B ---
    T(
        action="dismiss_to_process_b",
        sources=(S.PROCESS_A,),
        target=S.HARM_ASSESSMENT,
        permission=Action.DECIDE,
        guards=(dismissal_ground_named,),
        needs_reason=True,
        label=gettext_lazy("Dismiss from Process A: continue under Process B"),
        detail_fields=("dismissal_ground",),
        sets=dismissed_to_process_b,
    ),
)
# The actions only the appeal services take (they record the appeal in the same transaction).
SERVICE_ONLY_ACTIONS = frozenset(
    {
        "begin_appeal",
        "appeal_upheld",
        "appeal_remanded",
        "appeal_dismissal_upheld",
        "appeal_dismissal_reversed",
    }
)
BY_ACTION = {t.action: t for t in TRANSITIONS}
# The steps that continue the case along its main path (Process B from intake to closure, an
# informal agreement, a case assessed again): the to-do panel lists them before the others.
MAIN_PATH_ACTIONS = frozenset(
    {
        "begin_assessment",
        "route_process_b",
        "complete_harm_assessment",
        "begin_investigation",
        "submit_for_determination",
        "issue_determination",
        "begin_monitoring",
        "close",
        "informal_agreement_reached",
        "reopen",
    }
)

# The stage clocks (their lengths, school days or hours, and the harm level's scale) live in
# ``clocks``; ``stage_due_at`` is re-exported here for callers of the workflow.
stage_due_at = clocks.stage_due_at


def _apply(case: Case, t: Transition, reason: str, detail: dict, now) -> None:
    """Sets on ``case`` what the step sets besides the stage (``Transition.sets``)."""
    if t.sets is not None:
        for name, value in t.sets(reason, detail, now).items():
            setattr(case, name, value)


def available_transitions(case: Case, user) -> list[Transition]:
    """Returns the transitions the user may take on the case from its current stage (their
    guards are checked when taken, so that the user sees what is missing)."""
    if not any(case.stage in t.sources for t in TRANSITIONS):
        return []
    allowed = actions_for(user, case)  # every right at once: one read of the assignments
    return [t for t in TRANSITIONS if case.stage in t.sources and t.permission in allowed]


REASON_TITLE = gettext_lazy("The reason for this step")


def transition_checklist(
    case: Case, action: str, *, reason: str = "", detail: dict | None = None
) -> list[ChecklistItem]:
    """Returns each condition of the action, in the table's order, with what it finds missing
    now: the reason (for a step that needs one) and every guard. The to-do panel of the case
    page shows these items and ``transition_blockers`` (the refusal) is made from them, so the
    two never disagree. An action impossible from the case's stage has one open item."""
    t = BY_ACTION.get(action)
    if t is None or case.stage not in t.sources:
        message = _("This step is not possible at the case's current stage.")
        return [ChecklistItem(message, (Blocker(message),), None)]
    items = []
    if t.needs_reason:
        message = _("Give the reason for this step; it is kept in the record.")
        missing = () if reason.strip() else (Blocker(message, STEP_FORM),)
        items.append(ChecklistItem(str(REASON_TITLE), missing, STEP_FORM))
    for check in t.guards:
        found = tuple(check(case, reason, dict(detail or {})))
        items.append(ChecklistItem(str(check.title), found, check.target))
    return items


def transition_blockers(
    case: Case, action: str, *, reason: str = "", detail: dict | None = None
) -> list[Blocker]:
    """Returns what stands in the way of the action now (an empty list when nothing does),
    each with the form that records it, so that a screen can say what is missing before
    anyone presses the button. It does not check the user's right: ``available_transitions``
    does."""
    return [
        b
        for item in transition_checklist(case, action, reason=reason, detail=detail)
        for b in item.blockers
    ]


def transition_detail_from_case(case: Case, action: str) -> dict:
    """The choices of the step's own form that the case already holds (the respondent track
    chosen on the track form), for the to-do panel and as the step form's initial values."""
    t = BY_ACTION.get(action)
    if t is None or "respondent_track" not in t.detail_fields:
        return {}
    return {"respondent_track": case.respondent_track} if case.respondent_track else {}


@dataclass(frozen=True)
class StepTodo:
    """One next step of the case's stage on the to-do panel: the transition, its checklist
    (``transition_checklist``, with the step form's values the case already holds) and
    whether nothing is missing but what the step's own form asks."""

    transition: Transition
    items: tuple[ChecklistItem, ...]

    @property
    def ready(self) -> bool:
        return all(i.done or i.target == STEP_FORM for i in self.items)

    @property
    def direct(self) -> bool:
        """Whether the step can be taken with one button on the panel: it asks no reason and
        no choice of its own, is not an appeal service's, and every condition is met."""
        t = self.transition
        return (
            not t.needs_reason
            and not t.detail_fields
            and t.action not in SERVICE_ONLY_ACTIONS
            and all(i.done for i in self.items)
        )


def stage_todo(
    case: Case, transitions: list[Transition], *, parties=None, offers=None
) -> list[StepTodo]:
    """Returns the to-do panel of the case's current stage: for each of ``transitions`` (the
    steps the user may take, ``available_transitions``), every condition as a checklist item.
    The items are the guards' own results, the same ones ``case_transition`` refuses with.
    The step that continues the main path (``MAIN_PATH_ACTIONS``) comes first, the others in
    the table's order. ``parties`` and ``offers``: every party and every resolution offer of
    the case (withdrawn ones too), when the caller has read them all (the case page, for a
    user who reads every party); the guards then read them from these."""
    ordered = sorted(transitions, key=lambda t: t.action not in MAIN_PATH_ACTIONS)
    reads = {}
    if parties is not None:
        reads[("parties", case.pk)] = [p for p in parties if p.withdrawn_at is None]
    if offers is not None:
        reads[("offers", case.pk)] = [
            (o.party_id, o.choice, o.withdrawn_at is not None)
            for o in offers
            if o.option in INFORMAL_OPTIONS
        ]
    token = _SHARED_READS.set(reads)
    try:
        return [
            StepTodo(
                t,
                tuple(
                    transition_checklist(
                        case, t.action, detail=transition_detail_from_case(case, t.action)
                    )
                ),
            )
            for t in ordered
        ]
    finally:
        _SHARED_READS.reset(token)


def _related_reuse(locked: Case, case: Case | None) -> None:
    """Gives the freshly locked case row the school and district the caller's ``case`` was
    read with (the stage clock reads both), when it still points to the same ones: the lock
    is on the case row, and reading them again would only repeat the caller's read."""
    if case is None:
        return
    for relation in (Case.school, Case.district):
        name = relation.field.name
        if relation.is_cached(case) and getattr(case, relation.field.attname) == getattr(
            locked, relation.field.attname
        ):
            setattr(locked, name, getattr(case, name))


def case_transition(
    *,
    actor,
    action: str,
    case: Case | None = None,
    case_id: int | None = None,
    reason: str = "",
    detail: dict | None = None,
    expected_stage: str | None = None,
) -> Case:
    """Takes ``action`` on the case and returns the updated case.

    ``expected_stage``: the stage the actor's page showed (a ``Stage`` value); when the case
    is no longer there, the step is refused as a lost race (``TransitionNotAllowed``), so a
    second click on a page already acted upon records nothing.

    Raises ``Http404`` when the actor may not see the case (it does not exist for them),
    ``TransitionNotAllowed`` when the action is unknown or impossible from the current
    stage (checked on the locked row, so that of two simultaneous calls only one applies),
    ``TransitionForbidden`` when the actor may not take it, and ``GuardFailed`` with the
    list of what is missing (``Blocker`` items: a message and the form that records it) when
    the policy's conditions are not met.

    The staff are notified through the outbox (``outbox.notification_enqueue``): the returned
    case's ``notifications_delayed`` is True when the broker did not answer after the commit
    (the beat relay delivers the notification later), False once published, and None when an
    outer transaction has not committed yet."""
    reason = (reason or "").strip()
    pk = case.pk if case is not None else case_id
    t = BY_ACTION.get(action)
    # Only the keys the transition defines are kept, so a caller cannot overwrite the
    # recorded action or slip other data into the event.
    detail = {k: v for k, v in (detail or {}).items() if t and k in t.detail_fields}
    with transaction.atomic():
        # A case the actor may not see does not exist for them: no stage, no existence.
        # The visibility check is separate from the lock because FOR UPDATE cannot apply to
        # every query ``cases_visible_to`` may build (PostgreSQL).
        if not cases_visible_to(actor, Action.VIEW_METADATA).filter(pk=pk).exists():
            raise Http404("No such case.")
        locked = Case.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            raise Http404("No such case.")
        _related_reuse(locked, case)
        if t is None:
            raise TransitionNotAllowed(_("This step does not exist."))
        if locked.stage not in t.sources or (expected_stage and locked.stage != expected_stage):
            # Most often a lost race: someone else took this step (or another) first.
            raise TransitionNotAllowed(
                _("Someone else already completed this step; the case is now at %(stage)s.")
                % {"stage": locked.get_stage_display()},
                stage=locked.stage,
            )
        if not user_can(actor, t.permission, locked):
            raise TransitionForbidden(_("You may not take this action on this case."))
        problems = transition_blockers(locked, action, reason=reason, detail=detail)
        if problems:
            raise GuardFailed(problems)
        now = timezone.now()
        from_stage = locked.stage
        _apply(locked, t, reason, detail, now)
        locked.stage = t.target
        locked.stage_entered_at = now
        locked.stage_due_at = stage_due_at(
            t.target, locked.priority, now, district=locked.district, school=locked.school
        )
        if getattr(actor, "pk", None):
            locked._history_user = actor
        locked.save()
        event = case_event_record(
            case=locked,
            actor=actor,
            reason=reason,
            **event_details.transition(
                from_stage=from_stage, to_stage=t.target, action=t.action, detail=detail
            ),
        )
        # The outbox row commits with the event: the notification is never lost, and publishing
        # it (after the commit) never fails or holds up the change when the broker is down.
        ticket = notification_enqueue(
            task="ncii_cases.tasks.transition_notify", args=[event.pk], case=locked
        )
    # Set once the relay after the commit has run (None inside an outer transaction).
    locked.notifications_delayed = ticket.delayed
    return locked
