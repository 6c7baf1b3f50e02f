"""One form for several people: a measure for each person ticked, every due measure review on
one page, and the restorative offer with a row per person; and the to-do panel's links that
open these forms with the people still lacking one already chosen."""

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import CaseEvent, CaseMeasure, MeasureStatus, ResolutionOffer
from ncii_cases.services.corrections import record_correct
from ncii_cases.services.measures import measure_add, measure_review, measures_add_for_parties
from ncii_cases.workflow import transition_blockers
from tests.access.helpers import login_verified
from tests.factories import CasePartyFactory, PersonFactory
from tests.factories_workflow import measure as catalog
from tests.ncii_cases.conftest import place
from tests.recorded import Event, records

pytestmark = pytest.mark.django_db
K = CaseMeasure.Kind


def depicted(case, n):
    return [
        CasePartyFactory(
            case=case,
            role=c.PartyRole.DEPICTED,
            affiliation=c.Affiliation.STUDENT,
            is_minor=True,
            person=PersonFactory(district=case.district),
        )
        for _ in range(n)
    ]


@pytest.fixture
def respondent(case):
    return CasePartyFactory(
        case=case,
        role=c.PartyRole.RESPONDENT,
        person=PersonFactory(district=case.district),
        is_minor=True,
    )


def events(case, event_type):
    return CaseEvent.objects.filter(case=case, event_type=event_type).count()


def add_url(case):
    return reverse("ncii_cases:case_measure_add", args=[case.pk])


def counseling_for(parties, **extra):
    return {
        "kind": K.SUPPORTIVE,
        "party": [p.pk for p in parties],
        "measure": catalog("counseling").pk,
        "status": MeasureStatus.ACTIVE,
        "party_choice": "accepted",
        "submission_token": "6f1c1d3e-1b7a-4a8e-9c43-1a2b3c4d5e6f",
        **extra,
    }


# --- A measure for each person ticked ----------------------------------------------------------


def test_one_save_records_a_measure_and_an_event_for_each_person_ticked(client, case, coordinator):
    people = depicted(case, 4)
    login_verified(client, coordinator)

    with records(
        Event(
            EventType.MEASURE_ADDED,
            coordinator,
            {"catalog", "choice", "kind", "measure_id", "party_id"},
            times=4,
        ),
        queries=93,
    ):
        response = client.post(add_url(case), counseling_for(people))

    assert response.status_code == 302
    rows = CaseMeasure.objects.filter(case=case).order_by("party_id")
    assert [m.party for m in rows] == sorted(people, key=lambda p: p.pk)
    assert {(m.status, m.party_choice, m.measure.slug) for m in rows} == {
        ("active", "accepted", "counseling")
    }
    assert events(case, EventType.MEASURE_ADDED) == 4


def test_the_same_form_sent_twice_records_the_measures_once(client, case, coordinator):
    people = depicted(case, 2)
    login_verified(client, coordinator)
    data = counseling_for(people)

    with records(
        Event(
            EventType.MEASURE_ADDED,
            coordinator,
            {"catalog", "choice", "kind", "measure_id", "party_id"},
            times=2,
        ),
        queries=58,
    ):
        client.post(add_url(case), data)
    with records(queries=13):
        second = client.post(add_url(case), data)

    assert second.status_code == 302
    assert CaseMeasure.objects.filter(case=case).count() == 2
    assert events(case, EventType.MEASURE_ADDED) == 2


def test_a_person_refused_names_them_and_nothing_is_saved_for_anyone(
    client, case, coordinator, respondent
):
    # An interim measure concerns a respondent: ticking a person shown as well refuses all.
    (shown,) = depicted(case, 1)
    login_verified(client, coordinator)
    data = {
        "kind": K.INTERIM,
        "party": [respondent.pk, shown.pk],
        "measure": catalog("removal-from-shared-class").pk,
        "status": MeasureStatus.ACTIVE,
    }

    with records(queries=24):
        response = client.post(add_url(case), data)

    assert response.status_code == 200
    assert shown.display_name in response.content.decode()
    assert not CaseMeasure.objects.filter(case=case).exists()
    assert events(case, EventType.MEASURE_ADDED) == 0


def test_a_measure_with_nobody_ticked_says_to_tick_a_person(client, case, coordinator):
    depicted(case, 2)
    login_verified(client, coordinator)

    with records(queries=14):
        response = client.post(add_url(case), counseling_for([]))

    assert response.status_code == 200
    assert response.context["form"].errors["party"] == ["Tick at least one person."]
    assert not CaseMeasure.objects.filter(case=case).exists()
    assert events(case, EventType.MEASURE_ADDED) == 0


def test_the_service_refuses_an_empty_set_of_people(case, coordinator):
    with pytest.raises(ValidationError, match="at least one person"):
        measures_add_for_parties(
            actor=coordinator,
            case=case,
            parties=[],
            kind=K.SUPPORTIVE,
            measure=catalog("counseling"),
        )


def test_another_districts_person_is_refused(client, case, coordinator, foreign_case):
    (shown,) = depicted(case, 1)
    (foreign,) = depicted(foreign_case, 1)
    login_verified(client, coordinator)

    with records(queries=15):
        response = client.post(add_url(case), counseling_for([shown, foreign]))

    assert response.status_code == 200
    assert "party" in response.context["form"].errors
    assert not CaseMeasure.objects.exists()


def test_the_form_defaults_a_new_measure_to_in_place_and_offers_radio_buttons(
    client, case, coordinator
):
    depicted(case, 1)
    login_verified(client, coordinator)
    form = client.get(add_url(case)).context["form"]
    assert form["status"].value() == MeasureStatus.ACTIVE
    assert form["party_choice"].value() == "offered"
    assert form["kind"].value() in (None, "")  # no sensible default: the kind is chosen
    page = client.get(add_url(case)).content.decode()
    assert 'type="radio" name="kind"' in page and 'type="checkbox" name="party"' in page


def test_the_panel_link_ticks_everyone_still_lacking_support_with_the_kind_chosen(
    client, case, coordinator
):
    # Given three people shown at interim actions, one of whom accepted counseling
    first, second, third = depicted(case, 3)
    place(case, c.Stage.INTERIM_ACTIONS)
    measure_add(
        actor=coordinator,
        case=case,
        party=first,
        kind=K.SUPPORTIVE,
        measure=catalog("counseling"),
        party_choice="accepted",
    )
    # When the to-do panel's link is followed
    blockers = transition_blockers(case, "begin_investigation")
    urls = {b.target.url(case, "begin_investigation") for b in blockers}
    assert len(blockers) == 2 and len(urls) == 1
    (url,) = urls
    query = parse_qs(urlparse(url).query)
    assert query == {"kind": ["supportive"], "party": [str(second.pk), str(third.pk)]}
    login_verified(client, coordinator)
    form = client.get(url).context["form"]
    # Then the form opens with the two people ticked and the kind chosen
    assert sorted(int(p) for p in form["party"].value()) == [second.pk, third.pk]
    assert form["kind"].value() == "supportive"
    page = client.get(url).content.decode()
    assert page.count('type="checkbox" name="party"') == 3
    assert page.count("checked") >= 2


# --- Every due review on one page ------------------------------------------------------------


@pytest.fixture
def open_measures(case, coordinator):
    place(case, c.Stage.MONITORING)
    return [
        measure_add(
            actor=coordinator,
            case=case,
            party=p,
            kind=K.SUPPORTIVE,
            measure=catalog("counseling"),
            status=MeasureStatus.ACTIVE,
            party_choice="accepted",
        )
        for p in depicted(case, 3)
    ]


def review_url(case):
    return reverse("ncii_cases:case_measure_review", args=[case.pk])


def test_one_save_records_each_review_asked_and_skips_the_rows_left_as_they_are(
    client, case, coordinator, open_measures
):
    first, second, third = open_measures
    later = timezone.localdate() + dt.timedelta(days=30)
    login_verified(client, coordinator)
    page = client.get(review_url(case))
    assert f'name="version_{first.pk}"' in page.content.decode()

    with records(
        Event(
            EventType.MEASURE_REVIEWED,
            coordinator,
            {"ended", "measure_id", "next_review_on"},
            times=2,
        ),
        queries=39,
    ):
        response = client.post(
            review_url(case),
            {
                f"do_{first.pk}": "end",
                f"note_{first.pk}": "Support no longer needed, by the student's choice.",
                f"version_{first.pk}": first.version,
                f"do_{second.pk}": "review",
                f"next_review_on_{second.pk}": later.isoformat(),
                f"version_{second.pk}": second.version,
                f"do_{third.pk}": "leave",
                f"version_{third.pk}": third.version,
            },
        )

    assert response.status_code == 302
    for m in open_measures:
        m.refresh_from_db()
    assert first.status == MeasureStatus.ENDED and first.last_reviewed_at is not None
    assert second.status == MeasureStatus.ACTIVE and second.review_on == later
    assert third.last_reviewed_at is None
    assert events(case, EventType.MEASURE_REVIEWED) == 2


def test_a_stale_row_refuses_the_whole_save_and_nothing_is_saved(
    client, case, coordinator, open_measures
):
    first, second, _third = open_measures
    opened = {m.pk: m.version for m in open_measures}
    # Someone corrects the second measure after the page was opened
    record_correct(
        actor=coordinator, record=second, version=second.version, reason="Typo", description="x"
    )
    login_verified(client, coordinator)

    with records(queries=35):
        response = client.post(
            review_url(case),
            {
                f"do_{first.pk}": "end",
                f"version_{first.pk}": opened[first.pk],
                f"do_{second.pk}": "end",
                f"version_{second.pk}": opened[second.pk],
            },
        )

    assert response.status_code == 200
    assert response.context["problem"].startswith("Someone changed this since you opened it")
    first.refresh_from_db()
    assert first.status == MeasureStatus.ACTIVE and first.last_reviewed_at is None
    assert events(case, EventType.MEASURE_REVIEWED) == 0


def test_a_review_kept_in_place_without_a_date_is_refused_next_to_its_row(
    client, case, coordinator, open_measures
):
    first = open_measures[0]
    login_verified(client, coordinator)
    with records(queries=11):
        response = client.post(
            review_url(case),
            {f"do_{first.pk}": "review", f"version_{first.pk}": first.version},
        )
    assert response.status_code == 200
    assert f"next_review_on_{first.pk}" in response.context["form"].errors
    assert events(case, EventType.MEASURE_REVIEWED) == 0
    # Each measure's row (what to do, the next review with its error, the note) is one box.
    boxes = response.content.decode().split('<div class="row-group">')[1:]
    assert len(boxes) == len(open_measures)
    own = next(b for b in boxes if f'name="do_{first.pk}"' in b)
    assert f'name="next_review_on_{first.pk}"' in own and f'name="note_{first.pk}"' in own
    assert "needs its next review date" in own
    assert f'name="do_{open_measures[1].pk}"' not in own


def test_a_form_with_every_row_left_as_it_is_says_so(client, case, coordinator, open_measures):
    login_verified(client, coordinator)
    with records(queries=11):
        response = client.post(review_url(case), {})
    assert response.status_code == 200
    assert "Choose what to do with at least one measure" in response.content.decode()


def test_the_panel_links_every_due_review_to_the_one_review_page(case, open_measures):
    place(case, c.Stage.MONITORING)
    blockers = [
        b
        for b in transition_blockers(case, "close", reason="Done.")
        if "supportive measure" in str(b)
    ]
    assert len(blockers) == len(open_measures)
    assert {b.target.url(case, "close") for b in blockers} == {review_url(case)}


def test_a_counselor_reviews_only_the_measures_they_may_read(
    client, case, counselor, coordinator, open_measures, respondent
):
    interim = measure_add(
        actor=coordinator,
        case=case,
        party=respondent,
        kind=K.INTERIM,
        measure=catalog("removal-from-shared-class"),
        status=MeasureStatus.ACTIVE,
    )
    login_verified(client, counselor)
    form = client.get(review_url(case)).context["form"]
    assert f"do_{interim.pk}" not in form.fields
    assert all(f"do_{m.pk}" in form.fields for m in open_measures)


def test_a_counselor_is_offered_no_interim_measure_of_the_catalog(
    client, case, counselor, open_measures
):
    login_verified(client, counselor)
    form = client.get(add_url(case)).context["form"]
    kinds = set(form.fields["measure"].queryset.values_list("kind", flat=True))
    assert kinds == {"supportive"}
    assert "interim" not in dict(form.fields["kind"].choices)
    assert "An interim measure" not in str(form.fields["party_choice"].help_text)


# --- The offer with a row per person ---------------------------------------------------------


def offer_url(case):
    return reverse("ncii_cases:case_offer", args=[case.pk])


def test_one_save_records_an_offer_for_each_row_with_a_choice(client, case, coordinator):
    first, second, third = depicted(case, 3)
    login_verified(client, coordinator)

    with records(
        Event(
            EventType.RESOLUTION_OFFERED,
            coordinator,
            {"choice", "offer_id", "option", "party_id"},
            times=2,
        ),
        queries=51,
    ):
        response = client.post(
            offer_url(case),
            {
                "option": "restorative",
                f"choice_{first.pk}": "declined",
                f"choice_{second.pk}": "offered",
                f"notes_{second.pk}": "Wants time to think.",
                "submission_token": "0b1c1d3e-1b7a-4a8e-9c43-1a2b3c4d5e6f",
            },
        )

    assert response.status_code == 302
    offers = {o.party_id: o for o in ResolutionOffer.objects.filter(case=case)}
    assert set(offers) == {first.pk, second.pk}  # the blank row is skipped
    assert offers[first.pk].choice == "declined" and offers[first.pk].decided_at
    assert offers[second.pk].notes == "Wants time to think."
    assert events(case, EventType.RESOLUTION_OFFERED) == 2


def test_each_persons_offer_row_is_one_box_after_the_option(client, case, coordinator):
    first, second = depicted(case, 2)
    login_verified(client, coordinator)
    page = client.get(offer_url(case)).content.decode()
    option, *boxes = page.split('<div class="row-group">')
    assert 'name="option"' in option and len(boxes) == 2
    assert f'name="choice_{first.pk}"' in boxes[0] and f'name="notes_{first.pk}"' in boxes[0]
    assert f'name="choice_{second.pk}"' in boxes[1]


def test_the_offer_form_sent_twice_records_once(client, case, coordinator):
    (first,) = depicted(case, 1)
    login_verified(client, coordinator)
    data = {
        "option": "restorative",
        f"choice_{first.pk}": "declined",
        "submission_token": "1b1c1d3e-1b7a-4a8e-9c43-1a2b3c4d5e6f",
    }
    with records(
        Event(
            EventType.RESOLUTION_OFFERED, coordinator, {"choice", "offer_id", "option", "party_id"}
        ),
        queries=37,
    ):
        client.post(offer_url(case), data)
    with records(queries=12):
        client.post(offer_url(case), data)
    assert ResolutionOffer.objects.filter(case=case).count() == 1


def test_an_offer_form_with_every_row_blank_is_refused(client, case, coordinator):
    depicted(case, 2)
    login_verified(client, coordinator)
    with records(queries=11):
        response = client.post(offer_url(case), {"option": "restorative"})
    assert response.status_code == 200
    assert "Record the choice of at least one person" in response.content.decode()
    assert not ResolutionOffer.objects.exists()


def test_the_panel_link_readies_a_row_for_each_person_shown_without_an_offer(
    client, case, coordinator
):
    first, second = depicted(case, 2)
    place(case, c.Stage.INVESTIGATION)
    login_verified(client, coordinator)
    with records(
        Event(
            EventType.RESOLUTION_OFFERED, coordinator, {"choice", "offer_id", "option", "party_id"}
        ),
        queries=32,
    ):
        client.post(
            offer_url(case),
            {"option": "restorative", f"choice_{first.pk}": "declined"},
        )
    blockers = transition_blockers(case, "begin_informal_resolution", reason="Agreed.")
    (url,) = {
        b.target.url(case, "begin_informal_resolution")
        for b in blockers
        if "depicted person" in str(b)
    }
    assert parse_qs(urlparse(url).query) == {"party": [str(second.pk)]}
    form = client.get(url).context["form"]
    assert form[f"choice_{second.pk}"].value() == "offered"
    assert form[f"choice_{first.pk}"].value() in (None, "")


def test_a_row_ended_by_someone_else_meanwhile_is_refused_as_stale_not_skipped(
    client, case, coordinator, open_measures
):
    first, second, _third = open_measures
    opened = first.version
    measure_review(actor=coordinator, measure=first, end=True, version=opened)
    login_verified(client, coordinator)

    with records(queries=23):
        response = client.post(
            review_url(case),
            {
                f"do_{first.pk}": "end",
                f"version_{first.pk}": opened,
                f"do_{second.pk}": "end",
                f"version_{second.pk}": second.version,
            },
        )

    assert response.context["problem"].startswith("Someone changed this since you opened it")
    second.refresh_from_db()
    assert second.status == MeasureStatus.ACTIVE
    assert events(case, EventType.MEASURE_REVIEWED) == 1  # the other person's review only


def test_a_row_id_too_large_for_any_column_is_no_row(client, case, coordinator, open_measures):
    login_verified(client, coordinator)
    with records(queries=11):
        response = client.post(review_url(case), {"version_9223372036854775808": "1"})
    assert response.status_code == 200
    assert events(case, EventType.MEASURE_REVIEWED) == 0


def test_the_answer_to_an_open_offer_is_recorded_on_it_not_as_a_second_offer(
    client, case, coordinator
):
    (first,) = depicted(case, 1)
    login_verified(client, coordinator)
    with records(
        Event(
            EventType.RESOLUTION_OFFERED, coordinator, {"choice", "offer_id", "option", "party_id"}
        ),
        queries=37,
    ):
        client.post(
            offer_url(case),
            {
                "option": "restorative",
                f"choice_{first.pk}": "offered",
                "submission_token": "2b1c1d3e-1b7a-4a8e-9c43-1a2b3c4d5e6f",
            },
        )

    with records(
        Event(EventType.RESOLUTION_CHOICE_RECORDED, coordinator, {"choice", "offer_id", "option"}),
        queries=37,
    ):
        response = client.post(
            offer_url(case),
            {
                "option": "restorative",
                f"choice_{first.pk}": "declined",
                "submission_token": "3b1c1d3e-1b7a-4a8e-9c43-1a2b3c4d5e6f",
            },
        )

    assert response.status_code == 302
    (offer,) = ResolutionOffer.objects.filter(case=case, party=first)
    assert offer.choice == "declined" and offer.decided_at is not None
    assert events(case, EventType.RESOLUTION_OFFERED) == 1
    assert events(case, EventType.RESOLUTION_CHOICE_RECORDED) == 1


def test_offering_again_an_offer_still_open_is_refused_in_words(client, case, coordinator):
    (first,) = depicted(case, 1)
    login_verified(client, coordinator)
    offered = Event(
        EventType.RESOLUTION_OFFERED, coordinator, {"choice", "offer_id", "option", "party_id"}
    )
    # The first form offers; the second, for the same open offer, writes nothing.
    for token, written, queries in (
        ("4b1c1d3e-1b7a-4a8e-9c43-1a2b3c4d5e6f", [offered], 37),
        ("5b1c1d3e-1b7a-4a8e-9c43-1a2b3c4d5e6f", [], 26),
    ):
        with records(*written, queries=queries):
            response = client.post(
                offer_url(case),
                {
                    "option": "restorative",
                    f"choice_{first.pk}": "offered",
                    "submission_token": token,
                },
            )

    assert response.status_code == 200
    assert "already offered and has no answer yet" in response.content.decode()
    assert ResolutionOffer.objects.filter(case=case, party=first).count() == 1
