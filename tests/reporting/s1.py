"""Scenario S1 (group-chat "nudify" images of four ninth graders) for the PDF tests: driven
through the real workflow with ``ncii_cases.management.demo`` to the investigation, then on
through the determination, the sanctions and a remedy, as a coordinator would record them."""

import datetime as dt

from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.management import demo
from ncii_cases.models import CaseMeasure, Determination, MeasureStatus, PartyChoice
from ncii_cases.services import determinations as det
from ncii_cases.services import measures
from ncii_cases.services.cases import PartyInput, case_assign, case_create
from ncii_cases.workflow import case_transition
from tests.factories import PersonFactory
from tests.factories_workflow import all_obligations, intervention, measure, platform

# Invented names, unusual enough that finding one in a PDF's text can only mean a leak.
DEPICTED = [
    ("Marisol", "Quenby"),
    ("Tobias", "Wrenfield"),
    ("Ines", "Harrowgate"),
    ("Oskar", "Pemberly"),
]
RESPONDENT = ("Calder", "Fenwright")
PARENT = ("Greta", "Quenby")  # Marisol's mother shares her last name
ALL_NAMES = [*DEPICTED, RESPONDENT, PARENT]

NARRATIVE = (
    "Greta Quenby, the mother of Marisol, emailed the principal on Sunday: a ninth grader "
    "ran classmates' public photos through a 'nudify' app and posted the results to a "
    "Snapchat group of about 30 students on Saturday. Marisol's friends named calder "
    "FENWRIGHT as the sender. Tobias, Ines and Oskar Pemberly are also depicted."
)


def s1_build(*, school, coordinator, investigator, counselor, narrative=NARRATIVE):
    """Returns the S1 case at the monitoring stage, with every section of the summary filled."""
    all_obligations()
    for slug in ("counseling", "no-contact-directive", "take-it-down-guidance", "class-removal"):
        measure(slug)
    platform("snapchat")
    district = school.district

    def person(first, last, **extra):
        return PersonFactory(
            district=district,
            school=school,
            first_name=first,
            last_name=last,
            affiliation=c.Affiliation.STUDENT,
            grade="9",
            email=f"{first.lower()}.{last.lower()}@families.example",
            phone="555-0100",
            **extra,
        )

    depicted = [person(first, last) for first, last in DEPICTED]
    respondent = person(*RESPONDENT)
    parent = PersonFactory(
        district=district,
        first_name=PARENT[0],
        last_name=PARENT[1],
        affiliation=c.Affiliation.NON_AFFILIATED,
        email="greta.parent@families.example",
        phone="555-0199",
    )
    now = timezone.now()
    case = case_create(
        actor=coordinator,
        school=school,
        title="Group chat 'nudify' images of ninth graders",
        narrative=narrative,
        reported_at=now - dt.timedelta(days=3),
        reported_by_name="Greta Quenby (parent)",
        reported_via="Email to the principal",
        occurred_at=now - dt.timedelta(days=4),
        ncii_kind=c.NciiKind.SYNTHETIC,
        conduct=c.Conduct.DISTRIBUTION,
        location=c.Location.OFF_CAMPUS,
        timing=c.Timing.OUT_OF_HOURS,
        reach=c.Reach.GROUP,
        reach_estimate=30,
        platforms=[platform("snapchat")],
        parties=[PartyInput(c.PartyRole.DEPICTED, p, c.Affiliation.STUDENT, True) for p in depicted]
        + [
            PartyInput(c.PartyRole.RESPONDENT, respondent, c.Affiliation.STUDENT, True),
            PartyInput(c.PartyRole.PARENT, parent, c.Affiliation.NON_AFFILIATED, False),
        ],
    )
    case_assign(actor=coordinator, case=case, user=coordinator, role=c.AssignmentRole.LEAD)
    case_assign(actor=coordinator, case=case, user=investigator, role=c.AssignmentRole.INVESTIGATOR)
    case_assign(actor=coordinator, case=case, user=counselor, role=c.AssignmentRole.SUPPORT)
    spec = {
        "stage": c.Stage.INVESTIGATION,
        "jurisdiction": c.Jurisdiction.IN_SCOPE,
        "jurisdiction_facts": "Off campus on a Saturday; Tobias Wrenfield and three other "
        "students of the school are depicted; the images circulated at school on Monday.",
        "jurisdiction_reasoning": "Off campus and out of hours, but it disrupts school on "
        "Monday and involves students of the district, so the district acts.",
        "disrupts_school": True,
        "is_intimate_imagery": True,
        "process": c.Process.PROCESS_B,
        "routing_reasoning": "NCII distributed by a student (Fenwright); Process B applies.",
        "track": c.RespondentTrack.STUDENT,
        "harm": {
            "reach": c.Reach.GROUP,
            "platform_count": 1,
            "circulation": "ongoing",
            "minors_depicted": True,
            "identifiability": "clearly",
        },
        "support": ["counseling", "no-contact-directive", "take-it-down-guidance"],
        "interim": ["class-removal"],
        "hash_takedown": True,
        "platforms": ["snapchat"],
        "location_seen": "Snapchat group chat of about 30 ninth graders",
        "group_name": "grade 9 weekend chat",
        "evidence": "Four edited images posted in a group chat, described by Ines Harrowgate "
        "and another student who saw them; no copy kept.",
        "device_holder": "School resource officer",
    }
    staff = {"coordinator": coordinator, "investigator": investigator, "counselor": counselor}
    case = demo.drive(case=case, spec=spec, staff=staff)

    parties = {
        (p.person.first_name, p.person.last_name): p
        for p in case.parties.filter(person__isnull=False)
    }
    for first, last in DEPICTED:
        offer = measures.resolution_offer_record(
            actor=investigator, case=case, party=parties[first, last], option="restorative"
        )
        measures.resolution_offer_decide(
            actor=investigator,
            offer=offer,
            choice=PartyChoice.DECLINED,
            notes=f"{first} chose not to take part.",
        )
    case = case_transition(
        actor=investigator, case=case, action="submit_for_determination", reason="", detail={}
    )
    responsible = parties[RESPONDENT]
    det.determination_record(
        actor=coordinator,
        case=case,
        respondent=responsible,
        finding=Determination.Finding.RESPONSIBLE,
        standard_of_evidence=Determination.Standard.PREPONDERANCE,
        rationale="The app history and the group's messages show that Calder made and posted "
        "the images.",
    )
    case = case_transition(
        actor=coordinator, case=case, action="issue_determination", reason="", detail={}
    )
    for slug in ("student-suspension", "ncii-education"):
        det.sanction_add(
            actor=coordinator, case=case, respondent=responsible, intervention=intervention(slug)
        )
    measures.measure_add(
        actor=counselor,
        case=case,
        party=parties[DEPICTED[0]],
        kind=CaseMeasure.Kind.REMEDY,
        description="Academic support for Marisol Quenby for the missed tests.",
        owner=counselor,
        status=MeasureStatus.ACTIVE,
    )
    case.refresh_from_db()
    return case
