"""Every displayed time reads the same way ("Nov 30, 2026, 4:11 PM CST", ``dates.moment_text``),
in the district's time zone: the analytics page, the board report and the role homes."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.urls import reverse

from ncii_cases.analytics_facts import case_facts_refresh_all
from ncii_cases.dates import moment_text
from ncii_cases.models import CaseEvent
from tests.access.helpers import login_verified
from tests.factories import CaseFactory

from .test_analytics_board_report import pdftotext

TWENTY_FOUR_HOUR = re.compile(r"\b(1[3-9]|2[0-3]):[0-5]\d\b")


def test_an_instant_is_written_with_a_12_hour_clock_and_the_zones_abbreviation():
    moment = dt.datetime(2026, 11, 30, 22, 11, tzinfo=dt.UTC)
    chicago = zoneinfo.ZoneInfo("America/Chicago")
    assert moment_text(moment, chicago) == "Nov 30, 2026, 4:11 PM CST"
    assert moment_text(moment, chicago, seconds=True) == "Nov 30, 2026, 4:11:00 PM CST"
    assert moment_text(moment, zoneinfo.ZoneInfo("America/Los_Angeles")).endswith("2:11 PM PST")
    assert moment_text(None) == ""


@pytest.fixture
def pacific(district, school):
    """A district on Pacific time, with a few cases."""
    district.time_zone = "America/Los_Angeles"
    district.save()
    for _ in range(6):
        CaseFactory(school=school)
    case_facts_refresh_all()
    return district


def test_the_analytics_page_gives_the_time_of_its_figures_as_everywhere(
    client, coordinator, pacific
):
    login_verified(client, coordinator)
    response = client.get(reverse("reporting:analytics"))
    zone = zoneinfo.ZoneInfo("America/Los_Angeles")
    when = moment_text(response.context["computed_at"], zone)
    html = response.content.decode()
    assert f"Figures as of {when}," in html
    assert when.endswith(("PST", "PDT"))


def test_the_board_report_gives_the_time_of_its_figures_as_everywhere(
    client, coordinator, pacific, tmp_path
):
    login_verified(client, coordinator)
    text = " ".join(
        pdftotext(client.get(reverse("reporting:analytics_board_report")).content, tmp_path).split()
    )
    found = re.search(r"Figures as of (.+?(?:AM|PM) P[SD]T)\.", text)
    assert found, text[:400]
    assert not TWENTY_FOUR_HOUR.search(found.group(1))


def test_the_auditors_home_writes_times_as_everywhere(client, case, auditor, district):
    event = CaseEvent.objects.filter(case=case).order_by("-pk").first()
    login_verified(client, auditor)
    html = client.get(reverse("ncii_cases:home")).content.decode()
    assert moment_text(event.created_at, zoneinfo.ZoneInfo(district.time_zone)) in html
    assert "a.m." not in html and "p.m." not in html


@pytest.mark.parametrize(
    "zone",
    [
        zoneinfo.ZoneInfo("America/Chicago"),
        zoneinfo.ZoneInfo("America/Los_Angeles"),
        zoneinfo.ZoneInfo("Pacific/Honolulu"),
        dt.timezone(dt.timedelta(hours=-5)),
    ],
)
@pytest.mark.parametrize("seconds", [False, True])
@pytest.mark.parametrize("language", ["en", "es"])
def test_the_exports_cached_formatter_writes_what_moment_text_writes(zone, seconds, language):
    """The formatter of the export and of the audit review's rows (with the seconds) writes
    every instant as ``moment_text`` does, in each language."""
    from django.utils import translation

    from ncii_cases.dates import MomentTexts

    with translation.override(language):
        texts = MomentTexts(zone, seconds=seconds)
        # Every 7 minutes 13 seconds across both changes of clocks of 2026, twice (the
        # second time from the caches), and a naive value and None.
        step = dt.timedelta(minutes=7, seconds=13)
        start = dt.datetime(2026, 3, 7, tzinfo=dt.UTC)
        moments = [start + step * i for i in range(4 * 200)]
        autumn = dt.datetime(2026, 10, 31, tzinfo=dt.UTC)
        moments += [autumn + step * i for i in range(4 * 200)]
        # Every minute of a day and the first of every month of a year (the minutes, the days
        # and the months' names are written from parts).
        day = dt.datetime(2026, 5, 9, 0, 0, 59, 999_999, tzinfo=dt.UTC)
        moments += [day + dt.timedelta(minutes=i) for i in range(24 * 60)]
        moments += [dt.datetime(2025, month, 1, 7, 3, tzinfo=dt.UTC) for month in range(1, 13)]
        moments += [dt.datetime(5, 1, 2, 7, 3, tzinfo=dt.UTC)]  # a year of fewer than 4 digits
        for moment in moments + moments:
            assert texts(moment) == moment_text(moment, zone, seconds=seconds), moment
        naive = dt.datetime(2026, 11, 30, 12, 5, 9)
        assert texts(naive) == moment_text(naive, zone, seconds=seconds)
        assert texts(None) == ""
