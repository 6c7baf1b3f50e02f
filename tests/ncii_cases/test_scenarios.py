"""The six scenarios of the design notes, driven through the services from intake to their
correct end, asserting the facts each one says a correct handling records."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import (
    CaseEvent,
    CaseMeasure,
    CaseParty,
    Determination,
    ExternalReport,
    MeasureStatus,
    ParentNotificationDecision,
    PartyChoice,
    PartyNotice,
    SupportingDocument,
    TakedownRequest,
)
from ncii_cases.parents import parties_needing_decision
from ncii_cases.services import determinations as det
from ncii_cases.services import evidence, measures, notices, reports, takedowns
from ncii_cases.services.cases import PartyInput, case_assign, case_create, case_facts_update
from ncii_cases.services.harm import HarmAnswers, harm_assessment_record
from ncii_cases.services.parents import parent_decision_record
from ncii_cases.tasks import deadlines_remind
from ncii_cases.workflow import GuardFailed, case_transition
from tests.factories import PersonFactory
from tests.factories_workflow import (
    TAKEDOWN_ELEMENTS,
    all_obligations,
    intervention,
    measure,
    platform,
)

K = CaseMeasure.Kind
P = c.PartyRole
SUNDAY = dt.datetime(2026, 3, 8, 19, 0, tzinfo=dt.UTC)


@pytest.fixture
def staff(coordinator, investigator, counselor):
    all_obligations()
    return {"coordinator": coordinator, "investigator": investigator, "counselor": counselor}


def open_case(staff, school, *, parties, platforms=(), **facts):
    """Intake by the coordinator, with the investigator and counselor assigned."""
    boss = staff["coordinator"]
    case = case_create(
        actor=boss,
        school=school,
        parties=parties,
        platforms=[platform(p) for p in platforms],
        reported_at=facts.pop("reported_at", timezone.now() - dt.timedelta(hours=2)),
        **facts,
    )
    case_assign(actor=boss, case=case, user=boss, role=c.AssignmentRole.LEAD)
    case_assign(
        actor=boss, case=case, user=staff["investigator"], role=c.AssignmentRole.INVESTIGATOR
    )
    case_assign(actor=boss, case=case, user=staff["counselor"], role=c.AssignmentRole.SUPPORT)
    return case


def student(school, *, minor=True, last="Student"):
    person = PersonFactory(
        district=school.district, school=school, affiliation=c.Affiliation.STUDENT, last_name=last
    )
    return PartyInput(P.DEPICTED, person, c.Affiliation.STUDENT, minor)


def as_role(party_input, role):
    return PartyInput(
        role,
        party_input.person,
        party_input.affiliation,
        party_input.is_minor,
        party_input.description,
    )


def go(staff, who, case, action, reason="", **detail):
    return case_transition(actor=staff[who], case=case, action=action, reason=reason, detail=detail)


def assess_in_scope(staff, case, reasoning):
    go(staff, "coordinator", case, "begin_assessment")
    return case_facts_update(
        actor=staff["coordinator"],
        case=case,
        is_intimate_imagery=True,
        jurisdiction=c.Jurisdiction.IN_SCOPE,
        jurisdiction_facts="Students of the district are depicted and involved.",
        jurisdiction_reasoning=reasoning,
        disrupts_school=True,
        reason="Initial assessment.",
    )


def make_reports(staff, case, *, slugs=None):
    """Makes every triggered report (or those named), each with its own reference."""
    made = {}
    for report in reports.external_reports_sync(actor=staff["investigator"], case=case):
        if slugs is None or report.obligation.slug in slugs:
            made[report.obligation.slug] = reports.external_report_record_made(
                actor=staff["investigator"],
                report=report,
                reported_at=timezone.now(),
                reference_number=f"REF-{report.obligation.slug}-{case.pk}",
            )
    return made


def support(staff, case, party, *slugs, choice=PartyChoice.ACCEPTED):
    rows = []
    for slug in slugs:
        row = measures.measure_add(
            actor=staff["counselor"],
            case=case,
            party=party,
            kind=K.SUPPORTIVE,
            measure=measure(slug),
            owner=staff["counselor"],
            review_on=timezone.localdate() + dt.timedelta(days=14),
        )
        rows.append(
            measures.measure_choice_record(actor=staff["counselor"], measure=row, choice=choice)
        )
    return rows


def decide_to_notify_parents(staff, case):
    """Records, for each minor party without one, the decision to tell their parents now
    (taken with the student, approved by the coordinator)."""
    decided = set(case.parent_decisions.values_list("party_id", flat=True))
    for party in parties_needing_decision(case):
        if party.pk not in decided:
            parent_decision_record(
                actor=staff["investigator"],
                case=case,
                party=party,
                decision=ParentNotificationDecision.Decision.NOTIFY_NOW,
                student_wishes="Agreed that a parent is told.",
                approved_by=staff["coordinator"],
            )


def notify_everyone(staff, case):
    """Logs a notice to each depicted person and identified respondent, and, as decided with
    each minor, a parent or guardian notification."""
    decide_to_notify_parents(staff, case)
    for party in case.parties.filter(role__in=[P.DEPICTED, P.RESPONDENT], person__isnull=False):
        kinds = [PartyNotice.Kind.OUTCOME]
        if party.is_minor:
            kinds.append(PartyNotice.Kind.PARENT_NOTIFICATION)
        for kind in kinds:
            notices.party_notice_record(
                actor=staff["investigator"],
                case=case,
                party=party,
                recipient_name="Parent or guardian" if kind == "parent" else str(party),
                kind=kind,
                method=PartyNotice.Method.PHONE,
                summary="Explained what the school did and the support available.",
            )


def review_support(staff, case, *, keep_open=False):
    for row in case.measures.filter(kind=K.SUPPORTIVE).exclude(status=MeasureStatus.ENDED):
        measures.measure_review(
            actor=staff["counselor"],
            measure=row,
            end=not keep_open,
            next_review_on=timezone.localdate() + dt.timedelta(days=30) if keep_open else None,
        )


def actions(case):
    return list(
        CaseEvent.objects.filter(case=case, event_type=EventType.TRANSITION).values_list(
            "detail__action", flat=True
        )
    )


def test_s1_group_chat_nudify_images_of_four_minors(staff, school):
    # Intake: a parent's Sunday email about Saturday's Snapchat group posts
    depicted = [student(school, last=f"Depicted{i}") for i in range(4)]
    sender = as_role(student(school, last="Sender"), P.RESPONDENT)
    case = open_case(
        staff,
        school,
        title="Group chat 'nudify' images",
        narrative="A parent emailed the principal about edited images posted to a group chat.",
        reported_at=SUNDAY,
        ncii_kind=c.NciiKind.SYNTHETIC,
        conduct=c.Conduct.DISTRIBUTION,
        location=c.Location.OFF_CAMPUS,
        timing=c.Timing.OUT_OF_HOURS,
        reach=c.Reach.GROUP,
        reach_estimate=30,
        platforms=["snapchat"],
        parties=[*depicted, sender],
    )
    minors = list(case.parties.filter(role=P.DEPICTED))
    respondent = case.parties.get(role=P.RESPONDENT)

    # Initial assessment: in scope although off campus; both child reports made
    case = assess_in_scope(
        staff,
        case,
        "Off campus and out of hours, but it disrupts school on Monday and involves "
        "students of the district.",
    )
    made = make_reports(staff, case)
    go(
        staff,
        "coordinator",
        case,
        "route_process_b",
        "Student respondent: Process B.",
        respondent_track=c.RespondentTrack.STUDENT,
    )

    # Harm assessment: wide reach, minors, ongoing circulation
    harm = harm_assessment_record(
        actor=staff["investigator"],
        case=case,
        answers=HarmAnswers(
            reach=c.Reach.GROUP,
            platform_count=1,
            circulation="ongoing",
            minors_depicted=True,
            identifiability="clearly",
        ),
    )
    go(staff, "investigator", case, "complete_harm_assessment")

    # Interim actions
    for minor in minors:
        support(staff, case, minor, "counseling", "no-contact-directive")
    removal = measures.measure_add(
        actor=staff["investigator"],
        case=case,
        party=respondent,
        kind=K.INTERIM,
        measure=measure("class-removal"),
        owner=staff["coordinator"],
        status=MeasureStatus.ACTIVE,
        review_on=timezone.localdate() + dt.timedelta(days=10),
    )
    tid = [
        takedowns.takedown_request_create(
            actor=staff["investigator"],
            case=case,
            platform=platform("snapchat"),
            location="Snapchat group 'grade 9 chat'",
            depicted_party=minor,
        )
        for minor in minors
    ]
    snap = takedowns.takedown_request_create(
        actor=staff["investigator"],
        case=case,
        platform=platform("snapchat"),
        location="Snapchat group 'grade 9 chat'",
        route=TakedownRequest.Route.PLATFORM,
    )
    submitted_at = timezone.now() - dt.timedelta(hours=3)
    snap = takedowns.takedown_request_submit(
        **TAKEDOWN_ELEMENTS,
        actor=staff["investigator"],
        takedown=snap,
        submitted_at=submitted_at,
        platform_reference="SNAP-5521",
    )
    seen = evidence.evidence_record(
        actor=staff["investigator"],
        case=case,
        description="Four edited images posted in a group chat, described by two students.",
        platform=platform("snapchat"),
        group_name="grade 9 chat",
        seen_at=SUNDAY - dt.timedelta(days=1),
        device_holder="School resource officer",
    )

    # Investigation, with a restorative option the depicted students decline
    go(staff, "investigator", case, "begin_investigation")
    for minor in minors:
        offer = measures.resolution_offer_record(
            actor=staff["investigator"], case=case, party=minor, option="restorative"
        )
        measures.resolution_offer_decide(
            actor=staff["investigator"], offer=offer, choice="declined"
        )
    with pytest.raises(GuardFailed):
        go(staff, "coordinator", case, "begin_informal_resolution", "Try restorative.")
    go(staff, "investigator", case, "submit_for_determination")

    # Determination and sanctions
    det.determination_record(
        actor=staff["coordinator"],
        case=case,
        respondent=respondent,
        finding=Determination.Finding.RESPONSIBLE,
        standard_of_evidence=Determination.Standard.PREPONDERANCE,
        rationale="The app history and the group's messages show the respondent made and posted "
        "the images.",
    )
    go(staff, "coordinator", case, "issue_determination")
    for slug in ("student-suspension", "ncii-education"):
        det.sanction_add(
            actor=staff["coordinator"],
            case=case,
            respondent=respondent,
            intervention=intervention(slug),
        )
    go(staff, "coordinator", case, "begin_monitoring")

    # Closure once every item is done
    for request in [*tid, snap]:
        if request.status == "to_do":
            takedowns.takedown_request_submit(
                **TAKEDOWN_ELEMENTS, actor=staff["investigator"], takedown=request
            )
        takedowns.takedown_request_update(
            actor=staff["investigator"], takedown=request, status="removed"
        )
    measures.measure_status_set(actor=staff["investigator"], measure=removal, status="ended")
    notify_everyone(staff, case)
    review_support(staff, case)
    case = go(staff, "coordinator", case, "close", "Sanctions served; images removed.")

    # The record
    assert (case.ncii_kind, case.conduct) == ("synthetic", "distribution")
    assert [p.is_minor for p in minors] == [True] * 4
    assert (case.process, case.respondent_track) == ("process_b", "student")
    assert "disrupts school on Monday" in case.jurisdiction_reasoning
    assert harm.level == c.Level.HIGH and case.priority == c.Level.HIGH
    for minor in minors:
        assert {m.measure.slug for m in case.measures.filter(party=minor)} == {
            "counseling",
            "no-contact-directive",
        }
    assert removal.measure.slug == "class-removal" and removal.party_choice == "n/a"
    assert [t.route for t in tid] == ["take_it_down"] * 4
    assert {t.depicted_party_id for t in tid} == {m.pk for m in minors}
    assert snap.covered_by_48h_rule and snap.due_at == submitted_at + dt.timedelta(hours=48)
    assert {slug: r.reference_number for slug, r in made.items()} == {
        "child-protection-report": f"REF-child-protection-report-{case.pk}",
        "cybertipline-report": f"REF-cybertipline-report-{case.pk}",
        # AI-made imagery of minors: the district decides and records a police report too
        "law-enforcement-synthetic-minor": f"REF-law-enforcement-synthetic-minor-{case.pk}",
    }
    assert seen.device_holder == "School resource officer" and seen.group_name == "grade 9 chat"
    assert not SupportingDocument.objects.filter(case=case).exists()
    assert case.determinations.get().finding == "responsible"
    assert {s.intervention.slug for s in case.sanctions.all()} == {
        "student-suspension",
        "ncii-education",
    }
    assert [o.choice for o in case.resolution_offers.all()] == ["declined"] * 4
    assert case.stage == c.Stage.CLOSED
    assert actions(case) == [
        "begin_assessment",
        "route_process_b",
        "complete_harm_assessment",
        "begin_investigation",
        "submit_for_determination",
        "issue_determination",
        "begin_monitoring",
        "close",
    ]


def test_s2_deepfake_of_a_principal_with_unknown_then_identified_senders(staff, school):
    principal = PersonFactory(
        district=school.district, affiliation=c.Affiliation.EMPLOYEE, last_name="Principal"
    )
    case = open_case(
        staff,
        school,
        title="Synthetic video shared by AirDrop",
        narrative="An explicit synthetic video of the principal was AirDropped in the cafeteria.",
        ncii_kind=c.NciiKind.SYNTHETIC,
        location=c.Location.ON_CAMPUS,
        timing=c.Timing.SCHOOL_HOURS,
        reach=c.Reach.SCHOOL,
        platforms=["airdrop"],
        parties=[
            PartyInput(
                P.DEPICTED,
                principal,
                c.Affiliation.EMPLOYEE,
                False,
                age_in_imagery=c.AgeInImagery.ADULT,
            ),
            PartyInput(P.RESPONDENT, None, c.Affiliation.UNKNOWN, None, "Unknown sender"),
        ],
    )
    depicted = case.parties.get(role=P.DEPICTED)
    unknown = case.parties.get(role=P.RESPONDENT)
    case = assess_in_scope(staff, case, "Shared on campus during the school day.")

    # An adult depicted: no child-abuse report, StopNCII rather than Take It Down
    # The obligations the minor triggered at intake are kept, marked no longer required.
    kept = reports.external_reports_sync(actor=staff["investigator"], case=case)
    assert {r.status for r in kept} <= {ExternalReport.Status.NO_LONGER_REQUIRED}
    route = takedowns.takedown_request_create(
        actor=staff["investigator"],
        case=case,
        platform=platform("airdrop"),
        location="Phones in the cafeteria",
        depicted_party=depicted,
    )
    assert route.route == TakedownRequest.Route.STOPNCII

    go(
        staff,
        "coordinator",
        case,
        "route_process_b",
        "Respondent not yet known.",
        respondent_track=c.RespondentTrack.UNDETERMINED,
    )
    harm_assessment_record(
        actor=staff["investigator"],
        case=case,
        answers=HarmAnswers(reach=c.Reach.SCHOOL, circulation="ongoing", identifiability="clearly"),
    )
    go(staff, "investigator", case, "complete_harm_assessment")
    support(staff, case, depicted, "employee-assistance", "communication-plan")
    go(staff, "investigator", case, "begin_investigation")

    # The investigation identifies two eighth graders
    first = PersonFactory(district=school.district, grade="8", last_name="EighthA")
    second = PersonFactory(district=school.district, grade="8", last_name="EighthB")
    det.case_party_identify(
        actor=staff["investigator"],
        party=unknown,
        person=first,
        is_minor=True,
        reason="Identified from the AirDrop device names.",
    )
    from ncii_cases.services.cases import case_party_add

    case_party_add(
        actor=staff["investigator"],
        case=case,
        party=PartyInput(P.RESPONDENT, second, c.Affiliation.STUDENT, True),
    )
    det.case_respondent_track_set(
        actor=staff["coordinator"],
        case=case,
        track=c.RespondentTrack.STUDENT,
        reason="Both identified respondents are students.",
    )
    respondents = list(case.parties.filter(role=P.RESPONDENT))
    for party in respondents:
        notices.party_notice_record(
            actor=staff["investigator"],
            case=case,
            party=party,
            recipient_name="Parent",
            kind=PartyNotice.Kind.PARENT_NOTIFICATION,
            method=PartyNotice.Method.PHONE,
            summary="Told the parent their child is a respondent and what happens next.",
        )
    go(staff, "investigator", case, "submit_for_determination")
    for party in respondents:
        det.determination_record(
            actor=staff["coordinator"],
            case=case,
            respondent=party,
            finding="responsible",
            standard_of_evidence="preponderance",
            rationale="Device records and admissions.",
        )
    case = go(staff, "coordinator", case, "issue_determination")
    with pytest.raises(ValidationError):
        det.sanction_add(
            actor=staff["coordinator"],
            case=case,
            respondent=respondents[0],
            intervention=intervention("written-warning"),
        )
    for party in respondents:
        det.sanction_add(
            actor=staff["coordinator"],
            case=case,
            respondent=party,
            intervention=intervention("ncii-education"),
        )
    case = go(staff, "coordinator", case, "begin_monitoring")

    assert (case.ncii_kind, case.process, case.respondent_track) == (
        "synthetic",
        "process_b",
        "student",
    )
    # Nothing recorded disappears: the obligations stay, none of them pending.
    assert not ExternalReport.objects.filter(
        case=case, status=ExternalReport.Status.PENDING
    ).exists()
    assert not TakedownRequest.objects.filter(case=case, route="take_it_down").exists()
    assert [(p.person.grade, p.affiliation) for p in respondents] == [("8", "student")] * 2
    assert unknown.history.earliest().person_id is None
    assert {m.measure.slug for m in case.measures.all()} == {
        "employee-assistance",
        "communication-plan",
    }
    assert PartyNotice.objects.filter(case=case, kind="parent").count() == 2
    assert {s.intervention.track for s in case.sanctions.all()} == {"student"}
    assert case.stage == c.Stage.MONITORING


def test_s3_forwarded_private_photo_of_a_minor(staff, school):
    photographed = student(school, last="Sixteen")
    partner = as_role(student(school, last="Partner"), P.RESPONDENT)
    case = open_case(
        staff,
        school,
        title="Forwarded private photo",
        narrative="A private photo was forwarded over iMessage after a breakup.",
        ncii_kind=c.NciiKind.AUTHENTIC,
        reach=c.Reach.FEW,
        platforms=["imessage"],
        parties=[photographed, partner],
    )
    depicted = case.parties.get(role=P.DEPICTED)
    respondent = case.parties.get(role=P.RESPONDENT)
    case = assess_in_scope(staff, case, "Students of the school; it spread among classmates.")

    # Law enforcement and the mandated report are required and time-boxed
    rows = reports.external_reports_sync(actor=staff["investigator"], case=case)
    due = {r.obligation.slug: r.due_at for r in rows}
    assert due == {
        "child-protection-report": case.reported_at + dt.timedelta(hours=24),
        "cybertipline-report": case.reported_at + dt.timedelta(hours=24),
        "law-enforcement-authentic-minor": case.reported_at + dt.timedelta(hours=24),
    }
    with pytest.raises(GuardFailed) as blocked:
        go(
            staff,
            "coordinator",
            case,
            "route_process_b",
            "r",
            respondent_track=c.RespondentTrack.STUDENT,
        )
    assert len(blocked.value.messages) == 3
    make_reports(staff, case)

    # The phone goes to the police; the school keeps no copy
    phone = evidence.evidence_record(
        actor=staff["investigator"],
        case=case,
        description="The forwarded photo was seen on a classmate's phone; described only.",
        platform=platform("imessage"),
        device_holder="School resource officer",
    )
    evidence.custody_transfer(actor=staff["investigator"], evidence=phone, to_holder="City police")

    go(
        staff,
        "coordinator",
        case,
        "route_process_b",
        "Student respondent.",
        respondent_track=c.RespondentTrack.STUDENT,
    )
    harm_assessment_record(
        actor=staff["investigator"],
        case=case,
        answers=HarmAnswers(reach=c.Reach.FEW, minors_depicted=True, identifiability="clearly"),
    )
    go(staff, "investigator", case, "complete_harm_assessment")
    support(staff, case, depicted, "counseling")
    tid = takedowns.takedown_request_create(
        actor=staff["investigator"],
        case=case,
        platform=platform("imessage"),
        location="Messages among classmates",
        depicted_party=depicted,
    )

    # The depicted student is never treated as a wrongdoer
    with pytest.raises(ValidationError):
        measures.measure_add(
            actor=staff["investigator"],
            case=case,
            party=depicted,
            kind=K.INTERIM,
            measure=measure("class-removal"),
        )
    with pytest.raises(ValidationError):
        det.determination_record(
            actor=staff["coordinator"],
            case=case,
            respondent=depicted,
            finding="responsible",
            standard_of_evidence="preponderance",
            rationale="x",
        )

    go(staff, "investigator", case, "begin_investigation")
    go(staff, "investigator", case, "submit_for_determination")
    det.determination_record(
        actor=staff["coordinator"],
        case=case,
        respondent=respondent,
        finding="responsible",
        standard_of_evidence="preponderance",
        rationale="The partner admitted forwarding it.",
    )
    go(staff, "coordinator", case, "issue_determination")
    det.sanction_add(
        actor=staff["coordinator"],
        case=case,
        respondent=respondent,
        intervention=intervention("student-suspension"),
    )
    go(staff, "coordinator", case, "begin_monitoring")
    takedowns.takedown_request_submit(
        **TAKEDOWN_ELEMENTS, actor=staff["investigator"], takedown=tid
    )
    takedowns.takedown_request_update(actor=staff["investigator"], takedown=tid, status="removed")
    notify_everyone(staff, case)
    review_support(staff, case)
    case = go(staff, "coordinator", case, "close", "Support in place; sanction served.")

    assert tid.route == "take_it_down"
    assert ExternalReport.objects.filter(case=case, status="made").count() == 3
    assert phone.custody.last().to_holder == "City police"
    assert not SupportingDocument.objects.filter(case=case).exists()
    assert depicted.role == P.DEPICTED
    assert not CaseParty.objects.filter(
        case=case, role=P.RESPONDENT, person=depicted.person
    ).exists()
    assert not case.measures.filter(party=depicted, kind=K.INTERIM).exists()
    assert not case.sanctions.filter(respondent=depicted).exists()
    assert not case.determinations.filter(respondent=depicted).exists()
    assert case.stage == c.Stage.CLOSED


def test_s4_teacher_shares_a_colleagues_image_routed_to_process_a(staff, school):
    colleague = PersonFactory(district=school.district, affiliation=c.Affiliation.EMPLOYEE)
    teacher = PersonFactory(district=school.district, affiliation=c.Affiliation.EMPLOYEE)
    case = open_case(
        staff,
        school,
        title="Image shared in a staff chat",
        narrative="A teacher posted an intimate photo of a colleague in a staff group chat.",
        ncii_kind=c.NciiKind.AUTHENTIC,
        reach=c.Reach.GROUP,
        platforms=["whatsapp"],
        parties=[
            PartyInput(P.DEPICTED, colleague, c.Affiliation.EMPLOYEE, False),
            PartyInput(P.RESPONDENT, teacher, c.Affiliation.EMPLOYEE, False),
        ],
    )
    case = assess_in_scope(staff, case, "Both are employees; it spread in a staff chat.")
    rows = reports.external_reports_sync(actor=staff["investigator"], case=case)
    assert [(r.obligation.slug, r.status) for r in rows] == [("licensing-body-report", "pending")]
    assert rows[0].due_at == case.reported_at + dt.timedelta(hours=720)
    with pytest.raises(GuardFailed, match="track does not match"):
        go(
            staff,
            "coordinator",
            case,
            "route_process_a",
            "r",
            respondent_track=c.RespondentTrack.STUDENT,
        )

    reasons = (
        "Employee respondent, corrective-action track. The colleague filed a formal "
        "complaint and asked for a live hearing; the formal grievance process applies."
    )
    case = go(
        staff,
        "coordinator",
        case,
        "route_process_a",
        reasons,
        respondent_track=c.RespondentTrack.EMPLOYEE,
    )

    assert case.stage == c.Stage.PROCESS_A and case.process == c.Process.PROCESS_A
    assert case.respondent_track == c.RespondentTrack.EMPLOYEE
    assert case.routing_reasoning == reasons
    event = CaseEvent.objects.filter(case=case, event_type=EventType.TRANSITION).last()
    assert (event.to_stage, event.reason) == ("process_a", reasons)
    assert case.history.filter(stage="process_a").get().history_user == staff["coordinator"]


def test_s5_sextortion_by_an_unknown_adult_referred_with_support_continuing(staff, school):
    seventh = student(school, last="Seventh")
    case = open_case(
        staff,
        school,
        title="Online coercion of a student",
        narrative="A student was coerced online by an unknown adult and then threatened.",
        ncii_kind=c.NciiKind.AUTHENTIC,
        conduct=c.Conduct.SEXTORTION,
        reach=c.Reach.FEW,
        platforms=["instagram"],
        parties=[
            seventh,
            PartyInput(P.RESPONDENT, None, c.Affiliation.NON_AFFILIATED, False, "Unknown adult"),
        ],
    )
    depicted = case.parties.get(role=P.DEPICTED)
    case = assess_in_scope(
        staff, case, "A student of the district is the target; it affects her attendance."
    )
    made = make_reports(staff, case)
    assert {"cybertipline-report", "law-enforcement-sextortion"} <= set(made)
    rows = support(staff, case, depicted, "counseling", "safety-plan")
    tid = takedowns.takedown_request_create(
        actor=staff["investigator"],
        case=case,
        platform=platform("instagram"),
        location="Account that sent the threats",
        depicted_party=depicted,
    )
    takedowns.takedown_request_submit(
        **TAKEDOWN_ELEMENTS, actor=staff["investigator"], takedown=tid
    )

    case = go(
        staff,
        "coordinator",
        case,
        "refer",
        "Respondent is an unknown adult outside the district: no discipline is possible.",
        referred_to="County police and the NCMEC CyberTipline",
        respondent_track=c.RespondentTrack.NONE,
    )
    go(staff, "coordinator", case, "begin_monitoring")
    takedowns.takedown_request_update(
        actor=staff["investigator"],
        takedown=tid,
        status="waived",
        waiver_reason="Hash submitted through Take It Down by the family; NCMEC matching "
        "continues; nothing further for the school to pursue.",
    )
    notify_everyone(staff, case)
    review_support(staff, case, keep_open=True)
    case = go(staff, "coordinator", case, "close", "Referred; support continues.")

    assert (case.stage, case.process) == (c.Stage.CLOSED, c.Process.REFERRED)
    assert case.referred_to == "County police and the NCMEC CyberTipline"
    assert case.respondent_track == c.RespondentTrack.NONE
    assert "no discipline" in case.routing_reasoning
    assert made["cybertipline-report"].reference_number
    assert made["law-enforcement-sextortion"].status == "made"
    assert tid.route == "take_it_down"
    assert not case.determinations.exists() and not case.sanctions.exists()
    assert [r.pk for r in rows] == list(
        case.measures.filter(status=MeasureStatus.ACTIVE, review_on__isnull=False).values_list(
            "pk", flat=True
        )
    )
    assert actions(case) == ["begin_assessment", "refer", "begin_monitoring", "close"]
    # Open measures stay monitored after closure: an overdue review still reminds the owner
    CaseMeasure.objects.filter(pk=rows[0].pk).update(
        review_on=timezone.localdate() - dt.timedelta(days=1)
    )
    mail.outbox.clear()
    assert deadlines_remind()["measure_review"] == 1
    # (the district's coordinators are told about every reminder too)
    assert staff["counselor"].email in mail.outbox[0].to
    assert staff["coordinator"].email in mail.outbox[0].to


def test_s6_not_ncii_referred_to_the_bullying_policy_and_closed(staff, school):
    meme = student(school, last="Meme")
    case = open_case(
        staff,
        school,
        title="Edited photo used as a meme",
        narrative="A report about a swimsuit photo edited into a mocking meme.",
        ncii_kind=c.NciiKind.SYNTHETIC,
        platforms=["instagram"],
        parties=[meme],
    )
    go(staff, "coordinator", case, "begin_assessment")
    case = case_facts_update(
        actor=staff["coordinator"],
        case=case,
        is_intimate_imagery=False,
        reason="The image shows a swimsuit photo; it is not intimate imagery.",
    )
    # The obligations the minor triggered at intake are kept, marked no longer required.
    kept = reports.external_reports_sync(actor=staff["investigator"], case=case)
    assert {r.status for r in kept} <= {ExternalReport.Status.NO_LONGER_REQUIRED}
    with pytest.raises(GuardFailed):
        go(
            staff,
            "coordinator",
            case,
            "route_process_b",
            "r",
            respondent_track=c.RespondentTrack.UNDETERMINED,
        )
    reasons = "Not intimate imagery: mocking edits are harassment, handled by that policy."
    case = go(
        staff,
        "coordinator",
        case,
        "refer",
        reasons,
        referred_to="Bullying and harassment policy",
        out_of_scope=True,
    )
    notify_everyone(staff, case)
    case = go(
        staff,
        "coordinator",
        case,
        "close",
        "Referred to the bullying and harassment policy; the family was told.",
    )

    assert (case.stage, case.process) == (c.Stage.CLOSED, c.Process.REFERRED)
    assert case.is_intimate_imagery is False
    assert case.jurisdiction == c.Jurisdiction.OUT_OF_SCOPE
    assert (case.referred_to, case.routing_reasoning) == ("Bullying and harassment policy", reasons)
    assert case.closure_summary.startswith("Referred to the bullying")
    assert actions(case) == ["begin_assessment", "refer", "close"]
    # Nothing recorded disappears: the obligations stay, none of them pending.
    assert not ExternalReport.objects.filter(
        case=case, status=ExternalReport.Status.PENDING
    ).exists()
