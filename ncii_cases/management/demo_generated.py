"""A year of generated demo cases, so that the queue, the clocks, analytics and the audit pages of
the demo district look like a district's on first run (``seed_demo --size N``).

Every record goes through the services and the workflow, as a coordinator's clicks would write
it: the case timeline, the change history and their hash chains are real and ``verify_audit``
passes. Each step runs at its own moment of the past year: the cases are *stories* (Python
generators that yield the moment of their next step) merged in time order, and
``django.utils.timezone.now`` reads that moment while the step runs, so the audit chains grow
in time order as they would have.

The plan (schools, stages, outcomes, dates, names) comes from one ``random.Random(seed)`` and
the instant the year ends at: the same seed and instant give the same cases. Stage mix and
invented names come from the benchmark's generators (``bench.seed``). Every name is
invented (word lists, no real people).
"""

import datetime as dt
import heapq
import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from unittest import mock

from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.audit import access_event_record
from ncii_cases.clocks import stage_span
from ncii_cases.models import (
    Case,
    CaseMeasure,
    Determination,
    NotificationOutbox,
    PartyChoice,
    PartyNotice,
    ResolutionOffer,
    TakedownRequest,
)
from ncii_cases.services import (
    determinations,
    evidence,
    measures,
    reports,
    takedowns,
)
from ncii_cases.services.cases import (
    PartyInput,
    case_assign,
    case_create,
    case_facts_update,
    person_create,
)
from ncii_cases.services.harm import HarmAnswers, harm_assessment_record
from ncii_cases.workflow import case_transition

from .demo import measure_start, notice_give, parent_decision_now

S = c.Stage
# The shapes of generated cases, shared with the benchmark's seed (bench.seed).
# How often each stage occurs, and the actions that lead to it from intake.
_INVESTIGATING = ["begin_assessment", "route_process_b", "complete_harm_assessment"]
_INVESTIGATING += ["begin_investigation"]
STAGE_PATHS = {
    S.INTAKE: [],
    S.INITIAL_ASSESSMENT: ["begin_assessment"],
    S.HARM_ASSESSMENT: ["begin_assessment", "route_process_b"],
    S.INTERIM_ACTIONS: _INVESTIGATING[:3],
    S.INVESTIGATION: _INVESTIGATING,
    S.INFORMAL_RESOLUTION: [*_INVESTIGATING, "begin_informal_resolution"],
    S.DETERMINATION: [*_INVESTIGATING, "submit_for_determination"],
    S.REMEDIES: [*_INVESTIGATING, "submit_for_determination", "issue_determination"],
    S.MONITORING: [
        *_INVESTIGATING,
        "submit_for_determination",
        "issue_determination",
        "begin_monitoring",
    ],
    S.PROCESS_A: ["begin_assessment", "route_process_a"],
    S.REFERRED: ["begin_assessment", "refer"],
}
CLOSED_PATHS = [
    [*STAGE_PATHS[S.MONITORING], "close"],
    [*STAGE_PATHS[S.REFERRED], "close"],
    [*STAGE_PATHS[S.PROCESS_A], "close"],
]
STAGE_WEIGHTS = {
    S.INTAKE: 5,
    S.INITIAL_ASSESSMENT: 8,
    S.HARM_ASSESSMENT: 6,
    S.INTERIM_ACTIONS: 6,
    S.INVESTIGATION: 12,
    S.INFORMAL_RESOLUTION: 3,
    S.DETERMINATION: 4,
    S.REMEDIES: 4,
    S.MONITORING: 4,
    S.PROCESS_A: 1,
    S.REFERRED: 2,
    S.CLOSED: 45,
}
FIRST_NAMES = [
    "Ash",
    "Bay",
    "Cedar",
    "Dale",
    "Ember",
    "Fern",
    "Gale",
    "Hollis",
    "Indigo",
    "Juniper",
]
FIRST_NAMES += [
    "Kestrel",
    "Lark",
    "Marlow",
    "Nova",
    "Oakley",
    "Piper",
    "Quill",
    "Reed",
    "Sage",
    "Wren",
]
LAST_NAME_STARTS = [
    "Brook",
    "Thorn",
    "Mill",
    "Stone",
    "Fen",
    "Holt",
    "Ridge",
    "Vale",
    "Marsh",
    "Cliff",
]
LAST_NAME_ENDS = [
    "haven",
    "wick",
    "ford",
    "stead",
    "combe",
    "ley",
    "wood",
    "dale",
    "mere",
    "by",
]
GENERATED_NOT_SENT = "Demo history: not sent"
DEFAULT_SIZE = 200
DEFAULT_SEED = 2026
# The year the generated cases span, in days before the anchor instant.
YEAR_DAYS = 365
# Open cases are recent (a district does not leave a case at intake for months); closed ones
# were reported at any time of the year.
OPEN_WITHIN_DAYS = 75

_INVESTIGATION = STAGE_PATHS[S.INVESTIGATION]
# The closed outcomes and their paths: the benchmark's three (through monitoring, referred,
# Process A) split by what ended them, plus an informal agreement and a dismissal from the
# formal process (the complainant withdrew the complaint in writing), after which the conduct
# went to the code of conduct.
OUTCOME_PATHS = {
    "responsible": CLOSED_PATHS[0],
    "not_responsible": CLOSED_PATHS[0],
    "informal": [
        *_INVESTIGATION,
        "begin_informal_resolution",
        "informal_agreement_reached",
        "begin_monitoring",
        "close",
    ],
    "referred": CLOSED_PATHS[1],
    "process_a": CLOSED_PATHS[2],
    "withdrawn": ["begin_assessment", "route_process_a", "dismiss_to_process_b", "refer", "close"],
}
OUTCOME_WEIGHTS = {
    "responsible": 45,
    "not_responsible": 12,
    "informal": 10,
    "referred": 20,
    "process_a": 6,
    "withdrawn": 7,
}
# How the clock of an open case's stage stands at the anchor: met so far (running with time
# left), due within the day, or overdue.
CLOCK_STATES = {"running": 6, "due_today": 2, "overdue": 2}

# The extra schools of the generated district (the scenarios use the first three).
EXTRA_SCHOOLS = [
    ("nhs", "Northgate High School", "9-12"),
    ("crm", "Cedar Ridge Middle School", "6-8"),
    ("raa", "Riverbend Alternative Academy", "7-12"),
]
# More staff of the district, so that the caseloads spread (invented names).
EXTRA_STAFF = [
    ("investigator2", c.Role.INVESTIGATOR, "Avery", "Lindqvist", "Investigator"),
    ("investigator3", c.Role.INVESTIGATOR, "Jules", "Marchetti", "Investigator"),
    ("counselor2", c.Role.SUPPORT_STAFF, "Noor", "Haddadin", "School social worker"),
]

PLATFORMS = ["snapchat", "instagram", "tiktok", "discord", "imessage", "whatsapp", "airdrop"]
PLATFORM_WEIGHTS = [30, 20, 12, 10, 12, 8, 8]
TITLES = {
    "snapchat": "Image shared in a Snapchat group",
    "instagram": "Image posted from an Instagram account",
    "tiktok": "Edited video posted on TikTok",
    "discord": "Images shared in a Discord server",
    "imessage": "Photo forwarded over iMessage",
    "whatsapp": "Photo shared in a WhatsApp group",
    "airdrop": "Image AirDropped to phones at school",
}
REPORTERS = [
    ("A teacher", "In person"),
    ("A parent", "Email to the principal"),
    ("A school counselor", "In person"),
    ("The student", "In person"),
    ("A classmate", "Public report page"),
    ("An assistant principal", "Phone call"),
]


@dataclass
class Plan:
    """One generated case: where, when, who, and how far it goes."""

    number: int
    school: str
    reported_at: dt.datetime
    stage: str
    outcome: str
    path: list[str]
    clock: str
    platform: str
    kind: str
    conduct: str
    respondent: str  # student, employee, unknown (identified later) or non_affiliated
    depicted_adult: bool
    depicted: list[tuple[str, str]] = field(default_factory=list)
    respondent_name: tuple[str, str] = ("", "")
    grade: int = 9
    level_answers: dict = field(default_factory=dict)
    staff: str = ""


def _name(rng) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAME_STARTS) + rng.choice(LAST_NAME_ENDS)


def anchor_of(now: dt.datetime) -> dt.datetime:
    """The instant the generated year ends at: ``now`` to the minute, so that two runs in
    the same minute plan the same dates."""
    return now.replace(second=0, microsecond=0)


def plan_cases(*, size: int, seed: int, anchor: dt.datetime, schools: list[str]) -> list[Plan]:
    """Returns ``size`` plans sorted by report date (a pure function of its arguments).

    Stages follow the benchmark's mix (``STAGE_WEIGHTS``: about 45 % closed); closed cases are
    reported over the whole year, open ones in the last ``OPEN_WITHIN_DAYS`` days."""
    rng = random.Random(seed)  # nosec B311: fictional data, nothing secret
    stages, weights = zip(*STAGE_WEIGHTS.items(), strict=True)
    outcomes, outcome_weights = zip(*OUTCOME_WEIGHTS.items(), strict=True)
    clocks, clock_weights = zip(*CLOCK_STATES.items(), strict=True)
    plans = []
    for number in range(size):
        stage = rng.choices(stages, weights)[0]
        outcome = ""
        if stage == S.CLOSED:
            outcome = rng.choices(outcomes, outcome_weights)[0]
            path = list(OUTCOME_PATHS[outcome])
            days = rng.uniform(40, YEAR_DAYS)
        else:
            path = list(STAGE_PATHS[stage])
            days = rng.uniform(2, OPEN_WITHIN_DAYS) if path else rng.uniform(0.05, 3)
        reported = anchor - dt.timedelta(days=days, minutes=rng.randint(0, 600))
        platform = rng.choices(PLATFORMS, PLATFORM_WEIGHTS)[0]
        respondent = rng.choices(["student", "employee", "unknown"], [70, 8, 22])[0]
        if outcome == "referred" or stage == S.REFERRED:
            respondent = rng.choice(["non_affiliated", "student"])
        if outcome in ("informal", "process_a", "withdrawn") or stage in (
            S.INFORMAL_RESOLUTION,
            S.PROCESS_A,
        ):
            respondent = "student"
        if stage in (S.DETERMINATION, S.REMEDIES, S.MONITORING) and respondent == "unknown":
            respondent = "student"
        depicted_adult = respondent == "employee" and rng.random() < 0.6
        plan = Plan(
            number=number,
            school=rng.choice(schools),
            reported_at=reported,
            stage=stage,
            outcome=outcome,
            path=path,
            clock=rng.choices(clocks, clock_weights)[0],
            platform=platform,
            kind=rng.choices(c.NciiKind.values, [4, 5, 1])[0],
            conduct=rng.choices(
                [c.Conduct.DISTRIBUTION, c.Conduct.THREAT, c.Conduct.SEXTORTION], [8, 1, 1]
            )[0],
            respondent=respondent,
            depicted_adult=depicted_adult,
            grade=rng.randint(6, 12),
            staff=rng.choice(["investigator", "investigator2", "investigator3"]),
        )
        plan.depicted = [_name(rng) for _ in range(rng.choices([1, 2, 3], [7, 2, 1])[0])]
        plan.respondent_name = _name(rng)
        plan.level_answers = {
            "reach": rng.choice([c.Reach.FEW, c.Reach.GROUP, c.Reach.SCHOOL]),
            "platform_count": rng.choice([1, 1, 2]),
            "circulation": rng.choice(["contained", "ongoing", "unknown"]),
            "minors_depicted": not depicted_adult,
            "identifiability": rng.choice(["clearly", "partly"]),
        }
        plans.append(plan)
    plans.sort(key=lambda p: p.reported_at)
    return plans


# --- Running the stories in time order ------------------------------------------------------


@contextmanager
def clock_at(moment: dt.datetime):
    """Makes ``timezone.now()`` (and so every ``auto_now`` field, the audit rows and the
    change history) read ``moment`` inside the block."""
    with mock.patch.object(timezone, "now", lambda: moment):
        yield


def run_in_time_order(stories: list[Iterator[dt.datetime]]) -> None:
    """Runs the stories' steps merged by their moments: each story yields the moment of its
    next step, and the step runs (until the story's next ``yield``) with the clock at it."""
    queue = []
    for index, story in enumerate(stories):
        moment = next(story, None)
        if moment is not None:
            queue.append((moment, index, story))
    heapq.heapify(queue)
    while queue:
        moment, index, story = heapq.heappop(queue)
        with clock_at(moment):
            following = next(story, None)
        if following is not None:
            heapq.heappush(queue, (max(following, moment), index, story))


@contextmanager
def quiet_task_log():
    """Eager Celery logs a line per notification task; thousands of them would drown the
    printed logins."""
    logger = logging.getLogger("celery")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


# --- One case's story -----------------------------------------------------------------------


class Story:
    """Walks one planned case through the services and the workflow; ``steps()`` is the
    generator ``run_in_time_order`` drives."""

    def __init__(self, plan: Plan, ctx: "Context"):
        self.plan, self.ctx = plan, ctx
        self.rng = random.Random(ctx.seed * 100_003 + plan.number)  # nosec B311
        self.case: Case | None = None
        self.boss = ctx.users["coordinator"]
        self.worker = ctx.users[plan.staff]
        self.counselor = ctx.users[self.rng.choice(["counselor", "counselor2"])]
        self.platform_request: TakedownRequest | None = None

    # Times: each transition of the path gets a moment between the case's creation and its
    # end (the anchor for an open case, less how long its stage has run; the closing day for a
    # closed one); the records before a transition fall between it and the one before.
    def _transition_times(self, created: dt.datetime) -> list[dt.datetime]:
        plan, rng, anchor = self.plan, self.rng, self.ctx.anchor
        n = len(plan.path)
        if n == 0:
            return []
        if plan.stage == S.CLOSED:
            end = min(
                anchor - dt.timedelta(days=2), created + dt.timedelta(days=rng.uniform(20, 90))
            )
        else:
            span = stage_span(plan.stage, c.Level.HIGH)
            hours = _span_hours(span) if span else 72
            ran = {
                "running": rng.uniform(0.1, 0.6) * hours,
                "due_today": max(hours - rng.uniform(2, 7), 0.5),
                "overdue": hours + rng.uniform(6, 72),
            }[plan.clock]
            end = max(anchor - dt.timedelta(hours=ran), created + dt.timedelta(hours=n))
            end = min(end, anchor - dt.timedelta(minutes=30))
        span_seconds = max((end - created).total_seconds(), 60.0 * (n + 1))
        cuts = sorted(rng.uniform(0.05, 0.95) for _ in range(max(n - 1, 0)))
        return [created + dt.timedelta(seconds=f * span_seconds) for f in cuts] + [end]

    def steps(self) -> Iterator[dt.datetime]:
        plan, rng = self.plan, self.rng
        created = plan.reported_at + dt.timedelta(minutes=rng.randint(15, 240))
        created = min(created, self.ctx.anchor - dt.timedelta(minutes=40))
        yield created
        self._create()
        times = self._transition_times(created)
        previous = created
        for action, moment in zip(plan.path, times, strict=True):
            before = self._before(action)
            for i, record in enumerate(before, 1):
                yield previous + (moment - previous) * i / (len(before) + 1)
                record()
            yield moment
            self._go(action)
            for record in self._after(action):
                record()
            previous = moment
        # What stays open at the anchor: reports not yet made, a takedown still running.
        tail = self._tail()
        for i, record in enumerate(tail, 1):
            yield previous + (self.ctx.anchor - previous) * i / (len(tail) + 2)
            record()

    # --- Creating the case -------------------------------------------------------------------

    def _create(self) -> None:
        plan, ctx = self.plan, self.ctx
        school = ctx.schools[plan.school]
        grade = str(plan.grade)
        people = []
        for name in plan.depicted:
            if plan.depicted_adult:
                depicted = self._new_person_party(
                    c.PartyRole.DEPICTED,
                    name,
                    c.Affiliation.EMPLOYEE,
                    school,
                    age_in_imagery=c.AgeInImagery.ADULT,
                )
            else:
                depicted = self._new_person_party(
                    c.PartyRole.DEPICTED, name, c.Affiliation.STUDENT, school, grade
                )
            people.append(depicted)
        people.append(self._respondent_input(school, grade))
        reporter, via = self.rng.choice(REPORTERS)
        platform = ctx.platforms.get(plan.platform)
        who = "an employee" if plan.depicted_adult else f"a grade {grade} student"
        self.case = case_create(
            actor=self.boss,
            school=school,
            title=TITLES[plan.platform],
            narrative=(
                f"{reporter} reported that an intimate image of {who} was shared on "
                f"{platform.name if platform else 'a platform'}. Nobody viewed or kept the "
                "image; the report was taken in the reporter's words."
            ),
            reported_at=plan.reported_at,
            reported_by_name=reporter,
            reported_via=via,
            occurred_at=plan.reported_at - dt.timedelta(hours=self.rng.randint(2, 96)),
            ncii_kind=plan.kind,
            conduct=plan.conduct,
            location=self.rng.choice(c.Location.values),
            timing=self.rng.choice(c.Timing.values),
            reach=plan.level_answers["reach"],
            platforms=[platform] if platform else [],
            parties=people,
        )
        case_assign(actor=self.boss, case=self.case, user=self.boss, role=c.AssignmentRole.LEAD)
        if plan.path:
            case_assign(
                actor=self.boss,
                case=self.case,
                user=self.worker,
                role=c.AssignmentRole.INVESTIGATOR,
            )
            case_assign(
                actor=self.boss,
                case=self.case,
                user=self.counselor,
                role=c.AssignmentRole.SUPPORT,
            )

    def _new_person_party(self, role, name, affiliation, school, grade="", **extra) -> PartyInput:
        """A new person of the district named ``name`` (first, last) with ``affiliation`` at
        ``school`` (a student in ``grade``), as the party input of ``role``: a student is a
        minor, anyone else an adult. ``extra``: further ``PartyInput`` fields."""
        first, last = name
        person = person_create(
            district=self.ctx.district,
            first_name=first,
            last_name=last,
            affiliation=affiliation,
            school=school,
            grade=grade,
        )
        return PartyInput(role, person, affiliation, affiliation == c.Affiliation.STUDENT, **extra)

    def _respondent_input(self, school, grade) -> PartyInput:
        plan = self.plan
        name = plan.respondent_name
        if plan.respondent == "student":
            return self._new_person_party(
                c.PartyRole.RESPONDENT, name, c.Affiliation.STUDENT, school, grade
            )
        if plan.respondent == "employee":
            return self._new_person_party(
                c.PartyRole.RESPONDENT, name, c.Affiliation.EMPLOYEE, school
            )
        if plan.respondent == "non_affiliated":
            return PartyInput(
                c.PartyRole.RESPONDENT,
                None,
                c.Affiliation.NON_AFFILIATED,
                False,
                "An adult outside the district, known only by an online account",
            )
        return PartyInput(
            c.PartyRole.RESPONDENT,
            None,
            c.Affiliation.UNKNOWN,
            None,
            "Whoever shared the image (not known at intake)",
        )

    # --- The workflow ------------------------------------------------------------------------

    def _go(self, action: str) -> None:
        plan = self.plan
        track = self._track()
        reasons = {
            "route_process_b": "Distribution of intimate imagery within the school community: "
            "Process B.",
            "route_process_a": "The complainant filed a formal complaint: the formal Title IX "
            "grievance process (Process A) applies.",
            "refer": "Outside this policy's reach: "
            + (
                "the respondent is an adult outside the district."
                if plan.respondent == "non_affiliated"
                else "the conduct is addressed under another policy."
            ),
            "dismiss_to_process_b": "The complainant withdrew the formal complaint in writing; "
            "the conduct is addressed under the student code of conduct.",
            "begin_informal_resolution": "Both parties chose a restorative conversation.",
            "informal_agreement_reached": "Agreement signed: apology, education module, no "
            "further contact.",
            "close": self._closure_summary(),
        }
        detail = {"respondent_track": track}
        if action == "refer":
            detail["referred_to"] = (
                "Law enforcement and the NCMEC CyberTipline"
                if plan.respondent == "non_affiliated"
                else "Student code of conduct"
                if plan.outcome == "withdrawn"
                else "Bullying and harassment policy"
            )
        if action == "dismiss_to_process_b":
            detail["dismissal_ground"] = c.DismissalGround.WITHDRAWN
        actor = self.worker if action in _WORKER_ACTIONS else self.boss
        # The case page was opened before the step, as the access log of a real one shows.
        access_event_record(
            user=actor,
            action="case_detail",
            path=f"/cases/{self.case.pk}/",
            allowed=True,
            case=self.case,
            ip_address=f"10.20.{self.plan.number % 250}.{actor.pk % 250 + 1}",
            user_agent="Mozilla/5.0 (demo)",
        )
        self.case = case_transition(
            actor=actor,
            case=self.case,
            action=action,
            reason=reasons.get(action, ""),
            detail=detail,
        )

    def _track(self) -> str:
        return {
            "student": c.RespondentTrack.STUDENT,
            "employee": c.RespondentTrack.EMPLOYEE,
            "non_affiliated": c.RespondentTrack.NONE,
        }.get(self.plan.respondent, c.RespondentTrack.UNDETERMINED)

    def _closure_summary(self) -> str:
        return {
            "responsible": "Found responsible; sanctions served, the images removed, support "
            "reviewed with the student.",
            "not_responsible": "Not found responsible on the evidence; support continued as "
            "the student wished.",
            "informal": "Closed after the restorative agreement was kept.",
            "referred": "Referred outside this policy; support reviewed before closing.",
            "process_a": "The formal grievance process concluded; its record is kept with the "
            "Title IX file.",
            "withdrawn": "The complaint was withdrawn; the conduct was handled under the code "
            "of conduct.",
        }.get(self.plan.outcome, "Closed.")

    def _before(self, action: str) -> list:
        """The records a coordinator makes before the action (what its guards ask)."""
        plan = self.plan
        if action in ("route_process_b", "route_process_a"):
            return [self._assess_facts, self._settle_reports]
        if action == "refer":
            if self.case.stage == S.INITIAL_ASSESSMENT:
                return [self._assess_facts_out, self._settle_reports]
            return []
        if action == "complete_harm_assessment":
            return [self._harm]
        if action == "begin_investigation":
            return [self._support, self._interim, self._takedown]
        if action == "begin_informal_resolution":
            return [self._evidence, self._identify, self._offers_accepted]
        if action == "submit_for_determination":
            return [self._evidence, self._identify]
        if action == "issue_determination":
            return [self._determination]
        if action == "begin_monitoring":
            return [self._sanctions] if plan.outcome != "informal" else []
        if action == "close":
            return [
                self._takedowns_resolve,
                self._settle_reports,
                self._support_for_referred,
                self._measures_review,
                self._parent_decisions,
                self._notices,
            ]
        return []

    def _after(self, action: str) -> list:
        if action == "dismiss_to_process_b":
            return [self._harm]
        return []

    def _tail(self) -> list:
        """Records of an open case after its last transition, as its stage would have them."""
        stage = self.plan.stage
        if stage == S.INTAKE:
            return []
        if stage == S.INITIAL_ASSESSMENT:
            # Reports may still be pending here: their clocks run (some overdue).
            return [self._reports_some]
        if stage == S.HARM_ASSESSMENT:
            return [self._support] if self.rng.random() < 0.5 else []
        if stage == S.INTERIM_ACTIONS:
            return [self._support, self._takedown]
        if stage == S.INVESTIGATION:
            return [self._evidence]
        return []

    # --- Records -----------------------------------------------------------------------------

    def _assess_facts(self) -> None:
        self.case = case_facts_update(
            actor=self.boss,
            case=self.case,
            is_intimate_imagery=True,
            jurisdiction=c.Jurisdiction.IN_SCOPE,
            jurisdiction_facts="Students or staff of the district; the image circulated among "
            "them and classes were disrupted.",
            jurisdiction_reasoning="Conduct involving members of the school community that "
            "disrupted learning is within the district's reach.",
            disrupts_school=True,
            reason="Initial assessment.",
        )

    def _assess_facts_out(self) -> None:
        intimate = self.plan.respondent == "non_affiliated"
        self.case = case_facts_update(
            actor=self.boss,
            case=self.case,
            is_intimate_imagery=intimate,
            jurisdiction=c.Jurisdiction.IN_SCOPE if intimate else c.Jurisdiction.OUT_OF_SCOPE,
            jurisdiction_facts="A student of the district is targeted."
            if intimate
            else "The image is not intimate (a clothed student, edited to mock).",
            jurisdiction_reasoning="The district supports its student; discipline is not possible."
            if intimate
            else "Not intimate imagery under the policy; bullying instead.",
            disrupts_school=True,
            reason="Initial assessment.",
        )

    def _settle_reports(self, *, share: float = 1.0) -> None:
        """Records the external reports the case triggers: most made within their deadline
        (with the agency's reference), a few late; ``share`` of them."""
        rows = reports.external_reports_sync(actor=self.worker, case=self.case)
        now = timezone.now()
        for number, report in enumerate(rows, 1):
            if report.status != "pending" or self.rng.random() > share:
                continue
            late = self.rng.random() < 0.1
            due = report.due_at or now
            made = due + dt.timedelta(hours=3) if late else due - dt.timedelta(hours=2)
            made = min(max(made, self.case.reported_at), now)
            reports.external_report_record_made(
                actor=self.worker,
                report=report,
                reported_at=made,
                reference_number=f"{report.agency_kind[:3].upper()}-{self.case.pk:04d}-{number}",
            )

    def _reports_some(self) -> None:
        self._settle_reports(share=0.4)

    def _harm(self) -> None:
        harm_assessment_record(
            actor=self.worker, case=self.case, answers=HarmAnswers(**self.plan.level_answers)
        )

    def _depicted(self):
        return list(self.case.parties.current().filter(role=c.PartyRole.DEPICTED))

    def _respondents(self):
        return list(
            self.case.parties.current().filter(role=c.PartyRole.RESPONDENT, person__isnull=False)
        )

    def _support(self) -> None:
        answered = set(
            CaseMeasure.objects.current()
            .filter(case=self.case, kind=CaseMeasure.Kind.SUPPORTIVE)
            .values_list("party_id", flat=True)
        )
        adult = self.plan.depicted_adult
        options = (
            ["employee-assistance", "communication-plan"]
            if adult
            else ["counseling", "take-it-down-guidance", "safety-plan", "academic-support"]
        )
        for party in self._depicted():
            if party.pk in answered:
                continue
            slug = self.rng.choice(options)
            row = measure_start(
                self.case,
                party,
                self.ctx.measure(slug),
                CaseMeasure.Kind.SUPPORTIVE,
                self.counselor,
            )
            choice = PartyChoice.DECLINED if self.rng.random() < 0.15 else PartyChoice.ACCEPTED
            measures.measure_choice_record(actor=self.counselor, measure=row, choice=choice)

    def _interim(self) -> None:
        if self.rng.random() < 0.5:
            return
        slug = "administrative-leave" if self.plan.respondent == "employee" else "class-removal"
        for party in self._respondents():
            measure_start(
                self.case,
                party,
                self.ctx.measure(slug),
                CaseMeasure.Kind.INTERIM,
                self.worker,
                owner=self.boss,
            )

    def _takedown(self) -> None:
        """A removal request to the platform; on a covered platform it is sent with the four
        elements of a valid request, and its 48-hour clock starts when it was sent: long ago
        (then it is resolved or overdue), or within the last two days (running)."""
        if self.platform_request is not None:
            return
        platform = self.ctx.platforms.get(self.plan.platform)
        if platform is None:
            return
        self.platform_request = takedowns.takedown_request_create(
            actor=self.worker,
            case=self.case,
            platform=platform,
            location=f"{platform.name}: account or group named by the reporter",
            route=TakedownRequest.Route.PLATFORM,
        )
        now = timezone.now()
        sent = now - dt.timedelta(hours=self.rng.uniform(0.5, 8))
        sent = max(sent, self.case.reported_at)
        self.platform_request = takedowns.takedown_request_submit(
            actor=self.worker,
            takedown=self.platform_request,
            submitted_at=sent,
            platform_reference=f"PLT-{self.case.pk:04d}",
            has_signature=True,
            identifies_content=True,
            good_faith_statement=True,
            has_contact_information=True,
        )
        open_case = self.plan.stage != S.CLOSED
        # Open cases keep some requests unanswered (their clocks run or are overdue).
        if open_case and self.rng.random() < 0.45:
            return
        self._takedown_outcome()

    def _takedown_outcome(self) -> None:
        request = self.platform_request
        if request is None or request.status != TakedownRequest.Status.SUBMITTED:
            return
        if self.rng.random() < 0.85:
            takedowns.takedown_request_update(
                actor=self.worker,
                takedown=request,
                status=TakedownRequest.Status.REMOVED,
                note="The platform confirmed the removal.",
            )
        else:
            takedowns.takedown_request_update(
                actor=self.worker,
                takedown=request,
                status=TakedownRequest.Status.WAIVED,
                waiver_reason="The post was already gone when checked.",
            )
        self.platform_request.refresh_from_db()

    def _takedowns_resolve(self) -> None:
        self._takedown_outcome()

    def _evidence(self) -> None:
        if self.case.evidence.exists():
            return
        evidence.evidence_record(
            actor=self.worker,
            case=self.case,
            description="The image as described by two students who saw it; no copy kept.",
            platform=self.ctx.platforms.get(self.plan.platform),
            seen_at=self.case.occurred_at,
            device_holder=self.rng.choice(
                ["School resource officer", "The student's family", "Nobody (deleted)"]
            ),
        )

    def _identify(self) -> None:
        if self.plan.respondent != "unknown":
            return
        unknown = self.case.parties.current().filter(
            role=c.PartyRole.RESPONDENT, person__isnull=True
        )
        first, last = self.plan.respondent_name
        school = self.case.school
        for party in unknown:
            person = person_create(
                district=self.ctx.district,
                first_name=first,
                last_name=last,
                affiliation=c.Affiliation.STUDENT,
                school=school,
                grade=str(self.plan.grade),
            )
            determinations.case_party_identify(
                actor=self.worker,
                party=party,
                person=person,
                is_minor=True,
                reason="Identified by the investigation (witness statements).",
            )
        self.case = determinations.case_respondent_track_set(
            actor=self.boss,
            case=self.case,
            track=c.RespondentTrack.STUDENT,
            reason="The identified respondent is a student.",
        )
        self.plan.respondent = "student"

    def _offers_accepted(self) -> None:
        for party in [*self._depicted(), *self._respondents()]:
            measures.resolution_offer_record(
                actor=self.worker,
                case=self.case,
                party=party,
                option=ResolutionOffer.Option.RESTORATIVE,
                choice=PartyChoice.ACCEPTED,
                notes="Chose a facilitated conversation, freely and in writing.",
            )

    def _determination(self) -> None:
        finding = (
            Determination.Finding.RESPONSIBLE
            if self.plan.outcome in ("responsible", "")
            else self.rng.choice(
                [Determination.Finding.NOT_RESPONSIBLE, Determination.Finding.INSUFFICIENT]
            )
        )
        for party in self._respondents():
            determinations.determination_record(
                actor=self.boss,
                case=self.case,
                respondent=party,
                finding=finding,
                standard_of_evidence=Determination.Standard.PREPONDERANCE,
                rationale="Witness statements and the platform's records, weighed together.",
            )

    def _sanctions(self) -> None:
        responsible = Determination.objects.current().filter(
            case=self.case, finding=Determination.Finding.RESPONSIBLE
        )
        employee = self.case.respondent_track == c.RespondentTrack.EMPLOYEE
        choices = (
            ["written-warning", "training", "employee-suspension"]
            if employee
            else ["student-suspension", "ncii-education", "detention", "student-counseling"]
        )
        for determination in responsible.select_related("respondent"):
            for slug in self.rng.sample(choices, self.rng.choice([1, 2])):
                determinations.sanction_add(
                    actor=self.boss,
                    case=self.case,
                    respondent=determination.respondent,
                    intervention=self.ctx.intervention(slug),
                    starts_on=timezone.localdate(),
                )

    def _support_for_referred(self) -> None:
        if self.case.stage == S.REFERRED:
            self._support()

    def _measures_review(self) -> None:
        for row in CaseMeasure.objects.current().filter(
            case=self.case, kind=CaseMeasure.Kind.SUPPORTIVE
        ):
            measures.measure_review(
                actor=self.counselor,
                measure=row,
                end=True,
                note="Reviewed with the student; support no longer needed, by their choice.",
            )

    def _minor_parties(self):
        return [p for p in [*self._depicted(), *self._respondents()] if p.is_minor]

    def _parent_decisions(self) -> None:
        for party in self._minor_parties():
            parent_decision_now(self.case, party, self.worker, self.boss)

    def _notices(self) -> None:
        for party in [*self._depicted(), *self._respondents()]:
            if party.is_minor:
                notice_give(
                    self.case,
                    party,
                    self.worker,
                    "Parent or guardian",
                    PartyNotice.Kind.PARENT_NOTIFICATION,
                    "Told the parent of the outcome and the support available.",
                    method=self.rng.choice([PartyNotice.Method.PHONE, PartyNotice.Method.LETTER]),
                )
            notice_give(
                self.case,
                party,
                self.worker,
                str(party),
                PartyNotice.Kind.OUTCOME,
                "Met and explained the outcome and the support available.",
                method=PartyNotice.Method.IN_PERSON,
            )


# Actions the investigator takes (the others are the coordinator's).
_WORKER_ACTIONS = {"complete_harm_assessment", "begin_investigation", "submit_for_determination"}


def _span_hours(span) -> float:
    # School days counted as calendar days and a half (weekends): close enough to place a
    # demo case's stage entry before, around or after its due time.
    return span.amount * (36 if span.unit == "school_days" else 1)


@dataclass
class Context:
    district: object
    schools: dict
    users: dict
    platforms: dict
    anchor: dt.datetime
    seed: int
    _measures: dict = field(default_factory=dict)
    _interventions: dict = field(default_factory=dict)

    def measure(self, slug):
        from policies.models import Measure

        if slug not in self._measures:
            self._measures[slug] = Measure.objects.for_district(self.district).get(slug=slug)
        return self._measures[slug]

    def intervention(self, slug):
        from policies.models import Intervention

        if slug not in self._interventions:
            self._interventions[slug] = Intervention.objects.for_district(self.district).get(
                slug=slug
            )
        return self._interventions[slug]


def generate(
    *, district, schools: dict, users: dict, size: int, seed: int, now: dt.datetime
) -> list[Plan]:
    """Writes ``size`` generated cases of the past year (ending at ``now``, to the minute) into
    the demo district through the services, and returns their plans in creation order.

    ``schools``: code -> School; ``users``: username -> User, with the demo's coordinator,
    investigators (investigator, investigator2, investigator3) and support staff (counselor,
    counselor2). Raises what the services raise (a refused step is a bug of the generator)."""
    from policies.models import Platform

    anchor = anchor_of(now)
    plans = plan_cases(size=size, seed=seed, anchor=anchor, schools=sorted(schools))
    ctx = Context(
        district=district,
        schools=schools,
        users=users,
        platforms={p.slug: p for p in Platform.objects.filter(district__isnull=True)},
        anchor=anchor,
        seed=seed,
    )
    first_row = NotificationOutbox.objects.order_by("-pk").values_list("pk", flat=True).first()
    with quiet_task_log():
        run_in_time_order([Story(plan, ctx).steps() for plan in plans])
    # The staff notices of a past year's steps are not sent: hundreds of mails about days long
    # gone would bury the demo's inboxes (and, with a real worker, be sent). Their outbox rows
    # are marked handed over, with the reason, so that no relay sends them later.
    NotificationOutbox.objects.filter(pk__gt=first_row or 0, relayed_at__isnull=True).update(
        relayed_at=anchor, last_error=GENERATED_NOT_SENT
    )
    return plans
