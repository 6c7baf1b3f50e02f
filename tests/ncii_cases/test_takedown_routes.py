"""Takedown routes by the age in the imagery (issue 16): Take It Down for imagery made under 18
(or of unknown age) even of a person who is an adult now, StopNCII only for imagery made at 18
or over, and for each covered platform where the imagery was seen its own notice under the
TAKE IT DOWN Act beside the hash service."""

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import CaseEvent, EvidenceItem, TakedownRequest
from ncii_cases.selectors.cases import takedown_suggestions_for_user
from ncii_cases.services.takedowns import takedown_request_create, takedown_route_suggest
from ncii_cases.takedown_routes import route_refusal, takedown_suggestions
from tests.access.helpers import login_verified
from tests.factories import CasePartyFactory
from tests.factories_records import EvidenceItemFactory
from tests.factories_workflow import platform
from tests.recorded import Event, records

Age = c.AgeInImagery
R = TakedownRequest.Route
AGES_NOW = [True, False, None]


def depicted(case, *, age_in_imagery, minor_now):
    return CasePartyFactory(
        case=case, role=c.PartyRole.DEPICTED, is_minor=minor_now, age_in_imagery=age_in_imagery
    )


@pytest.mark.parametrize(
    "age_in_imagery,minor_now", list(itertools.product([Age.UNDER_18, Age.UNKNOWN], AGES_NOW))
)
def test_stopncii_is_refused_unless_the_imagery_was_made_at_18_or_over(
    case, investigator, age_in_imagery, minor_now
):
    party = depicted(case, age_in_imagery=age_in_imagery, minor_now=minor_now)
    with pytest.raises(ValidationError) as err:
        takedown_request_create(
            actor=investigator,
            case=case,
            platform=platform("instagram"),
            location="@account",
            depicted_party=party,
            route=R.STOPNCII,
        )
    assert "StopNCII is only for imagery made when the person was 18 or over" in str(
        err.value.message_dict["route"]
    )
    assert not TakedownRequest.objects.exists()
    assert not CaseEvent.objects.filter(event_type=EventType.TAKEDOWN_CREATED).exists()


@pytest.mark.parametrize("minor_now", AGES_NOW)
@pytest.mark.parametrize("age_in_imagery", [Age.UNDER_18, Age.ADULT, Age.UNKNOWN])
def test_the_routes_offered_follow_the_age_in_the_imagery_not_the_age_now(
    case, age_in_imagery, minor_now
):
    party = depicted(case, age_in_imagery=age_in_imagery, minor_now=minor_now)
    if age_in_imagery == Age.ADULT:
        assert takedown_route_suggest(party) == R.STOPNCII
    else:
        assert takedown_route_suggest(party) == R.TAKE_IT_DOWN
    assert (route_refusal(R.STOPNCII, party) is None) == (age_in_imagery == Age.ADULT)
    assert (route_refusal(R.TAKE_IT_DOWN, party) is None) == (age_in_imagery != Age.ADULT)
    assert route_refusal(R.PLATFORM, party) is None


def test_take_it_down_is_offered_for_imagery_made_under_18_of_a_person_now_adult(
    case, investigator
):
    # Given a person who is 18 now and was 17 in the imagery
    party = depicted(case, age_in_imagery=Age.UNDER_18, minor_now=False)
    # When a request is opened without choosing a route
    row = takedown_request_create(
        actor=investigator,
        case=case,
        platform=platform("snapchat"),
        location="Story shared by @sender",
        depicted_party=party,
    )
    # Then it is Take It Down (the old rule, by the age now, chose StopNCII)
    assert row.route == R.TAKE_IT_DOWN
    event = CaseEvent.objects.get(case=case, event_type=EventType.TAKEDOWN_CREATED)
    assert event.detail["route"] == "take_it_down"


def test_take_it_down_is_refused_for_imagery_of_an_adult(case, investigator):
    party = depicted(case, age_in_imagery=Age.ADULT, minor_now=False)
    with pytest.raises(ValidationError) as err:
        takedown_request_create(
            actor=investigator,
            case=case,
            platform=platform("snapchat"),
            location="@someone",
            depicted_party=party,
            route=R.TAKE_IT_DOWN,
        )
    assert "Use StopNCII" in str(err.value.message_dict["route"])


def _seen(case, slug, url):
    return EvidenceItemFactory(case=case, description="A post", platform=platform(slug), url=url)


def test_every_covered_platform_gets_its_own_notice_beside_the_hash_service(case):
    party = depicted(case, age_in_imagery=Age.UNDER_18, minor_now=False)
    _seen(case, "instagram", "https://instagram.example/p/1")
    _seen(case, "airdrop", "Phones in the library")
    rows = takedown_suggestions(
        evidence=EvidenceItem.objects.filter(case=case).select_related("platform"),
        depicted=[party],
        existing=[],
    )
    got = {(s.platform_name.lower(), s.route, s.covered_by_48h_rule) for s in rows}
    instagram = platform("instagram").name.lower()
    airdrop = platform("airdrop").name.lower()
    assert got == {
        (instagram, R.TAKE_IT_DOWN, False),
        (instagram, R.PLATFORM, True),  # the notice that starts the 48 hours
        (airdrop, R.TAKE_IT_DOWN, False),
        (airdrop, R.PLATFORM, False),  # not covered: no legal clock
    }
    notice = next(s for s in rows if s.covered_by_48h_rule)
    assert "starts the 48 hours" in notice.why


def test_a_request_already_open_is_not_proposed_again(case, investigator):
    party = depicted(case, age_in_imagery=Age.ADULT, minor_now=False)
    _seen(case, "instagram", "https://instagram.example/p/2")
    takedown_request_create(
        actor=investigator,
        case=case,
        platform=platform("instagram"),
        location="https://instagram.example/p/2",
        depicted_party=party,
        route=R.STOPNCII,
    )
    rows = takedown_suggestions(
        evidence=EvidenceItem.objects.filter(case=case).select_related("platform"),
        depicted=[party],
        existing=TakedownRequest.objects.filter(case=case),
    )
    assert [(s.route, s.covered_by_48h_rule) for s in rows] == [(R.PLATFORM, True)]


# --- The page ---------------------------------------------------------------------------------


def test_the_takedown_page_proposes_the_routes_and_refuses_stopncii_for_a_minor(
    client, case, investigator
):
    party = depicted(case, age_in_imagery=Age.UNDER_18, minor_now=True)
    _seen(case, "instagram", "https://instagram.example/p/3")
    login_verified(client, investigator)
    url = reverse("ncii_cases:case_takedown_add", args=[case.pk])
    page = client.get(url).content.decode()
    assert "Suggested from where it was seen" in page
    assert "Carries the 48-hour clock." in page
    token = page.split('name="submission_token" value="')[1].split('"')[0]
    data = {
        "submission_token": token,
        "platform": platform("instagram").pk,
        "location": "https://instagram.example/p/3",
        "depicted_party": party.pk,
        "route": R.STOPNCII,
    }
    with records(queries=21):
        response = client.post(url, data)
    assert response.status_code == 200
    assert "StopNCII is only for imagery made when the person was 18 or over" in (
        response.content.decode()
    )
    assert not TakedownRequest.objects.exists()
    assert not CaseEvent.objects.filter(event_type=EventType.TAKEDOWN_CREATED).exists()
    # The platform's own notice is accepted, with its event
    data["route"] = R.PLATFORM
    with records(
        Event(
            EventType.TAKEDOWN_CREATED,
            investigator,
            {"covered_by_48h_rule", "platform", "route", "suggested_route", "takedown_id"},
        ),
        queries=43,
    ):
        response = client.post(url, data)
    assert response.status_code == 302
    row = TakedownRequest.objects.get()
    assert row.covered_by_48h_rule is True
    assert CaseEvent.objects.filter(event_type=EventType.TAKEDOWN_CREATED).count() == 1


def test_support_staff_get_no_suggestions_and_another_district_gets_404(
    client, case, counselor, investigator, outsider
):
    depicted(case, age_in_imagery=Age.UNDER_18, minor_now=True)
    _seen(case, "instagram", "https://instagram.example/p/4")
    # The places are evidence: support staff, who do not see the evidence log, get none
    assert takedown_suggestions_for_user(user=counselor, case=case) == []
    assert takedown_suggestions_for_user(user=investigator, case=case)
    url = reverse("ncii_cases:case_takedown_add", args=[case.pk])
    login_verified(client, outsider)
    assert client.get(url).status_code == 404
