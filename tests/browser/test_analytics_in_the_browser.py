"""The analytics page in a real browser: axe-core finds no WCAG 2.1 AA violation, with the
coordinator's exact figures, a school administrator's suppressed ones, and a filter error;
the board report downloads as a PDF."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from ncii_cases.school_calendar import zone_named
from ncii_cases.selectors.analytics import AnalyticsFilters, district_analytics_for_user
from reporting.views_analytics import board_report_html
from tests.browser.helpers import AxeChecked, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Eight breakdowns and three trends by month, each an SVG beside its table.
CHARTS = 11


def test_the_analytics_page_passes_axe(live_server, demo, tab):
    page = tab
    check = AxeChecked()
    check.watch(page)
    sign_in(page, live_server.url, "coordinator", check)
    page.get_by_role("link", name="Analytics").click()
    page.wait_for_url("**/reporting/analytics/")
    check(page)
    assert page.locator("svg[role=img]").count() == CHARTS
    assert page.get_by_role("heading", name="Trends over time").is_visible()
    assert "The counts on this page are exact" in page.locator("#privacy-h + p").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Board report (PDF, small numbers hidden)").click()
    assert download.value.suggested_filename.startswith("board-report-")
    page.fill("#id_date_from", "2026-05-02")
    page.fill("#id_date_to", "2026-05-01")
    page.get_by_role("button", name="Show figures").click()
    page.wait_for_load_state("load")
    assert "The end date must be on or after the start date." in page.content()
    check(page)
    assert check.unchecked() == []


def test_the_board_reports_pages_pass_axe_as_a_preview(live_server, demo, tab):
    """The board report's HTML (what its PDF is made of), with its own stylesheet, shown in
    the browser: axe finds no violation in its headings, tables and charts."""
    page = tab
    check = AxeChecked()
    coordinator = get_user_model().objects.get(username="coordinator")
    with timezone.override(zone_named(coordinator.district.time_zone)):
        data = district_analytics_for_user(user=coordinator)
        html = board_report_html(
            data=data,
            filters=AnalyticsFilters(),
            computed_at=timezone.now(),
            district=coordinator.district,
        )
    css = Path(settings.BASE_DIR, "static", "css", "board_report.css").read_text()
    html = re.sub(r'<link rel="stylesheet" href="[^"]*">', f"<style>{css}</style>", html)
    page.set_content(html)
    check(page)
    assert page.locator("svg[role=img]").count() == CHARTS
    assert "Figures as of" in page.inner_text("body")


def test_a_school_administrators_analytics_page_passes_axe(live_server, demo, tab):
    page = tab
    check = AxeChecked()
    check.watch(page)
    sign_in(page, live_server.url, "schooladmin", check)
    page.get_by_role("link", name="Analytics").click()
    page.wait_for_url("**/reporting/analytics/")
    check(page)
    assert page.get_by_role("heading", name="How small numbers are hidden").is_visible()
    assert page.locator("svg[role=img]").count() == CHARTS
    page.set_viewport_size({"width": 390, "height": 844})
    check(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert check.unchecked() == []
