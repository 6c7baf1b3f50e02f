"""The harm assessment: a structured instrument whose answers give a harm level, with the
factors that produced it kept beside it. The level becomes the case's priority, which
shortens (or lengthens) the due times of interim actions and investigation
(``clocks.stage_due_at``)."""

from dataclasses import dataclass, replace

from django.db import transaction
from django.utils import timezone

from .. import choices as c
from .. import event_details
from ..audit import case_event_record
from ..clocks import stage_due_at_for_priority
from ..models import Case, HarmAssessment
from ..obligations import case_minor_depicted_by_parties
from ..permissions import Action
from .common import require, require_open, stamp
from .corrections import StaleRecord
from .reports import reports_sync_internal

H = HarmAssessment
REACH_POINTS = {
    c.Reach.NONE: 0,
    c.Reach.FEW: 1,
    c.Reach.UNKNOWN: 1,
    c.Reach.GROUP: 2,
    c.Reach.SCHOOL: 3,
    c.Reach.PUBLIC: 3,
}
CIRCULATION_POINTS = {
    H.Circulation.CONTAINED: 0,
    H.Circulation.UNKNOWN: 1,
    H.Circulation.ONGOING: 2,
}
IDENTIFIABILITY_POINTS = {
    H.Identifiability.NOT: 0,
    H.Identifiability.PARTLY: 1,
    H.Identifiability.CLEARLY: 2,
}
SAFETY_POINTS = {
    H.SafetyRisk.NONE: 0,
    H.SafetyRisk.LOW: 1,
    H.SafetyRisk.ELEVATED: 2,
    H.SafetyRisk.IMMINENT: 3,
}
IMPACT_POINTS = {
    H.Impact.NOT_REPORTED: 0,
    H.Impact.MILD: 1,
    H.Impact.SIGNIFICANT: 2,
    H.Impact.SEVERE: 3,
}
# Score thresholds, highest first.
THRESHOLDS = ((8, c.Level.CRITICAL), (5, c.Level.HIGH), (3, c.Level.MODERATE), (0, c.Level.LOW))


@dataclass(frozen=True)
class HarmAnswers:
    reach: str = c.Reach.UNKNOWN
    platform_count: int = 0
    circulation: str = H.Circulation.UNKNOWN
    minors_depicted: bool = False
    identifiability: str = H.Identifiability.PARTLY
    threats_or_sextortion: bool = False
    safety_risk: str = H.SafetyRisk.NONE
    impact: str = H.Impact.NOT_REPORTED


def harm_level_compute(answers: HarmAnswers) -> tuple[str, list[str]]:
    """Returns the harm level and the factors that produced it, in plain words.

    Points add up the spread and the impact; some facts set a floor whatever the points:
    a minor depicted, threats or sextortion, elevated safety risk or severe impact make it at
    least high; imminent danger makes it critical."""
    score = 0
    factors: list[str] = []
    floor = c.Level.LOW

    def add(points: int, text: str) -> None:
        nonlocal score
        if points:
            score += points
            factors.append(f"{text} (+{points})")

    def at_least(level: str, text: str) -> None:
        nonlocal floor
        factors.append(f"{text}: at least {c.Level(level).label.lower()}")
        if c.LEVEL_RANK[level] > c.LEVEL_RANK[floor]:
            floor = level

    add(REACH_POINTS[answers.reach], f"Reach: {c.Reach(answers.reach).label.lower()}")
    if answers.platform_count >= 2:
        add(1, f"Seen on {answers.platform_count} platforms")
    add(
        CIRCULATION_POINTS[answers.circulation],
        f"Circulation: {H.Circulation(answers.circulation).label.lower()}",
    )
    add(
        IDENTIFIABILITY_POINTS[answers.identifiability],
        f"Identifiability: {H.Identifiability(answers.identifiability).label.lower()}",
    )
    add(
        SAFETY_POINTS[answers.safety_risk],
        f"Safety risk: {H.SafetyRisk(answers.safety_risk).label}",
    )
    add(IMPACT_POINTS[answers.impact], f"Impact reported: {H.Impact(answers.impact).label}")
    if answers.threats_or_sextortion:
        add(2, "Threats or sextortion")
        at_least(c.Level.HIGH, "Threats or sextortion")
    if answers.minors_depicted:
        at_least(c.Level.HIGH, "A minor is depicted")
    if answers.safety_risk == H.SafetyRisk.ELEVATED:
        at_least(c.Level.HIGH, "Elevated safety risk")
    if answers.safety_risk == H.SafetyRisk.IMMINENT:
        at_least(c.Level.CRITICAL, "Imminent danger")
    if answers.impact == H.Impact.SEVERE:
        at_least(c.Level.HIGH, "Severe impact on the depicted person")
    by_points = next(level for threshold, level in THRESHOLDS if score >= threshold)
    factors.append(f"Score {score}: {c.Level(by_points).label.lower()}")
    level = by_points if c.LEVEL_RANK[by_points] >= c.LEVEL_RANK[floor] else floor
    return level, factors


@transaction.atomic
def harm_assessment_record(
    *,
    actor,
    case: Case,
    answers: HarmAnswers,
    impact_statement: str = "",
    complete: bool = True,
    version: int | None = None,
) -> HarmAssessment:
    """Records (or updates) the case's harm assessment, computes its level and factors, sets
    the case's priority to the level, and returns the assessment. ``complete`` marks it done,
    which the workflow requires before interim actions.

    ``version`` is the assessment's version the form showed (0: the form showed none yet;
    None: the caller showed no form). Raises ``StaleRecord`` when the assessment changed (or
    was first recorded by someone else) since, so that no answer another user gave is
    silently overwritten; ``ValidationError`` for a closed case."""
    require(actor, Action.WORK, case)
    require_open(case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    # A minor recorded as depicted always counts, whatever the form's box says.
    answers = replace(
        answers, minors_depicted=answers.minors_depicted or case_minor_depicted_by_parties(case)
    )
    level, factors = harm_level_compute(answers)
    existing = HarmAssessment.objects.filter(case=case).first()
    if version is not None and int(version) != (existing.version if existing else 0):
        raise StaleRecord()
    assessment = existing or HarmAssessment(case=case)
    for field, value in vars(answers).items():
        setattr(assessment, field, value)
    assessment.impact_statement = impact_statement
    assessment.level = level
    assessment.factors = factors
    now = timezone.now()
    if complete:
        assessment.completed_at = now
        assessment.completed_by = actor
    assessment.full_clean()
    stamp(assessment, actor).save()
    if case.priority != level:
        case.priority = level
        # The current stage's clock follows the new priority when the stage is scaled by it
        # (and was not extended for good cause: clocks.stage_due_at_for_priority).
        case.stage_due_at = stage_due_at_for_priority(case, level)
        stamp(case, actor).save(update_fields=["priority", "stage_due_at", "updated_at", "version"])
    case_event_record(
        case=case,
        actor=actor,
        **event_details.harm_assessed(level=level, factors=factors, completed=complete),
    )
    reports_sync_internal(actor=actor, case=case)
    return assessment
