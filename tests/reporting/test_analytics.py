"""District analytics: small cells suppressed on the page, in the charts and in the CSV; the
measures computed right on hand-made data; the coordinator's own district only; a constant
number of queries."""

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.analytics_facts import case_facts_refresh_all
from ncii_cases.audit import case_event_record
from ncii_cases.events import EventType
from ncii_cases.models import AccessEvent, CaseMeasure, PartyChoice, TakedownRequest
from reporting.analytics import chart_build, csv_safe
from reporting.suppression import Cell, rate, suppress_breakdown
from tests.access.helpers import login_verified
from tests.factories import CaseFactory, CasePartyFactory, SchoolFactory
from tests.factories_records import CaseMeasureFactory, TakedownRequestFactory
from tests.factories_workflow import measure, platform

ANALYTICS = reverse("reporting:analytics")
CSV = reverse("reporting:analytics_csv")
BOARD = reverse("reporting:analytics_board_report")
KIND = "Cases by NCII kind"
SYNTHETIC = c.NciiKind.SYNTHETIC.label
AUTHENTIC = c.NciiKind.AUTHENTIC.label
UNDETERMINED = c.NciiKind.UNDETERMINED.label


def fetch(client, url, data=None):
    """GETs the url after the hourly reconcile ran: these tests arrange cases with factories,
    outside the services that mark a case's analytics facts stale."""
    case_facts_refresh_all()
    return client.get(url, data)


def cases(school, n, **fields):
    return [CaseFactory(school=school, **fields) for _ in range(n)]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming  # written row by row, never whole in memory
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def csv_value(rows, section, label):
    found = [r[2] for r in rows if r[0] == section and r[1] == label]
    assert len(found) == 1, (section, label, rows)
    return found[0]


def measure_of(response, key):
    return next(m for m in response.context["report"].measures if m.key == key)


def section_of(response, key):
    return next(s for s in response.context["report"].sections if s.key == key)


def small_numbers_in(html: str) -> list[str]:
    """Text nodes holding exactly a count from 1 to 4 (in tables and in the SVG)."""
    return re.findall(r">\s*([1-4])\s*<", html)


# --- The suppression rule --------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_a_count_from_one_to_four_is_shown_as_less_than_five(count):
    cells, _ = suppress_breakdown([("x", count)], count)
    assert cells[0].text == "<5"


@pytest.mark.parametrize("count", [0, 5, 6, 137])
def test_zero_and_counts_of_five_or_more_are_shown_exactly(count):
    cells, total = suppress_breakdown([("x", count)], count)
    assert cells[0].text == total.text == str(count)


def test_a_single_small_cell_also_hides_the_next_smallest_cell():
    cells, total = suppress_breakdown([("a", 3), ("b", 7), ("c", 20), ("d", 0)], 30)
    assert [cell.text for cell in cells] == ["<5", "hidden", "20", "0"]
    assert total.text == "30"


def test_small_cells_adding_up_to_under_five_hide_one_more_cell():
    cells, _ = suppress_breakdown([("a", 1), ("b", 2), ("c", 9), ("d", 12)], 24)
    assert [cell.text for cell in cells] == ["<5", "<5", "hidden", "12"]


def test_two_small_cells_adding_up_to_five_or_more_need_no_complement():
    cells, total = suppress_breakdown([("a", 3), ("b", 4), ("c", 9)], 16)
    assert [cell.text for cell in cells] == ["<5", "<5", "9"]
    assert total.text == "16"


def test_the_total_is_hidden_when_no_cell_is_left_to_hide():
    cells, total = suppress_breakdown([("a", 3), ("b", 0)], 8)
    assert [cell.text for cell in cells] == ["<5", "0"]
    assert total.text == "hidden"


def test_a_small_total_is_shown_as_less_than_five():
    _, total = suppress_breakdown([("a", 3)], 3)
    assert total.text == "<5"


def test_no_cell_is_ever_recoverable_by_subtraction_from_the_total():
    for rows in ([1, 6, 9], [4, 5, 5, 30], [2, 2, 40], [0, 4, 0, 8], [1, 1, 1, 1, 50]):
        cells, total = suppress_breakdown([(str(i), n) for i, n in enumerate(rows)], sum(rows))
        hidden = [n for cell, n in zip(cells, rows, strict=True) if cell.suppressed]
        if hidden and not total.suppressed:
            assert len(hidden) >= 2 and sum(hidden) >= 5, rows


@pytest.mark.parametrize(
    "numerator,denominator,expected",
    [(3, 20, None), (18, 20, None), (4, 4, None), (0, 3, None), (10, 20, 0.5), (0, 8, 0.0)],
)
def test_a_rate_from_few_cases_or_revealing_a_small_count_is_suppressed(
    numerator, denominator, expected
):
    assert rate(numerator, denominator) == expected


def test_a_suppressed_bar_looks_the_same_whatever_its_count():
    one = chart_build(key="k", title="T", cells=suppress_breakdown([("a", 1), ("b", 9)], 10)[0])
    four = chart_build(key="k", title="T", cells=suppress_breakdown([("a", 4), ("b", 9)], 13)[0])
    assert one.bars == four.bars
    assert one.bars[0].suppressed and one.bars[0].text == "<5"
    assert "fewer than 5" in one.desc


def test_a_shown_bar_is_scaled_to_the_largest_shown_count_only():
    chart = chart_build(key="k", title="T", cells=[Cell("a", None, small=True), Cell("b", 10)])
    assert chart.bars[1].width == 320
    assert chart.bars[0].width == 28


@pytest.mark.parametrize("text", ["=SUM(A1)", "+1", "-2", "@cmd", "\tx"])
def test_csv_cells_that_a_spreadsheet_would_run_are_defused(text):
    assert csv_safe(text) == "'" + text
    assert csv_safe("North High") == "North High"


# --- The page and the CSV ----------------------------------------------------------------------


@pytest.fixture
def kinds(school, foreign_case):
    """21 cases in the district (12 synthetic, 6 authentic, 3 undetermined), and another
    district's cases that must never be counted."""
    cases(school, 12, ncii_kind=c.NciiKind.SYNTHETIC)
    cases(school, 6, ncii_kind=c.NciiKind.AUTHENTIC)
    cases(school, 3, ncii_kind=c.NciiKind.UNDETERMINED)
    cases(foreign_case.school, 4, ncii_kind=c.NciiKind.AUTHENTIC)


def test_the_coordinator_sees_exact_small_counts_and_is_told_why(client, coordinator, kinds):
    login_verified(client, coordinator)
    response = fetch(client, ANALYTICS)
    assert response.status_code == 200
    kind = section_of(response, "ncii_kind")
    assert [cell.text for cell in kind.cells] == ["6", "12", "3"]
    assert kind.total.text == "21"
    html = response.content.decode()
    assert f'<th scope="row">{UNDETERMINED}</th><td>3</td>' in html
    assert "The counts on this page are <strong>exact</strong>" in html
    assert "in the <strong>CSV export</strong> and the <strong>board report</strong>" in html


def test_a_school_administrator_sees_their_school_with_small_counts_suppressed(
    client, school_admin, kinds
):
    login_verified(client, school_admin)
    response = fetch(client, ANALYTICS)
    assert response.status_code == 200
    html = response.content.decode()
    kind = section_of(response, "ncii_kind")
    assert [cell.text for cell in kind.cells] == ["hidden", "12", "<5"]
    assert kind.total.text == "21"
    assert f'<th scope="row">{SYNTHETIC}</th><td>12</td>' in html
    assert f'<th scope="row">{UNDETERMINED}</th><td>&lt;5</td>' in html
    assert f'<th scope="row">{AUTHENTIC}</th><td>hidden</td>' in html
    assert small_numbers_in(html) == []
    assert "The counts on this page are" not in html
    assert response.context["report"].exact is False


def test_a_share_of_nothing_is_no_cases_not_a_small_count(client, school_admin, kinds):
    """Without a takedown request, the share removed within 48 hours is "No cases" on a
    suppressed page and in its CSV, as on an exact one: a zero reveals no one, and "<5" read
    as if there were some."""
    login_verified(client, school_admin)
    measure = measure_of(fetch(client, ANALYTICS), "takedown_within_48h")
    assert measure.text == "No cases"
    rows = csv_rows(fetch(client, CSV))
    found = [r for r in rows if r[1] == "Takedown requests removed within 48 hours"]
    assert found and found[0][2] == ""


def test_a_school_administrator_counts_only_their_schools(
    client, school_admin, school, other_school
):
    cases(school, 6)
    cases(other_school, 9)
    login_verified(client, school_admin)
    response = fetch(client, ANALYTICS)
    assert response.context["report"].total.text == "6"
    assert [(c.label, c.text) for c in section_of(response, "school").cells] == [
        ("North High", "6")
    ]
    assert [str(s) for s in response.context["form"].fields["school"].queryset] == [str(school)]
    # Another school of the district, forged into the filter: refused as an invalid choice.
    assert fetch(client, CSV, {"school": other_school.pk}).status_code == 400


def test_the_csv_shows_small_counts_as_less_than_five_and_others_exactly(
    client, coordinator, kinds
):
    login_verified(client, coordinator)
    rows = csv_rows(fetch(client, CSV))
    assert rows[0] == ["section", "label", "value"]
    assert csv_value(rows, KIND, SYNTHETIC) == "12"
    assert csv_value(rows, KIND, UNDETERMINED) == "<5"
    assert csv_value(rows, KIND, AUTHENTIC) == "hidden"
    assert csv_value(rows, KIND, "Cases in view") == "21"
    assert csv_value(rows, "Summary", "Cases in view") == "21"
    assert [r for r in rows if r[2] in {"1", "2", "3", "4"}] == []
    assert {r[0] for r in rows} >= {
        "Cases by school",
        "Cases by respondent affiliation",
        "Cases by platform",
        "Cases by conduct",
        "Cases by stage",
        "Cases by month reported",
        "Takedown requests against the 48-hour duty",
        "Measures",
    }


def test_the_csv_export_is_logged(client, coordinator, kinds):
    login_verified(client, coordinator)
    fetch(client, CSV)
    entry = AccessEvent.objects.order_by("pk").last()
    assert (entry.user, entry.action, entry.allowed, entry.case) == (
        coordinator,
        "analytics_csv",
        True,
        None,
    )


def test_another_districts_cases_are_never_counted(client, coordinator, outsider, kinds):
    login_verified(client, coordinator)
    response = fetch(client, ANALYTICS)
    assert response.context["report"].total.value == 21
    client.logout()
    login_verified(client, outsider)
    response = fetch(client, ANALYTICS)
    # The outsider's district holds 5 cases: 4 authentic and the undetermined foreign case.
    assert response.context["report"].total.text == "5"
    kind = section_of(response, "ncii_kind")
    assert [cell.text for cell in kind.cells] == ["4", "0", "1"]
    assert "North High" not in response.content.decode()


@pytest.mark.parametrize("persona", ["investigator", "counselor", "auditor", "it_admin"])
def test_roles_without_the_analytics_right_get_404(client, request, persona, kinds):
    login_verified(client, request.getfixturevalue(persona))
    assert fetch(client, ANALYTICS).status_code == 404
    assert fetch(client, CSV).status_code == 404
    assert client.get(BOARD).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client, kinds):
    response = fetch(client, CSV)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_each_chart_is_an_accessible_svg_beside_its_data_table(client, school_admin, kinds):
    login_verified(client, school_admin)
    html = fetch(client, ANALYTICS).content.decode()
    charts = re.findall(
        r"<svg [^>]*>.*?</svg>\s*(?:<div [^>]*>)?<table class=\"data-table\">\s*<caption[^>]*>",
        html,
        re.S,
    )
    # Eight breakdowns and three trends by month.
    assert len(charts) == 11
    for svg in charts:
        labelledby = re.search(r'role="img" aria-labelledby="([^"]+)"', svg).group(1).split()
        title_id, desc_id = labelledby
        assert f'<title id="{title_id}">' in svg and f'<desc id="{desc_id}">' in svg
        assert "style=" not in svg
    kind_svg = next(svg for svg in charts if "chart-ncii_kind-title" in svg)
    assert 'fill="url(#hatch-ncii_kind)"' in kind_svg
    assert f"{UNDETERMINED}: fewer than 5" in kind_svg
    assert '<th scope="col">' in html and "<caption>" in html


def test_school_names_are_escaped_on_the_page_and_defused_in_the_csv(client, coordinator, district):
    school = SchoolFactory(district=district, name="=HYPERLINK(1)<script>x</script>")
    cases(school, 5)
    login_verified(client, coordinator)
    html = fetch(client, ANALYTICS).content.decode()
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;" in html
    rows = csv_rows(fetch(client, CSV))
    assert csv_value(rows, "Cases by school", "'=HYPERLINK(1)<script>x</script>") == "5"


# --- Filters -----------------------------------------------------------------------------------


def test_the_date_and_school_filters_narrow_the_cases(client, coordinator, school, other_school):
    now = timezone.now()
    cases(school, 6, reported_at=now - dt.timedelta(days=40))
    cases(school, 7, reported_at=now - dt.timedelta(days=2))
    cases(other_school, 8, reported_at=now - dt.timedelta(days=2))
    login_verified(client, coordinator)
    since = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    response = fetch(client, ANALYTICS, {"date_from": since})
    assert response.context["report"].total.value == 15
    response = fetch(client, ANALYTICS, {"date_from": since, "school": school.pk})
    assert response.context["report"].total.value == 7
    rows = csv_rows(fetch(client, CSV, {"school": other_school.pk}))
    assert csv_value(rows, "Summary", "Cases in view") == "8"


def test_invalid_filters_are_explained_not_an_error(client, coordinator, school, foreign_case):
    login_verified(client, coordinator)
    response = fetch(client, ANALYTICS, {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert response.status_code == 200
    assert response.context["report"] is None
    assert "The end date must be on or after the start date." in response.content.decode()
    response = fetch(client, ANALYTICS, {"school": foreign_case.school_id, "date_to": "nonsense"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "Enter a valid date." in response.content.decode()
    response = fetch(client, CSV, {"date_to": "nonsense"})
    assert response.status_code == 400


# --- The measures on a small hand-made dataset ------------------------------------------------


def test_time_to_first_action_counts_the_first_staff_action_after_intake(
    client, coordinator, school_admin, school
):
    now = timezone.now()
    for hours in (1, 2, 3, 4, 5, 6):
        case = CaseFactory(school=school, reported_at=now - dt.timedelta(hours=hours))
        # The intake and the obligations the system adds are not a first action.
        case_event_record(case=case, actor=coordinator, event_type=EventType.CASE_CREATED)
        case_event_record(case=case, actor=coordinator, event_type=EventType.REPORTS_TRIGGERED)
        case_event_record(case=case, actor=None, event_type=EventType.TRANSITION)
        case_event_record(case=case, actor=coordinator, event_type=EventType.ASSIGNED)
    waiting = CaseFactory(school=school, reported_at=now - dt.timedelta(hours=100))
    case_event_record(case=waiting, actor=coordinator, event_type=EventType.CASE_CREATED)
    login_verified(client, school_admin)
    response = fetch(client, ANALYTICS)
    first = measure_of(response, "first_action")
    # Medians of 1..6 hours: 3.5 hours (the events were written a moment after "now").
    assert first.text == "3.5 hours"
    assert "no action yet: <5" in first.note
    rows = csv_rows(fetch(client, CSV))
    assert csv_value(rows, "Measures", first.label) == "3.5 hours"


def test_time_to_first_action_from_fewer_than_five_cases_is_suppressed(
    client, coordinator, school_admin, school
):
    for _ in range(4):
        case = CaseFactory(school=school)
        case_event_record(case=case, actor=coordinator, event_type=EventType.ASSIGNED)
    cases(school, 6)
    login_verified(client, school_admin)
    response = fetch(client, ANALYTICS)
    assert measure_of(response, "first_action").text == "Not shown (fewer than 5 cases)"
    client.logout()
    login_verified(client, coordinator)
    assert measure_of(fetch(client, ANALYTICS), "first_action").text.endswith("(from 4)")
    rows = csv_rows(fetch(client, CSV))
    assert csv_value(rows, "Measures", "Median time from report to first action") == "<5"


def test_time_to_closure_is_the_median_from_report_to_closing(client, school_admin, school):
    reported = timezone.now() - dt.timedelta(days=30)
    for days in (1, 2, 3, 4, 10):
        CaseFactory(
            school=school,
            stage=c.Stage.CLOSED,
            reported_at=reported,
            closed_at=reported + dt.timedelta(days=days),
        )
    cases(school, 5)  # open cases are not measured
    login_verified(client, school_admin)
    response = fetch(client, ANALYTICS)
    assert measure_of(response, "closure").text == "3.0 days"
    rows = csv_rows(fetch(client, CSV))
    assert csv_value(rows, "Measures", "Median time from report to closure") == "72.0 hours"


def takedown(case, *, submitted_hours_ago, removed_after=None, **fields):
    submitted = timezone.now() - dt.timedelta(hours=submitted_hours_ago)
    values = {
        "case": case,
        "platform": platform("snapchat"),
        "location": "a group",
        "route": TakedownRequest.Route.PLATFORM,
        "covered_by_48h_rule": True,
        "status": TakedownRequest.Status.SUBMITTED,
        "submitted_at": submitted,
        "due_at": submitted + dt.timedelta(hours=48),
    }
    if removed_after is not None:
        values["status"] = TakedownRequest.Status.REMOVED
        values["resolved_at"] = submitted + dt.timedelta(hours=removed_after)
    values.update(fields)
    return TakedownRequestFactory(**values)


def test_takedown_turnaround_is_measured_against_the_48_hour_duty(client, school_admin, school):
    one, two = cases(school, 2)
    for hours in (10, 20, 30, 40, 44, 47):
        takedown(one, submitted_hours_ago=200, removed_after=hours)
    for hours in (49, 50, 60, 70, 80):
        takedown(two, submitted_hours_ago=200, removed_after=hours)
    for _ in range(5):  # still awaiting removal after their 48 hours: overdue
        takedown(two, submitted_hours_ago=72)
    # Not counted: a hash-program request (no statutory clock), one not yet submitted.
    takedown(
        one,
        submitted_hours_ago=5,
        route=TakedownRequest.Route.TAKE_IT_DOWN,
        covered_by_48h_rule=False,
        due_at=None,
    )
    takedown(
        one,
        submitted_hours_ago=0,
        submitted_at=None,
        due_at=None,
        status=TakedownRequest.Status.TO_DO,
    )
    login_verified(client, school_admin)
    response = fetch(client, ANALYTICS)
    outcomes = section_of(response, "takedown")
    assert [cell.text for cell in outcomes.cells] == ["6", "5", "5", "0", "0", "0"]
    assert outcomes.total.text == "16"
    assert measure_of(response, "takedown_within_48h").text == "38% (6 of 16)"
    # The median of the 11 removals: the 6th shortest, 47 hours.
    assert measure_of(response, "takedown_removal").text == "47.0 hours"
    rows = csv_rows(fetch(client, CSV))
    section = "Takedown requests against the 48-hour duty"
    assert csv_value(rows, section, "Not removed, past 48 hours (overdue)") == "5"
    assert csv_value(rows, "Measures", "Takedown requests removed within 48 hours") == "37.5%"


def test_a_pending_request_within_its_clock_is_not_overdue(client, school_admin, school):
    (case,) = cases(school, 1)
    takedown(case, submitted_hours_ago=1)
    login_verified(client, school_admin)
    outcomes = section_of(fetch(client, ANALYTICS), "takedown")
    assert [cell.text for cell in outcomes.cells] == ["0", "0", "0", "<5", "0", "0"]


def support_party(case):
    return CasePartyFactory(case=case, role=c.PartyRole.DEPICTED)


def test_shares_of_supportive_measures_and_takedown_resources(client, school_admin, school):
    rows = cases(school, 15)
    choices = [PartyChoice.OFFERED, PartyChoice.ACCEPTED, PartyChoice.DECLINED]
    for i, case in enumerate(rows[:6]):
        slug = "take-it-down-guidance" if i < 3 else "counseling"
        CaseMeasureFactory(
            case=case,
            party=support_party(case),
            kind=CaseMeasure.Kind.SUPPORTIVE,
            measure=measure(slug),
            party_choice=choices[i % 3],
        )
    for case in rows[6:8]:  # Take It Down requests: the resource was given
        takedown(
            case,
            submitted_hours_ago=5,
            route=TakedownRequest.Route.TAKE_IT_DOWN,
            covered_by_48h_rule=False,
            due_at=None,
        )
    # Not an offer to a complainant: an interim measure, a platform's own route.
    CaseMeasureFactory(
        case=rows[8],
        party=CasePartyFactory(case=rows[8], role=c.PartyRole.RESPONDENT),
        kind=CaseMeasure.Kind.INTERIM,
        measure=measure("no-contact-directive"),
        party_choice=PartyChoice.NOT_APPLICABLE,
    )
    takedown(rows[9], submitted_hours_ago=5)
    login_verified(client, school_admin)
    response = fetch(client, ANALYTICS)
    assert measure_of(response, "supportive_offered").text == "40% (6 of 15)"
    assert measure_of(response, "takedown_resources").text == "33% (5 of 15)"


def test_a_share_that_would_reveal_a_small_count_is_suppressed(client, school_admin, school):
    rows = cases(school, 8)
    for case in rows[:3]:
        CaseMeasureFactory(
            case=case,
            party=support_party(case),
            kind=CaseMeasure.Kind.SUPPORTIVE,
            measure=measure("counseling"),
        )
    login_verified(client, school_admin)
    response = fetch(client, ANALYTICS)
    shown = measure_of(response, "supportive_offered")
    assert shown.text == "Not shown (it would reveal a small count)"
    assert "3" not in shown.text + shown.note
    rows = csv_rows(fetch(client, CSV))
    assert csv_value(rows, "Measures", shown.label) == "hidden"


def test_breakdowns_by_respondent_affiliation_platform_school_and_month(
    client, coordinator, school
):
    rows = cases(school, 15)
    for case in rows[:10]:
        CasePartyFactory(case=case, role=c.PartyRole.RESPONDENT, affiliation="student")
        # A second respondent of the same affiliation: the case still counts once.
        CasePartyFactory(case=case, role=c.PartyRole.RESPONDENT, affiliation="student")
        case.platforms.add(platform("snapchat"))
    login_verified(client, coordinator)
    response = fetch(client, ANALYTICS)

    def texts(key):
        return {cell.label: cell.text for cell in section_of(response, key).cells}

    affiliation = texts("respondent_affiliation")
    assert (affiliation["Student"], affiliation["No respondent recorded"]) == ("10", "5")
    assert affiliation["Employee"] == "0"
    assert texts("platform") == {"Snapchat": "10", "None recorded": "5"}
    assert texts("school") == {"North High": "15"}
    month = timezone.localtime(rows[0].reported_at).strftime("%Y-%m")
    # The period runs to this month: reported three hours ago in the first hours of a month,
    # the cases fall in the month before, and this month shows with none.
    this_month = timezone.localtime().strftime("%Y-%m")
    assert texts("month") == {month: "15"} | ({this_month: "0"} if this_month != month else {})


# --- Navigation and queries --------------------------------------------------------------------


def test_only_the_coordinator_sees_the_analytics_link(client, coordinator, auditor):
    login_verified(client, coordinator)
    assert f'href="{ANALYTICS}"' in client.get(reverse("ncii_cases:home")).content.decode()
    client.logout()
    login_verified(client, auditor)
    assert f'href="{ANALYTICS}"' not in client.get(reverse("ncii_cases:home")).content.decode()


def populate(school, coordinator, n):
    """n cases, each with a respondent, a supportive measure, a platform, a takedown request,
    events, and half of them closed."""
    snapchat = platform("snapchat")
    for i in range(n):
        case = CaseFactory(
            school=school,
            ncii_kind=c.NciiKind.SYNTHETIC,
            stage=c.Stage.CLOSED if i % 2 else c.Stage.INTAKE,
            closed_at=timezone.now() if i % 2 else None,
        )
        case.platforms.add(snapchat)
        CasePartyFactory(case=case, role=c.PartyRole.RESPONDENT)
        CaseMeasureFactory(
            case=case,
            party=support_party(case),
            kind=CaseMeasure.Kind.SUPPORTIVE,
            measure=measure("counseling"),
        )
        takedown(case, submitted_hours_ago=60, removed_after=30)
        case_event_record(case=case, actor=coordinator, event_type=EventType.CASE_CREATED)
        case_event_record(case=case, actor=coordinator, event_type=EventType.ASSIGNED)


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_cases(client, coordinator, school):
    # At least 5 of each measured kind (closed cases, removals), so every median is queried.
    populate(school, coordinator, 10)
    login_verified(client, coordinator)
    page, export = count_queries(client, ANALYTICS), count_queries(client, CSV)
    populate(school, coordinator, 20)
    assert count_queries(client, ANALYTICS) == page
    assert count_queries(client, CSV) == export
    # Each read here works out changed cases first: their facts and the month tallies they
    # are counted in (``analytics_months``), a fixed number of queries; then the figures.
    assert page <= 39, page  # 35 on SQLite, 39 on PostgreSQL (the app role, locks)


def test_a_district_without_cases_shows_zeros(client, coordinator):
    login_verified(client, coordinator)
    response = fetch(client, ANALYTICS)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.total.text == "0"
    assert all(cell.text == "0" for s in report.sections for cell in s.cells)
    assert measure_of(response, "closure").text == "None measured yet"


def test_the_selector_refuses_roles_without_the_analytics_right(
    auditor, it_admin, school_admin, coordinator
):
    from django.http import Http404

    from ncii_cases.selectors.analytics import analytics_scope_for_user, district_analytics_for_user

    for user in (auditor, it_admin):
        with pytest.raises(Http404):
            district_analytics_for_user(user=user)
    assert district_analytics_for_user(user=coordinator).total == 0
    # Exact or suppressed is the permission policy's answer, not a role name's.
    assert analytics_scope_for_user(user=coordinator).exact is True
    assert analytics_scope_for_user(user=school_admin).exact is False


def test_the_csv_refuses_another_districts_school(client, coordinator, foreign_case):
    login_verified(client, coordinator)
    response = fetch(client, CSV, {"school": foreign_case.school_id})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Select a valid choice" in text
    assert ".." not in text and text.endswith("Correct them on the analytics page.")


@pytest.fixture
def analytics_cache(settings):
    """Figures kept for ten minutes, in a cache emptied before and after the test."""
    from django.core.cache import cache

    settings.ANALYTICS_CACHE_SECONDS = 600
    cache.clear()
    yield cache
    cache.clear()


def aggregates_over_facts(queries) -> list[str]:
    """The reads that add up figures: of the kept month tallies (``analytics_months``)."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and '"ncii_cases_analyticsmonth"."tally"' in q["sql"]
    ]


def test_kept_figures_spare_the_aggregates_until_a_case_changes(
    client, coordinator, school, analytics_cache
):
    rows = cases(school, 6)
    login_verified(client, coordinator)
    with CaptureQueriesContext(connection) as fresh:
        first = fetch(client, ANALYTICS)
    assert first.context["report"].total.text == "6"
    assert "Figures as of" in first.content.decode()
    assert aggregates_over_facts(fresh)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(ANALYTICS)
    # The same figures, from the cache: no aggregate ran.
    assert again.context["report"].total.text == "6"
    assert aggregates_over_facts(queries) == []
    assert len(queries) < len(fresh)
    # A change made through a service (its event marks the case's facts stale) shows on the
    # very next page load: the facts generation moved on, so the kept figures are not reused.
    case_event_record(case=rows[0], actor=coordinator, event_type=EventType.ASSIGNED)
    with CaptureQueriesContext(connection) as queries:
        changed = client.get(ANALYTICS)
    assert aggregates_over_facts(queries)
    assert measure_of(changed, "first_action").text.endswith("(from 1)")
    # Another filter is another key.
    today = timezone.localdate().isoformat()
    assert client.get(ANALYTICS, {"date_to": today}).context["report"].total.text == "6"


@pytest.mark.parametrize("persona", ["auditor", "it_admin", "outsider", "school_admin"])
def test_the_permission_check_runs_before_any_kept_figure_is_read(
    client, request, coordinator, school, other_school, analytics_cache, monkeypatch, persona
):
    cases(school, 3)
    cases(other_school, 7)
    login_verified(client, coordinator)
    assert fetch(client, ANALYTICS).context["report"].total.text == "10"
    client.logout()
    user = request.getfixturevalue(persona)
    login_verified(client, user)
    reads = []
    real = analytics_cache.get_or_set
    monkeypatch.setattr(
        analytics_cache,
        "get_or_set",
        lambda key, *a, **kw: reads.append(key) or real(key, *a, **kw),
    )
    for url in (ANALYTICS, CSV, BOARD):
        response = client.get(url)
        if persona in ("auditor", "it_admin"):
            assert response.status_code == 404
    if persona in ("auditor", "it_admin"):
        assert reads == []  # refused before the cache was asked
        return
    # Users with their own scope get their own figures, never the coordinator's kept ones.
    report = client.get(ANALYTICS).context["report"]
    if persona == "outsider":
        assert report.total.text == "0"
    else:
        assert (report.total.text, report.exact) == ("<5", False)


def test_each_district_has_its_own_kept_figures(
    client, coordinator, outsider, school, foreign_case, analytics_cache
):
    cases(school, 7)
    login_verified(client, coordinator)
    assert fetch(client, ANALYTICS).context["report"].total.text == "7"
    client.logout()
    login_verified(client, outsider)
    assert fetch(client, ANALYTICS).context["report"].total.text == "1"


# --- Trends list every month of the period -----------------------------------------------------


def test_a_month_without_cases_is_listed_with_zero_on_the_page_and_in_the_csv(
    client, coordinator, school
):
    year = timezone.localdate().year - 1
    zone = timezone.get_current_timezone()
    for month in (1, 3):
        cases(school, 6, reported_at=dt.datetime(year, month, 10, 9, tzinfo=zone))
    login_verified(client, coordinator)
    filters = {"date_from": f"{year}-01-01", "date_to": f"{year}-03-31"}
    response = fetch(client, ANALYTICS, filters)
    assert [(cell.label, cell.text) for cell in section_of(response, "month").cells] == [
        (f"{year}-01", "6"),
        (f"{year}-02", "0"),
        (f"{year}-03", "6"),
    ]
    trend = next(t for t in response.context["report"].trends if t.key == "trend_stage")
    assert [(row.month, row.total.text) for row in trend.rows] == [
        (f"Jan {year}", "6"),
        (f"Feb {year}", "0"),
        (f"Mar {year}", "6"),
    ]
    rows = csv_rows(fetch(client, CSV, filters))
    title = "Cases reported each month, and where they stand now"
    assert csv_value(rows, title, f"Feb {year} — Reported") == "0"
    assert csv_value(rows, title, f"Feb {year} — Still open") == "0"
    assert csv_value(rows, "Cases by month reported", f"{year}-02") == "0"


def test_cases_by_month_reported_stop_at_the_end_of_the_period(client, coordinator, school):
    """A case of the period whose takedown clock started after the period's end adds that
    month to the trends (its removal is counted there), but not to "Cases by month reported":
    no case of the period was reported then."""
    year = timezone.localdate().year - 1
    zone = timezone.get_current_timezone()
    case, *_ = cases(school, 6, reported_at=dt.datetime(year, 11, 29, 9, tzinfo=zone))
    submitted = dt.datetime(year, 12, 3, 9, tzinfo=zone)
    ago = (timezone.now() - submitted).total_seconds() / 3600
    takedown(case, submitted_hours_ago=ago, removed_after=10)
    login_verified(client, coordinator)
    filters = {"date_from": f"{year}-11-01", "date_to": f"{year}-11-30"}
    response = fetch(client, ANALYTICS, filters)
    assert [(cell.label, cell.text) for cell in section_of(response, "month").cells] == [
        (f"{year}-11", "6")
    ]
    trend = next(t for t in response.context["report"].trends if t.key == "trend_stage")
    assert [row.month for row in trend.rows] == [f"Nov {year}", f"Dec {year}"]
    rows = csv_rows(fetch(client, CSV, filters))
    assert csv_value(rows, "Cases by month reported", f"{year}-11") == "6"
    assert not [row for row in rows if row[:2] == ["Cases by month reported", f"{year}-12"]]


def test_without_an_end_date_the_months_run_to_the_current_one(client, coordinator, school):
    today = timezone.localdate()
    first = (today.replace(day=1) - dt.timedelta(days=40)).replace(day=1)
    zone = timezone.get_current_timezone()
    cases(school, 2, reported_at=dt.datetime(first.year, first.month, 2, 9, tzinfo=zone))
    login_verified(client, coordinator)
    labels = [cell.label for cell in section_of(fetch(client, ANALYTICS), "month").cells]
    assert labels[0] == first.strftime("%Y-%m")
    assert labels[-1] == today.strftime("%Y-%m")
    assert len(labels) == 3
