"""Walks the demo scenarios through the real workflow, so that demo cases carry the records a
correct handling leaves (assessments, measures, takedowns, reports, evidence, notices) and a
timeline of real events. Used by ``seed_demo`` only; every step goes through a service."""

import datetime as dt

from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.models import (
    Case,
    CaseMeasure,
    MeasureStatus,
    ParentNotificationDecision,
    PartyChoice,
    PartyNotice,
    TakedownRequest,
)
from ncii_cases.services import (
    determinations,
    evidence,
    measures,
    notices,
    parents,
    reports,
    takedowns,
)
from ncii_cases.services.cases import PartyInput, case_facts_update, case_party_add
from ncii_cases.services.harm import HarmAnswers, harm_assessment_record
from ncii_cases.workflow import case_transition

S = c.Stage
ORDER = [
    S.INTAKE,
    S.INITIAL_ASSESSMENT,
    S.HARM_ASSESSMENT,
    S.INTERIM_ACTIONS,
    S.INVESTIGATION,
]


def _catalog(district, model, slug):
    return model.objects.for_district(district).get(slug=slug)


def _reached(target: str, stage: str) -> bool:
    return target in ORDER and ORDER.index(target) >= ORDER.index(stage)


def drive(*, case: Case, spec: dict, staff: dict) -> Case:
    """Moves a freshly created case to ``spec['stage']`` through the workflow."""
    from policies.models import Measure, Platform

    boss, worker, counselor = staff["coordinator"], staff["investigator"], staff["counselor"]
    target = spec["stage"]
    if target == S.INTAKE:
        return case

    def go(action, reason="", actor=boss, **detail):
        return case_transition(actor=actor, case=case, action=action, reason=reason, detail=detail)

    def measure(slug):
        return _catalog(case.district, Measure, slug)

    def platform(slug):
        return _catalog(case.district, Platform, slug)

    case = go("begin_assessment")
    case = case_facts_update(
        actor=boss,
        case=case,
        is_intimate_imagery=spec["is_intimate_imagery"],
        jurisdiction=spec["jurisdiction"],
        jurisdiction_facts=spec["jurisdiction_facts"],
        jurisdiction_reasoning=spec["jurisdiction_reasoning"],
        disrupts_school=spec.get("disrupts_school"),
        reason="Initial assessment.",
    )
    for number, report in enumerate(reports.external_reports_sync(actor=worker, case=case), 1):
        reports.external_report_record_made(
            actor=worker,
            report=report,
            reported_at=timezone.now() - dt.timedelta(hours=20),
            reference_number=f"{report.agency_kind[:3].upper()}-{case.pk:03d}{number:02d}",
        )

    process = spec["process"]
    if process == c.Process.PROCESS_A:
        return go("route_process_a", spec["routing_reasoning"], respondent_track=spec["track"])
    if process == c.Process.REFERRED:
        case = go(
            "refer",
            spec["routing_reasoning"],
            referred_to=spec["referred_to"],
            respondent_track=spec["track"],
            out_of_scope=spec["jurisdiction"] == c.Jurisdiction.OUT_OF_SCOPE,
        )
    else:
        case = go("route_process_b", spec["routing_reasoning"], respondent_track=spec["track"])
        harm_assessment_record(actor=worker, case=case, answers=HarmAnswers(**spec["harm"]))

    depicted = list(case.parties.filter(role=c.PartyRole.DEPICTED))
    for party in depicted:
        for slug in spec.get("support", ()):
            row = measure_start(case, party, measure(slug), CaseMeasure.Kind.SUPPORTIVE, counselor)
            measures.measure_choice_record(
                actor=counselor, measure=row, choice=PartyChoice.ACCEPTED
            )
        if party.is_minor is not None and spec.get("hash_takedown"):
            takedowns.takedown_request_create(
                actor=worker,
                case=case,
                platform=platform(spec["platforms"][0]),
                location=spec["location_seen"],
                depicted_party=party,
            )
    if process == c.Process.REFERRED:
        if target == S.MONITORING:
            return go("begin_monitoring")
        if target == S.CLOSED:
            for party in depicted:
                if party.is_minor:
                    parent_decision_now(case, party, worker, boss)
                notice_give(
                    case,
                    party,
                    worker,
                    "Parent or guardian" if party.is_minor else str(party),
                    PartyNotice.Kind.PARENT_NOTIFICATION
                    if party.is_minor
                    else PartyNotice.Kind.OUTCOME,
                    "Explained that the report was reviewed under the bullying and "
                    "harassment policy, and the support available.",
                )
                if party.is_minor:
                    notice_give(
                        case,
                        party,
                        worker,
                        str(party),
                        PartyNotice.Kind.OUTCOME,
                        "Met with the student and explained the outcome.",
                        method=PartyNotice.Method.IN_PERSON,
                    )
            return go("close", spec["closure_summary"])
        return case

    if not _reached(target, S.INTERIM_ACTIONS):
        return case
    case = go("complete_harm_assessment", actor=worker)
    for party in case.parties.filter(role=c.PartyRole.RESPONDENT, person__isnull=False):
        for slug in spec.get("interim", ()):
            measure_start(case, party, measure(slug), CaseMeasure.Kind.INTERIM, worker, owner=boss)
        if party.is_minor:
            _tell_parent(
                case,
                party,
                staff,
                "Told the parent of the report, the interim measures and the next steps.",
            )
    platform_request = takedowns.takedown_request_create(
        actor=worker,
        case=case,
        platform=platform(spec["platforms"][0]),
        location=spec["location_seen"],
        route=TakedownRequest.Route.PLATFORM,
    )
    if platform_request.covered_by_48h_rule or spec["platforms"][0] != "airdrop":
        takedowns.takedown_request_submit(
            actor=worker,
            takedown=platform_request,
            submitted_at=timezone.now() - dt.timedelta(hours=30),
            platform_reference=f"PLT-{case.pk:04d}",
            has_signature=True,
            identifies_content=True,
            good_faith_statement=True,
            has_contact_information=True,
        )
    evidence.evidence_record(
        actor=worker,
        case=case,
        description=spec["evidence"],
        platform=platform(spec["platforms"][0]),
        group_name=spec.get("group_name", ""),
        seen_at=case.occurred_at,
        device_holder=spec.get("device_holder", ""),
    )
    if _reached(target, S.INVESTIGATION):
        case = go("begin_investigation", actor=worker)
        if spec.get("identify"):
            case = _identify_respondents(case=case, people=spec["identify"], staff=staff)
    return case


def _identify_respondents(*, case: Case, people: list, staff: dict) -> Case:
    """The investigation names the respondents who were unknown at intake; their parents are
    notified and the student track applies."""
    worker, boss = staff["investigator"], staff["coordinator"]
    unknown = case.parties.get(role=c.PartyRole.RESPONDENT, person__isnull=True)
    first, *others = people
    parties = [
        determinations.case_party_identify(
            actor=worker,
            party=unknown,
            person=first,
            is_minor=True,
            reason="Identified by the investigation (witness statements).",
        )
    ]
    parties += [
        case_party_add(
            actor=worker,
            case=case,
            party=PartyInput(c.PartyRole.RESPONDENT, person, person.affiliation, True),
        )
        for person in others
    ]
    case = determinations.case_respondent_track_set(
        actor=boss,
        case=case,
        track=c.RespondentTrack.STUDENT,
        reason="Both identified respondents are students.",
    )
    for party in parties:
        _tell_parent(
            case,
            party,
            staff,
            "Told the parent their child was identified in an investigation and "
            "invited them to a meeting.",
        )
    return case


def _tell_parent(case: Case, party, staff: dict, summary: str) -> PartyNotice:
    """A minor party's parent is told by phone by the investigator: the decision to tell them
    now (``parent_decision_now``), then the parent notification notice saying ``summary``."""
    worker = staff["investigator"]
    parent_decision_now(case, party, worker, staff["coordinator"])
    return notice_give(
        case, party, worker, "Parent or guardian", PartyNotice.Kind.PARENT_NOTIFICATION, summary
    )


# Days from a demo measure's start to its review, by kind.
REVIEW_DAYS = {CaseMeasure.Kind.SUPPORTIVE: 14, CaseMeasure.Kind.INTERIM: 10}


def measure_start(case: Case, party, measure, kind: str, actor, *, owner=None) -> CaseMeasure:
    """Adds, by ``actor``, an active measure of ``kind`` (a ``CaseMeasure.Kind`` of
    ``REVIEW_DAYS``) from the catalog ``measure`` for ``party``, owned by ``owner`` (the actor
    unless told), starting today and reviewed after ``REVIEW_DAYS[kind]`` days, through the
    measures service."""
    return measures.measure_add(
        actor=actor,
        case=case,
        party=party,
        kind=kind,
        measure=measure,
        owner=owner or actor,
        starts_on=timezone.localdate(),
        review_on=timezone.localdate() + dt.timedelta(days=REVIEW_DAYS[kind]),
        status=MeasureStatus.ACTIVE,
    )


def parent_decision_now(case: Case, party, actor, approved_by) -> ParentNotificationDecision:
    """The decision to tell a minor's parents now, taken with the student before the notice
    (the closure guard asks for a decision for every minor party) and approved by
    ``approved_by``."""
    return parents.parent_decision_record(
        actor=actor,
        case=case,
        party=party,
        decision=ParentNotificationDecision.Decision.NOTIFY_NOW,
        student_wishes="The student agreed that a parent is told, and asked to be there.",
        approved_by=approved_by,
    )


def notice_give(
    case: Case,
    party,
    actor,
    recipient_name: str,
    kind: str,
    summary: str,
    *,
    method: str = PartyNotice.Method.PHONE,
) -> PartyNotice:
    """Records the notice ``actor`` gave ``recipient_name`` about ``party`` (a
    ``PartyNotice.Kind``, by ``method``, phone unless told) through the notices service."""
    return notices.party_notice_record(
        actor=actor,
        case=case,
        party=party,
        recipient_name=recipient_name,
        kind=kind,
        method=method,
        summary=summary,
    )
