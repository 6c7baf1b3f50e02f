"""Issue 19: one form for several people. A notice logged for every person ticked, the
parent-notification decisions of several students, and several sanctions, each in one save:
one transaction (a refused row names the person and nothing is saved), one record per row,
one event each, and a double click records once. The to-do panel opens the notice form with
the kind chosen and the people who still lack the notice ticked."""

import datetime as dt

import pytest
from django.urls import reverse

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import (
    CaseEvent,
    CaseParty,
    Determination,
    ParentNotificationDecision,
    PartyNotice,
    Sanction,
)
from ncii_cases.workflow import notices_logged, parent_notifications_decided
from tests.access.helpers import login_verified
from tests.factories import CasePartyFactory, PersonFactory
from tests.factories_records import (
    DeterminationFactory,
    ParentNotificationDecisionFactory,
    PartyNoticeFactory,
)
from tests.factories_workflow import intervention
from tests.ncii_cases.conftest import place
from tests.recorded import Event, records

D = ParentNotificationDecision.Decision
TODAY = dt.date.today


def student(case, role=c.PartyRole.DEPICTED, *, minor=True, **kwargs):
    return CasePartyFactory(
        case=case,
        role=role,
        person=PersonFactory(district=case.district),
        affiliation=c.Affiliation.STUDENT,
        is_minor=minor,
        **kwargs,
    )


def notice_url(case, query=""):
    return reverse("ncii_cases:case_notice_add", args=[case.pk]) + query


def notice_data(form, parties, **extra):
    data = {
        "kind": PartyNotice.Kind.OUTCOME,
        "method": PartyNotice.Method.IN_PERSON,
        "summary": "Met and explained the outcome and the support available.",
        "party": [p.pk for p in parties],
        "submission_token": form.initial["submission_token"],
    }
    data.update(extra)
    return data


# --- Notices ----------------------------------------------------------------------------------


def test_one_save_logs_a_notice_for_each_person_ticked_with_their_own_name(
    client, case, coordinator
):
    first, second, left_out = student(case), student(case), student(case)
    login_verified(client, coordinator)
    form = client.get(notice_url(case)).context["form"]
    assert form["method"].value() == PartyNotice.Method.IN_PERSON
    assert {row.party for row in form.rows} >= {first, second, left_out}

    with records(
        Event(
            EventType.NOTICE_LOGGED,
            coordinator,
            {"kind", "method", "notice_id", "party_id"},
            times=2,
        ),
        queries=52,
    ):
        response = client.post(notice_url(case), notice_data(form, [first, second]))

    assert response.status_code == 302
    notices = PartyNotice.objects.filter(case=case).order_by("party_id")
    assert [(n.party, n.recipient_name) for n in notices] == [
        (first, first.display_name),
        (second, second.display_name),
    ]
    events = CaseEvent.objects.filter(case=case, event_type=EventType.NOTICE_LOGGED)
    assert sorted(e.detail["party_id"] for e in events) == [first.pk, second.pk]
    assert all(e.actor == coordinator and e.detail["kind"] == "outcome" for e in events)


def test_the_same_notice_form_sent_twice_logs_once(client, case, coordinator):
    people = [student(case), student(case)]
    login_verified(client, coordinator)
    form = client.get(notice_url(case)).context["form"]
    data = notice_data(form, people)

    with records(
        Event(
            EventType.NOTICE_LOGGED,
            coordinator,
            {"kind", "method", "notice_id", "party_id"},
            times=2,
        ),
        queries=52,
    ):
        assert client.post(notice_url(case), data).status_code == 302
    with records(queries=13):
        assert client.post(notice_url(case), data).status_code == 302

    assert PartyNotice.objects.filter(case=case).count() == 2
    assert CaseEvent.objects.filter(case=case, event_type=EventType.NOTICE_LOGGED).count() == 2


def test_a_parent_notice_needs_the_parents_name_on_each_row_ticked(client, case, coordinator):
    first, second = student(case), student(case)
    login_verified(client, coordinator)
    form = client.get(notice_url(case, "?kind=parent")).context["form"]
    assert form[f"p{first.pk}-recipient_name"].value() in ("", None)
    data = notice_data(
        form,
        [first, second],
        kind=PartyNotice.Kind.PARENT_NOTIFICATION,
        **{f"p{first.pk}-recipient_name": "A parent", f"p{second.pk}-recipient_name": ""},
    )

    with records(queries=13):
        response = client.post(notice_url(case), data)

    assert response.status_code == 200
    assert f"p{second.pk}-recipient_name" in response.context["form"].errors
    assert second.display_name in response.content.decode()
    assert not PartyNotice.objects.exists()


def test_given_to_starts_empty_so_a_parent_notice_chosen_on_the_page_asks_the_parents_name(
    client, case, coordinator
):
    shown = student(case)
    login_verified(client, coordinator)
    form = client.get(notice_url(case)).context["form"]  # no kind chosen in advance
    assert form[f"p{shown.pk}-recipient_name"].value() in ("", None)

    data = notice_data(form, [shown], kind=PartyNotice.Kind.PARENT_NOTIFICATION)
    with records(queries=13):
        response = client.post(notice_url(case), data)

    assert response.status_code == 200
    assert f"p{shown.pk}-recipient_name" in response.context["form"].errors
    assert not PartyNotice.objects.exists()


def test_one_refused_row_saves_nothing_and_names_the_person(client, case, coordinator):
    # The FERPA rule per row: a parent notice about an eligible student (a student of 18 or
    # over) needs the student's consent or an exception; the minor's row alone would pass.
    minor, adult = student(case), student(case, minor=False)
    login_verified(client, coordinator)
    form = client.get(notice_url(case)).context["form"]
    assert f"p{adult.pk}-eligible_student_basis" in form.fields
    assert f"p{minor.pk}-eligible_student_basis" not in form.fields
    data = notice_data(
        form,
        [minor, adult],
        kind=PartyNotice.Kind.PARENT_NOTIFICATION,
        **{f"p{minor.pk}-recipient_name": "A parent", f"p{adult.pk}-recipient_name": "A parent"},
    )

    with records(queries=46):
        response = client.post(notice_url(case), data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert adult.display_name in errors[f"p{adult.pk}-eligible_student_basis"][0]
    assert f"p{adult.pk}-eligible_student_note" in errors
    assert not PartyNotice.objects.exists()
    assert not CaseEvent.objects.filter(event_type=EventType.NOTICE_LOGGED).exists()


def test_the_eligible_students_row_records_its_ferpa_basis(client, case, coordinator):
    minor, adult = student(case), student(case, minor=False)
    login_verified(client, coordinator)
    form = client.get(notice_url(case)).context["form"]
    data = notice_data(
        form,
        [minor, adult],
        kind=PartyNotice.Kind.PARENT_NOTIFICATION,
        **{
            f"p{minor.pk}-recipient_name": "A parent",
            f"p{adult.pk}-recipient_name": "Another parent",
            f"p{adult.pk}-eligible_student_basis": c.EligibleStudentBasis.CONSENT,
            f"p{adult.pk}-eligible_student_note": "The student agreed in writing on Monday.",
        },
    )

    with records(
        Event(EventType.NOTICE_LOGGED, coordinator, {"kind", "method", "notice_id", "party_id"}),
        Event(
            EventType.NOTICE_LOGGED,
            coordinator,
            {"eligible_student_basis", "kind", "method", "notice_id", "party_id"},
        ),
        queries=54,
    ):
        assert client.post(notice_url(case), data).status_code == 302

    by_party = {n.party_id: n for n in PartyNotice.objects.filter(case=case)}
    assert by_party[adult.pk].eligible_student_basis == c.EligibleStudentBasis.CONSENT
    assert by_party[minor.pk].eligible_student_basis == ""


def test_another_districts_party_cannot_be_ticked(client, case, foreign_case, coordinator):
    mine = student(case)
    stranger = CasePartyFactory(case=foreign_case)
    login_verified(client, coordinator)
    form = client.get(notice_url(case)).context["form"]

    with records(queries=13):
        response = client.post(notice_url(case), notice_data(form, [mine, stranger]))

    assert response.status_code == 200
    assert "party" in response.context["form"].errors
    assert not PartyNotice.objects.exists()


def test_the_panel_link_opens_the_form_with_the_kind_chosen_and_the_people_lacking_it_ticked(
    client, case, coordinator
):
    told, first, second = student(case), student(case), student(case)
    PartyNoticeFactory(
        case=case,
        party=told,
        recipient_name="Them",
        kind=PartyNotice.Kind.OUTCOME,
        method=PartyNotice.Method.LETTER,
        sent_at=dt.datetime.now(dt.UTC),
        sent_by=coordinator,
        summary="Told.",
    )
    blockers = notices_logged(case, "", {})
    urls = {b.target.url(case, "close") for b in blockers}
    assert len(blockers) == 2 and len(urls) == 1
    url = urls.pop()
    assert url == notice_url(case, f"?kind=outcome&party={first.pk}&party={second.pk}")

    login_verified(client, coordinator)
    response = client.get(url)

    form = response.context["form"]
    assert form["kind"].value() == PartyNotice.Kind.OUTCOME
    ticked = {row.party.pk for row in form.rows if row.tick.data["selected"]}
    assert ticked == {first.pk, second.pk}


def test_the_parent_notice_still_due_links_to_the_form_with_that_student_ticked(case, coordinator):
    minor = student(case)
    ParentNotificationDecisionFactory(
        case=case,
        party=minor,
        decision=D.NOTIFY_NOW,
        student_wishes="Agreed.",
        approved_by=coordinator,
        decided_at=dt.datetime.now(dt.UTC),
        recorded_by=coordinator,
    )
    (blocker,) = parent_notifications_decided(case, "", {})
    assert blocker.target.url(case, "close") == notice_url(case, f"?kind=parent&party={minor.pk}")


# --- Parent-notification decisions -------------------------------------------------------------


def decisions_url(case):
    return reverse("ncii_cases:case_parent_decision_add", args=[case.pk])


def test_one_save_records_the_decisions_of_several_students_and_skips_the_rows_left_empty(
    client, case, coordinator, investigator
):
    first, second, later = student(case), student(case), student(case)
    adult = student(case, minor=False)
    login_verified(client, investigator)
    form = client.get(decisions_url(case)).context["form"]
    assert [row.party for row in form.rows] == [first, second, later]  # not the adult
    assert adult not in [row.party for row in form.rows]
    assert form["approved_by"].value() is None  # a deliberate choice, never made in advance
    data = {
        "approved_by": coordinator.pk,
        "submission_token": form.initial["submission_token"],
        f"p{first.pk}-decision": D.NOTIFY_NOW,
        f"p{first.pk}-student_wishes": "Agreed that a parent is told.",
        f"p{second.pk}-decision": D.DO_NOT_NOTIFY,
        f"p{second.pk}-student_wishes": "Asked that nobody at home be told.",
        f"p{second.pk}-risks": [c.NotificationRisk.DANGER_AT_HOME],
        f"p{second.pk}-explanation": "A safety plan is in place.",
        f"p{second.pk}-review_on": (TODAY() + dt.timedelta(14)).isoformat(),
    }

    with records(
        Event(
            EventType.PARENT_DECISION_RECORDED,
            investigator,
            {
                "approved_by_id",
                "decision",
                "decision_id",
                "delay_until",
                "party_id",
                "review_on",
                "risks",
            },
            times=2,
        ),
        queries=66,
    ):
        response = client.post(decisions_url(case), data)
    assert response.status_code == 302
    with records(queries=19):
        assert client.post(decisions_url(case), data).status_code == 302  # the double click

    rows = ParentNotificationDecision.objects.filter(case=case)
    assert {(r.party, r.decision) for r in rows} == {
        (first, D.NOTIFY_NOW),
        (second, D.DO_NOT_NOTIFY),
    }
    events = CaseEvent.objects.filter(case=case, event_type=EventType.PARENT_DECISION_RECORDED)
    assert sorted(e.detail["party_id"] for e in events) == [first.pk, second.pk]
    assert all(e.detail["approved_by_id"] == coordinator.pk for e in events)
    # The students decided on leave the form; the one left empty stays.
    again = client.get(decisions_url(case)).context["form"]
    assert [row.party for row in again.rows] == [later]


def test_a_refused_row_saves_no_decision_and_stands_next_to_its_field(
    client, case, coordinator, investigator
):
    first, second = student(case), student(case)
    login_verified(client, investigator)
    with records(queries=19):
        response = client.post(
            decisions_url(case),
            {
                "approved_by": coordinator.pk,
                f"p{first.pk}-decision": D.NOTIFY_NOW,
                f"p{first.pk}-student_wishes": "Agreed.",
                f"p{second.pk}-decision": D.DELAY,
                f"p{second.pk}-student_wishes": "Wants to wait.",
                f"p{second.pk}-explanation": "Exams this week.",
                f"p{second.pk}-delay_until": (TODAY() - dt.timedelta(days=3)).isoformat(),
                f"p{second.pk}-review_on": (TODAY() + dt.timedelta(14)).isoformat(),
            },
        )

    assert response.status_code == 200
    assert f"p{second.pk}-delay_until" in response.context["form"].errors
    assert not ParentNotificationDecision.objects.exists()


def test_a_row_typed_without_a_decision_is_refused_not_dropped(
    client, case, coordinator, investigator
):
    first, second = student(case), student(case)
    login_verified(client, investigator)
    with records(queries=19):
        response = client.post(
            decisions_url(case),
            {
                "approved_by": coordinator.pk,
                f"p{first.pk}-decision": D.NOTIFY_NOW,
                f"p{first.pk}-student_wishes": "Agreed.",
                f"p{second.pk}-student_wishes": "Wants to think about it.",
            },
        )

    assert response.status_code == 200
    assert second.display_name in response.context["form"].errors[f"p{second.pk}-decision"][0]
    assert not ParentNotificationDecision.objects.exists()


def test_no_decision_chosen_is_refused_with_a_clear_error(client, case, coordinator, investigator):
    student(case)
    login_verified(client, investigator)
    with records(queries=19):
        response = client.post(decisions_url(case), {"approved_by": coordinator.pk})

    assert response.status_code == 200
    assert "at least one student" in str(response.context["form"].non_field_errors())


def test_another_districts_student_cannot_be_decided_on(
    client, case, foreign_case, coordinator, investigator
):
    student(case)
    stranger = CasePartyFactory(case=foreign_case)
    login_verified(client, investigator)
    with records(queries=19):
        response = client.post(
            decisions_url(case),
            {
                "approved_by": coordinator.pk,
                f"p{stranger.pk}-decision": D.NOTIFY_NOW,
                f"p{stranger.pk}-student_wishes": "Agreed.",
            },
        )

    assert response.status_code == 200
    assert not ParentNotificationDecision.objects.exists()


# --- Sanctions and the determination -----------------------------------------------------------


@pytest.fixture
def responsible(case, coordinator):
    respondent = student(case, role=c.PartyRole.RESPONDENT)
    case.respondent_track = c.RespondentTrack.STUDENT
    case.save()
    place(case, c.Stage.DETERMINATION)
    DeterminationFactory(
        case=case,
        respondent=respondent,
        finding=Determination.Finding.RESPONSIBLE,
        standard_of_evidence=Determination.Standard.PREPONDERANCE,
        rationale="Shown.",
        decided_by=coordinator,
        decided_at=dt.datetime.now(dt.UTC),
    )
    return respondent


def test_several_interventions_ticked_make_one_sanction_each_in_one_save(
    client, case, coordinator, responsible
):
    suspension, education = intervention("student-suspension"), intervention("ncii-education")
    url = reverse("ncii_cases:case_sanction_add", args=[case.pk])
    login_verified(client, coordinator)
    form = client.get(url).context["form"]
    assert form["respondent"].value() == responsible.pk  # the only respondent, chosen
    data = {
        "respondent": responsible.pk,
        "interventions": [suspension.pk, education.pk],
        "details": "Three days, then the module.",
        "submission_token": form.initial["submission_token"],
    }

    with records(
        Event(
            EventType.SANCTION_ADDED,
            coordinator,
            {"intervention", "respondent_id", "sanction_id"},
            times=2,
        ),
        queries=62,
    ):
        assert client.post(url, data).status_code == 302
    with records(queries=13):
        assert client.post(url, data).status_code == 302  # the double click

    assert {s.intervention for s in Sanction.objects.filter(case=case)} == {
        suspension,
        education,
    }
    events = CaseEvent.objects.filter(case=case, event_type=EventType.SANCTION_ADDED)
    assert sorted(e.detail["intervention"] for e in events) == sorted(
        [suspension.slug, education.slug]
    )


def test_one_intervention_refused_saves_no_sanction(client, case, coordinator, responsible):
    url = reverse("ncii_cases:case_sanction_add", args=[case.pk])
    login_verified(client, coordinator)
    with records(queries=15):
        response = client.post(
            url,
            {
                "respondent": responsible.pk,
                "interventions": [intervention("student-suspension").pk],
                "starts_on": TODAY().isoformat(),
                "ends_on": (TODAY() - dt.timedelta(days=2)).isoformat(),
            },
        )
    assert response.status_code == 200
    assert not Sanction.objects.exists()


def test_the_determination_form_chooses_the_only_respondent_and_offers_standards_as_radios(
    client, case, coordinator
):
    respondent = student(case, role=c.PartyRole.RESPONDENT)
    place(case, c.Stage.DETERMINATION)
    login_verified(client, coordinator)
    response = client.get(reverse("ncii_cases:case_determination", args=[case.pk]))
    form = response.context["form"]
    assert form["respondent"].value() == respondent.pk
    assert 'type="radio" name="standard_of_evidence"' in response.content.decode()


def test_with_two_respondents_none_is_chosen_in_advance(client, case, coordinator):
    student(case, role=c.PartyRole.RESPONDENT)
    student(case, role=c.PartyRole.RESPONDENT)
    login_verified(client, coordinator)
    form = client.get(reverse("ncii_cases:case_determination", args=[case.pk])).context["form"]
    assert form["respondent"].value() is None
    assert CaseParty.objects.filter(case=case, role=c.PartyRole.RESPONDENT).count() == 2
