"""Which reports a case triggers, and on what terms: the one place of the report-trigger rules.

What belongs here: the age rule (does the imagery show a minor), the triggers a case's facts
meet, the obligations of the district's reporting profile those triggers bring, and which of
them still wait for a decision. What does not: writing the external-report rows and their
events (``services/reports.py``, which asks this module), the clocks (``clocks.py``), and the
deadlines themselves (the district's ``policies.ReportingProfile``, data).

This module sits below the workflow: ``workflow.py`` and the services import it, it imports
neither. Sources of each rule: docs/policy-rules.md, "Report obligations".
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.models import ReportingObligation, ReportingProfile, ReportingProfileLine

from . import choices as c
from .models import Case, CaseParty, ExternalReport, HarmAssessment

Trigger = ReportingObligation.Trigger
Age = c.AgeInImagery

# Triggers that concern a minor: their decision cannot wait past the initial assessment.
MINOR_TRIGGERS = frozenset(
    {
        Trigger.MINOR_DEPICTED,
        Trigger.AUTHENTIC_MINOR,
        Trigger.SYNTHETIC_MINOR,
        Trigger.SEXTORTION,
        Trigger.ADULT_RESPONDENT_MINOR,
    }
)


def party_age_in_imagery(party: CaseParty) -> str:
    """Returns the ``AgeInImagery`` value the rules use for a party: the recorded answer, and
    "under 18" for an unknown answer when the person is under 18 today (imagery that exists
    was made before today, so it shows them under 18 too)."""
    if party.age_in_imagery != Age.UNKNOWN:
        return party.age_in_imagery
    return Age.UNDER_18 if party.is_minor else Age.UNKNOWN


def imagery_shows_minor(parties: list[CaseParty], assessment: HarmAssessment | None) -> bool:
    """Whether the case's imagery shows a person under 18, for every report duty.

    True when a depicted person is under 18 in the imagery; or when the age in the imagery is
    not known (no depicted person recorded, or one of unknown age) and the harm assessment
    answers that a person under 18 is shown. The age is the one in the imagery, not today's:
    imagery made at 17 stays child sexual abuse material when the person turns 18
    (18 U.S.C. 2256(8) defines it by the minor depicted), whether authentic or AI-made
    (2256(8)(B)-(C), 1466A)."""
    ages = [party_age_in_imagery(p) for p in parties if p.role == c.PartyRole.DEPICTED]
    if Age.UNDER_18 in ages:
        return True
    unknown = not ages or Age.UNKNOWN in ages
    return unknown and assessment is not None and assessment.minors_depicted


def _assessment_of(case: Case) -> HarmAssessment | None:
    if not case.pk:
        return None
    return HarmAssessment.objects.filter(case=case).first()


def case_minor_depicted(case: Case) -> bool:
    """Whether the case's imagery shows a minor (``imagery_shows_minor`` on its current
    parties and harm assessment). Runs two queries."""
    parties = list(CaseParty.objects.current().filter(case=case))
    return imagery_shows_minor(parties, _assessment_of(case))


def case_minor_depicted_by_parties(case: Case) -> bool:
    """Whether a recorded depicted person is under 18 in the imagery (the parties alone, not
    the harm assessment: what the harm assessment's own answer is checked against)."""
    parties = CaseParty.objects.current().filter(case=case, role=c.PartyRole.DEPICTED)
    return any(party_age_in_imagery(p) == Age.UNDER_18 for p in parties)


def case_triggers(case: Case) -> set[str]:
    """Returns the ``ReportingObligation.Trigger`` values the case's facts meet. Imagery found
    not intimate triggers nothing (the case leaves this policy).

    - the imagery shows a minor (``imagery_shows_minor``): MINOR_DEPICTED (child-protection
      report under the state's mandated-reporter law; the CyberTipline, 18 U.S.C. 2258A),
      and for authentic imagery AUTHENTIC_MINOR, for AI-made or altered imagery or imagery
      of a kind not yet known SYNTHETIC_MINOR (computer-generated sexual imagery of an
      identifiable minor: 18 U.S.C. 2256(8)(C), 1466A), with threats or sextortion SEXTORTION,
      with an adult (18 or over now) or employee respondent ADULT_RESPONDENT_MINOR;
    - an employee respondent: EMPLOYEE_RESPONDENT (licensing rules, where the state has them).
    """
    if case.is_intimate_imagery is False:
        return set()
    parties = list(CaseParty.objects.current().filter(case=case)) if case.pk else []
    assessment = _assessment_of(case)
    respondents = [p for p in parties if p.role == c.PartyRole.RESPONDENT]
    coercion = case.conduct in (c.Conduct.SEXTORTION, c.Conduct.THREAT) or bool(
        assessment is not None and assessment.threats_or_sextortion
    )
    employee_respondent = any(c.Affiliation.EMPLOYEE in p.affiliation_values for p in respondents)
    triggers = set()
    if imagery_shows_minor(parties, assessment):
        triggers.add(Trigger.MINOR_DEPICTED)
        if case.ncii_kind == c.NciiKind.AUTHENTIC:
            triggers.add(Trigger.AUTHENTIC_MINOR)
        else:
            triggers.add(Trigger.SYNTHETIC_MINOR)
        if coercion:
            triggers.add(Trigger.SEXTORTION)
        if employee_respondent or any(p.is_minor is False for p in respondents):
            triggers.add(Trigger.ADULT_RESPONDENT_MINOR)
    if employee_respondent:
        triggers.add(Trigger.EMPLOYEE_RESPONDENT)
    return triggers


@dataclass(frozen=True)
class Step:
    """One report to make for an obligation: its step and its deadline in elapsed hours from
    the moment staff learned of the case."""

    step: str
    deadline_hours: int


@dataclass(frozen=True)
class Duty:
    """An obligation a case triggers, on the terms of the district's reporting profile."""

    obligation: ReportingObligation
    line: ReportingProfileLine

    @property
    def steps(self) -> tuple[Step, ...]:
        """A single report, or an oral then a written one, each with its own deadline."""
        if self.line.two_step:
            return (
                Step(c.ReportStep.ORAL, self.line.oral_deadline_hours or self.line.deadline_hours),
                Step(c.ReportStep.WRITTEN, self.line.deadline_hours),
            )
        return (Step(c.ReportStep.SINGLE, self.line.deadline_hours),)


def profile_lines_for_district(district) -> list[ReportingProfileLine]:
    """The active lines of the reporting profile that applies to the district (its own, or
    the generic default), whose obligation is active and applies to the district (a shared
    catalog row it has not replaced, or its own)."""
    profile = ReportingProfile.objects.for_district(district)
    if profile is None:
        return []
    applicable = ReportingObligation.objects.for_district(district)
    return list(
        profile.lines.filter(active=True, obligation__in=applicable)
        .select_related("obligation")
        .order_by("obligation__sort_order", "obligation__pk")
    )


def duties_triggered(case: Case) -> list[Duty]:
    """Returns the obligations of the district's reporting profile whose trigger the case
    meets, each with its profile line (deadlines, one or two steps)."""
    triggers = case_triggers(case)
    if not triggers:
        return []
    return [
        Duty(obligation=line.obligation, line=line)
        for line in profile_lines_for_district(case.district)
        if line.obligation.trigger in triggers
    ]


def obligations_triggered(case: Case) -> list[ReportingObligation]:
    """Returns the district's obligations (catalog rows) whose trigger the case meets."""
    return [d.obligation for d in duties_triggered(case)]


def obligations_undecided(case: Case, *, minors_only: bool = False) -> list[ReportingObligation]:
    """Returns triggered obligations with a step that has no recorded decision (report made,
    or not required with an explanation). A two-step report is decided when both its oral
    and its written step are."""
    rows = ExternalReport.objects.filter(case=case, obligation__isnull=False)
    decided = {
        (oid, step)
        for oid, step in rows.exclude(status=ExternalReport.Status.PENDING).values_list(
            "obligation_id", "step"
        )
    }
    return [
        d.obligation
        for d in duties_triggered(case)
        if (not minors_only or d.obligation.trigger in MINOR_TRIGGERS)
        and any((d.obligation.pk, s.step) not in decided for s in d.steps)
    ]


def report_key(
    report: ExternalReport | None = None, *, obligation_id: int | None = None, step: str = ""
) -> str:
    """The external reports page's name of a report: the id of an existing row, or
    ``o<obligation id>-<step>`` for a report the case triggers that has no row yet (the
    save's sync creates it)."""
    if report is not None:
        return str(report.pk)
    return f"o{obligation_id}-{step}"
