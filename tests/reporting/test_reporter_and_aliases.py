"""Who told us is a person with a name field (or anonymous), not free text whose words become
names; a party's nicknames and handles are redacted like its name."""

import pytest
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import Case
from ncii_cases.services.cases import case_party_add_named
from reporting.summary import case_summary_for_user
from tests.access.helpers import login_verified
from tests.recorded import Event, records

pytestmark = pytest.mark.django_db


def intake_post(school, **changes):
    data = {
        "school": school.pk,
        "title": "Images shared in a chat",
        "narrative": "Dana Whitcombe called the office about a photo.",
        "reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "reported_by_name": "a parent",
        "reporter_name": "Dana Whitcombe",
        "ncii_kind": "synthetic",
        "conduct": "distribution",
        "location": "off_campus",
        "timing": "out_of_hours",
        "reach": "group",
        "depicted": "",
        "depicted_minor": "",
        "depicted_affiliation": "student",
        "respondent": "",
        "respondent_affiliation": "unknown",
    }
    data.update(changes)
    return data


def test_the_reporters_name_is_a_name_and_who_told_us_a_description(client, coordinator, school):
    login_verified(client, coordinator)
    with records(
        Event(
            EventType.CASE_CREATED,
            coordinator,
            {"party_ids", "platform_ids", "reference", "school_id"},
        ),
        queries=47,
    ):
        response = client.post(reverse("ncii_cases:intake"), intake_post(school))
    case = Case.objects.get()
    assert response.status_code == 302
    assert (case.reporter_name, case.reported_by_name) == ("Dana Whitcombe", "a parent")
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Dana Whitcombe, a parent" in page

    redacted = case_summary_for_user(user=coordinator, pk=case.pk, profile="redacted")
    assert redacted.narrative == "Reporter called the office about a photo."
    assert (redacted.reporter, redacted.reported_by) == ("Reporter", "a parent")
    internal = case_summary_for_user(user=coordinator, pk=case.pk, profile="internal")
    assert internal.reporter == "Dana Whitcombe"


def test_an_anonymous_reporter_has_no_name(client, coordinator, school):
    login_verified(client, coordinator)
    with records(queries=32):
        response = client.post(
            reverse("ncii_cases:intake"), intake_post(school, reporter_anonymous="on")
        )
    assert response.status_code == 200
    assert "The reporter asked to stay anonymous: leave their name empty" in (
        response.content.decode()
    )
    assert not Case.objects.exists()

    with records(
        Event(
            EventType.CASE_CREATED,
            coordinator,
            {"party_ids", "platform_ids", "reference", "school_id"},
        ),
        queries=47,
    ):
        client.post(
            reverse("ncii_cases:intake"),
            intake_post(school, reporter_anonymous="on", reporter_name=""),
        )
    case = Case.objects.get()
    summary = case_summary_for_user(user=coordinator, pk=case.pk, profile="redacted")
    assert summary.reporter == "Anonymous"


def test_nicknames_and_handles_of_a_party_are_redacted_like_the_name(case, coordinator):
    case_party_add_named(
        actor=coordinator,
        case=case,
        role=c.PartyRole.RESPONDENT,
        affiliation=c.Affiliation.STUDENT,
        first_name="Quillon",
        last_name="Harrowby",
        aliases="Q-Dog\n@qh_2011",
    )
    case.narrative = "Q-Dog posted it as @qh_2011; qh_2011 is Harrowby's account."
    case.save()
    summary = case_summary_for_user(user=coordinator, pk=case.pk, profile="redacted")
    assert summary.narrative == (
        "Respondent posted it as Respondent; Respondent is Respondent's account."
    )
