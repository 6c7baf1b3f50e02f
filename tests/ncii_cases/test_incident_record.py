"""The issue's incident from intake to closure, through the services and the PDF summary:
a 16-year-old student tells the counselor that her ex-boyfriend (an 11th grader at the same
school) posted a real intimate photo of her to a Discord server of about 40 students; two
Instagram accounts reshared it; a teacher also saw it on a phone in class.

It shows: no duplicate person, a correction of a party's grade and of a measure's date, a
withdrawn evidence entry, a document downloaded, notices in the PDF, a stale save refused."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import CaseEvent, ExternalReport, PartyNotice, Person, SanctionStatus
from ncii_cases.services import determinations as det
from ncii_cases.services import evidence, measures, notices, takedowns
from ncii_cases.services.cases import (
    PartyInput,
    PersonInput,
    case_assign,
    case_intake,
    case_party_correct,
)
from ncii_cases.services.corrections import StaleRecord, record_correct, record_withdraw
from ncii_cases.services.harm import HarmAnswers, harm_assessment_record
from reporting.summary import case_summary_for_user
from tests.access.helpers import login_verified
from tests.factories_workflow import TAKEDOWN_ELEMENTS, intervention, measure, platform
from tests.ncii_cases.test_scenarios import (
    assess_in_scope,
    decide_to_notify_parents,
    go,
    make_reports,
    review_support,
    staff,  # noqa: F401  (fixture)
)

P = c.PartyRole


def test_the_discord_incident_leaves_a_record_a_district_can_stand_behind(
    staff,  # noqa: F811
    school,
    client,
    private_root,
):
    boss, inv, counselor = staff["coordinator"], staff["investigator"], staff["counselor"]
    # Intake: both students are named; the teacher is a witness; nobody is typed twice.
    her = PersonInput("Avery", "Quill", ("student",), school, "10", dt.date(2010, 3, 14))
    him = PersonInput("Rowan", "Ashdown", ("student",), school, "10")
    case = case_intake(
        actor=boss,
        school=school,
        title="Photo posted to a student Discord server",
        narrative="A student told the counselor her ex-boyfriend posted a real photo of her to "
        "a Discord server of about 40 students; two Instagram accounts reshared it. A teacher "
        "saw it on a phone in class.",
        reported_at=timezone.now() - dt.timedelta(hours=3),
        reported_by_name="School counselor",
        ncii_kind=c.NciiKind.AUTHENTIC,
        reach=c.Reach.GROUP,
        reach_estimate=40,
        platforms=[platform("discord"), platform("instagram")],
        people=[
            PartyInput(P.DEPICTED, new_person=her),
            PartyInput(P.RESPONDENT, new_person=him, is_minor=True),
            PartyInput(P.WITNESS, description="A teacher who saw it on a phone in class"),
        ],
    )
    case_assign(actor=boss, case=case, user=boss, role=c.AssignmentRole.LEAD)
    case_assign(actor=boss, case=case, user=inv, role=c.AssignmentRole.INVESTIGATOR)
    case_assign(actor=boss, case=case, user=counselor, role=c.AssignmentRole.SUPPORT)
    depicted = case.parties.get(role=P.DEPICTED)
    respondent = case.parties.get(role=P.RESPONDENT)
    assert depicted.is_minor is True  # from her date of birth
    assert Person.objects.filter(last_name="Ashdown").count() == 1

    # Correction of the respondent's grade (he is in 11th grade), with the reason.
    respondent = case_party_correct(
        actor=inv, party=respondent, version=respondent.version, reason="He is in 11th", grade="11"
    )
    assert respondent.person.grade == "11"

    case = assess_in_scope(staff, case, "Students of the school; school was disrupted.")
    make_reports(staff, case)
    go(staff, "coordinator", case, "route_process_b", "Student.", respondent_track="student")
    harm_assessment_record(
        actor=inv,
        case=case,
        answers=HarmAnswers(reach=c.Reach.GROUP, minors_depicted=True, identifiability="clearly"),
    )
    go(staff, "investigator", case, "complete_harm_assessment")

    # A supportive measure whose review date was typed wrong, then corrected.
    row = measures.measure_add(
        actor=counselor,
        case=case,
        party=depicted,
        kind="supportive",
        measure=measure("counseling"),
        starts_on=timezone.localdate(),
        review_on=timezone.localdate() + dt.timedelta(days=2),
    )
    row = measures.measure_choice_record(actor=counselor, measure=row, choice="accepted")
    opened_at = row.version
    row = record_correct(
        actor=counselor,
        record=row,
        version=row.version,
        reason="Typo",
        review_on=timezone.localdate() + dt.timedelta(days=20),
    )
    # A second user's form, opened before the correction: refused, nothing reverted.
    with pytest.raises(StaleRecord):
        record_correct(
            actor=counselor,
            record=row,
            version=opened_at,
            reason="Details",
            description="Weekly check-ins",
            review_on=timezone.localdate() + dt.timedelta(days=2),
        )
    row.refresh_from_db()
    assert row.review_on == timezone.localdate() + dt.timedelta(days=20)

    # Evidence: the Discord post, a reshare, and an entry made on the wrong case, withdrawn.
    evidence.evidence_record(
        actor=inv, case=case, description="Post in the server", platform=platform("discord")
    )
    wrong = evidence.evidence_record(actor=inv, case=case, description="Entered by mistake")
    record_withdraw(actor=inv, record=wrong, version=wrong.version, reason="Wrong case")
    statement = evidence.evidence_record_with_document(
        actor=inv,
        case=case,
        description="The teacher's written statement",
        uploaded_file=SimpleUploadedFile("s.txt", b"I saw it on a phone in class.\n", "text/plain"),
        document_title="Teacher statement",
    )
    document = statement.documents.get()
    for handle in ("reshare_one", "reshare_two"):
        request = takedowns.takedown_request_create(
            actor=inv,
            case=case,
            platform=platform("instagram"),
            location=f"@{handle}",
            depicted_party=depicted,
            route="platform",
        )
        takedowns.takedown_request_submit(**TAKEDOWN_ELEMENTS, actor=inv, takedown=request)
        takedowns.takedown_request_update(actor=inv, takedown=request, status="removed")
    server = takedowns.takedown_request_create(
        actor=inv,
        case=case,
        platform=platform("discord"),
        location="Server",
        depicted_party=depicted,
    )
    takedowns.takedown_request_submit(**TAKEDOWN_ELEMENTS, actor=inv, takedown=server)
    takedowns.takedown_request_update(actor=inv, takedown=server, status="removed")

    go(staff, "investigator", case, "begin_investigation")
    go(staff, "investigator", case, "submit_for_determination")
    # The intake's respondent is the one decided on: no second row for the same person.
    det.determination_record(
        actor=boss,
        case=case,
        respondent=respondent,
        finding="responsible",
        standard_of_evidence="preponderance",
        rationale="He admitted posting it.",
    )
    go(staff, "coordinator", case, "issue_determination")
    sanction = det.sanction_add(
        actor=boss,
        case=case,
        respondent=respondent,
        intervention=intervention("student-suspension"),
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + dt.timedelta(days=3),
    )
    sanction = det.sanction_status_set(actor=boss, sanction=sanction, status="in_effect")
    sanction = det.sanction_status_set(actor=boss, sanction=sanction, status="completed")
    assert sanction.status == SanctionStatus.COMPLETED
    go(staff, "coordinator", case, "begin_monitoring")
    decide_to_notify_parents(staff, case)
    for party, recipient in ((depicted, "Her mother"), (respondent, "His father")):
        for kind in (PartyNotice.Kind.OUTCOME, PartyNotice.Kind.PARENT_NOTIFICATION):
            notices.party_notice_record(
                actor=inv,
                case=case,
                party=party,
                recipient_name=recipient,
                kind=kind,
                method=PartyNotice.Method.PHONE,
                summary="Explained the outcome and the support available.",
            )
    review_support(staff, case)
    case = go(staff, "coordinator", case, "close", "Support in place; sanction served.")
    assert case.stage == c.Stage.CLOSED
    assert case.parties.filter(role=P.RESPONDENT).count() == 1
    assert ExternalReport.objects.filter(case=case, status="made").count() >= 2

    # The document downloads; the PDF lists notices, documents and the withdrawn entry.
    login_verified(client, boss)
    response = client.get(reverse("ncii_cases:case_document_download", args=[case.pk, document.pk]))
    assert b"".join(response.streaming_content) == b"I saw it on a phone in class.\n"
    summary = case_summary_for_user(user=boss, pk=case.pk, profile="internal")
    assert {n.recipient for n in summary.notices} == {"Her mother", "His father"}
    assert [d.title for d in summary.documents] == ["Teacher statement"]
    assert [e.withdrawn.startswith("Withdrawn") for e in summary.evidence].count(True) == 1
    labels = {
        p.label for p in case_summary_for_user(user=boss, pk=case.pk, profile="redacted").parties
    }
    assert "Respondent 2" not in labels
    redacted = case_summary_for_user(user=boss, pk=case.pk, profile="redacted")
    text = repr(redacted.notices) + repr(redacted.timeline)
    assert "Her mother" not in text and "Ashdown" not in text and "Quill" not in text
    sentences = [e.what for e in summary.timeline]
    assert any("corrected: review on" in s for s in sentences)
    assert any("corrected: grade 10 \u2192 11" in s for s in sentences)
    assert CaseEvent.objects.filter(case=case, event_type=EventType.RECORD_WITHDRAWN).count() == 1
