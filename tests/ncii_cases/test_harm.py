"""The harm instrument: answers give a level, the factors behind it are shown, and the level
becomes the case's priority."""

import pytest

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import CaseEvent, HarmAssessment
from ncii_cases.services.harm import HarmAnswers, harm_assessment_record, harm_level_compute
from ncii_cases.workflow import TransitionForbidden

H = HarmAssessment


def test_contained_unidentifiable_imagery_seen_by_few_is_low():
    level, factors = harm_level_compute(
        HarmAnswers(
            reach=c.Reach.FEW,
            circulation=H.Circulation.CONTAINED,
            identifiability=H.Identifiability.NOT,
        )
    )
    assert level == c.Level.LOW
    assert factors == ["Reach: a few people (under 10) (+1)", "Score 1: low"]


def test_wide_ongoing_circulation_of_a_minor_is_high_with_its_factors():
    # Given the answers of a group-chat case with minors depicted (S1)
    answers = HarmAnswers(
        reach=c.Reach.GROUP,
        circulation=H.Circulation.ONGOING,
        minors_depicted=True,
        identifiability=H.Identifiability.CLEARLY,
    )
    # When the level is computed
    level, factors = harm_level_compute(answers)
    # Then it is high, and each factor that produced it is shown
    assert level == c.Level.HIGH
    assert "Reach: a group or class (10 to 50) (+2)" in factors
    assert "Circulation: still circulating (+2)" in factors
    assert "A minor is depicted: at least high" in factors
    assert factors[-1] == "Score 6: high"


def test_a_minor_depicted_makes_it_at_least_high_whatever_the_points():
    level, _ = harm_level_compute(
        HarmAnswers(reach=c.Reach.NONE, circulation="contained", minors_depicted=True)
    )
    assert level == c.Level.HIGH


def test_imminent_danger_is_critical():
    level, factors = harm_level_compute(
        HarmAnswers(reach=c.Reach.FEW, safety_risk=H.SafetyRisk.IMMINENT)
    )
    assert level == c.Level.CRITICAL
    assert "Imminent danger: at least critical" in factors


def test_many_aggravating_answers_add_up_to_critical():
    level, _ = harm_level_compute(
        HarmAnswers(
            reach=c.Reach.PUBLIC,
            platform_count=3,
            circulation=H.Circulation.ONGOING,
            identifiability=H.Identifiability.CLEARLY,
            impact=H.Impact.SIGNIFICANT,
        )
    )
    assert level == c.Level.CRITICAL


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (HarmAnswers(threats_or_sextortion=True), c.Level.HIGH),
        (HarmAnswers(safety_risk=H.SafetyRisk.ELEVATED), c.Level.HIGH),
        (HarmAnswers(impact=H.Impact.SEVERE), c.Level.HIGH),
        (HarmAnswers(), c.Level.MODERATE),
    ],
    ids=["sextortion", "elevated-risk", "severe-impact", "unknowns"],
)
def test_floors_of_the_instrument(answers, expected):
    assert harm_level_compute(answers)[0] == expected


def test_recording_the_assessment_sets_priority_and_writes_an_event(case, investigator):
    # Given a case in harm assessment, worked by its investigator
    case.stage = c.Stage.HARM_ASSESSMENT
    case.save()
    # When the investigator records a high-harm assessment
    assessment = harm_assessment_record(
        actor=investigator,
        case=case,
        answers=HarmAnswers(reach=c.Reach.SCHOOL, minors_depicted=True),
        impact_statement="I could not go to class.",
    )
    # Then level, factors and completion are stored, the case's priority follows
    case.refresh_from_db()
    assert assessment.level == c.Level.HIGH and assessment.completed_by == investigator
    assert case.priority == c.Level.HIGH
    event = CaseEvent.objects.filter(case=case, event_type=EventType.HARM_ASSESSED).get()
    assert event.detail["level"] == "high" and event.detail["factors"] == assessment.factors
    assert assessment.history.first().history_user == investigator


def test_recording_again_updates_the_same_assessment(case, investigator):
    harm_assessment_record(actor=investigator, case=case, answers=HarmAnswers(), complete=False)
    again = harm_assessment_record(
        actor=investigator, case=case, answers=HarmAnswers(minors_depicted=True)
    )
    assert HarmAssessment.objects.filter(case=case).count() == 1
    assert again.completed_at is not None and again.level == c.Level.HIGH


def test_support_staff_cannot_record_the_assessment(case, counselor):
    with pytest.raises(TransitionForbidden):
        harm_assessment_record(actor=counselor, case=case, answers=HarmAnswers())
    assert not HarmAssessment.objects.filter(case=case).exists()


def test_given_a_minor_depicted_when_the_form_says_no_minor_then_the_level_counts_the_minor(
    case, investigator
):
    # Given a case with a depicted party recorded as under 18
    from tests.factories import CasePartyFactory

    CasePartyFactory(case=case, role=c.PartyRole.DEPICTED, is_minor=True)
    # When the assessment is recorded with the minors box left unticked
    assessment = harm_assessment_record(
        actor=investigator,
        case=case,
        answers=HarmAnswers(reach=c.Reach.NONE, circulation="contained"),
    )
    # Then the minor counts: the level is at least high
    assert assessment.minors_depicted is True
    assert assessment.level == c.Level.HIGH
    assert "A minor is depicted: at least high" in assessment.factors
