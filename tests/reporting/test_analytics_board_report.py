"""The board report: the analytics as a PDF for the school board, with charts and tables,
small counts always suppressed (it leaves the office), logged, for those with the analytics
right only."""

import shutil
import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.analytics_facts import case_facts_refresh_all
from ncii_cases.models import AccessEvent
from tests.access.helpers import login_verified
from tests.factories import CaseFactory

BOARD = reverse("reporting:analytics_board_report")


def pdftotext(content: bytes, tmp_path) -> str:
    """The PDF's text as poppler's pdftotext lays it out (tables keep their rows)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("needs poppler-utils (pdftotext)")
    path = tmp_path / "board.pdf"
    path.write_bytes(content)
    result = subprocess.run(  # noqa: S603
        ["pdftotext", "-layout", str(path), "-"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def rows_of(text: str, label) -> list[list[str]]:
    """The lines starting with ``label`` (a string, or a lazy translation such as a choice's
    label), split into their cells (2+ spaces apart)."""
    import re

    label = str(label)
    return [
        re.split(r"\s{2,}", line.strip())
        for line in text.splitlines()
        if line.strip().startswith(label)
    ]


@pytest.fixture
def kinds(school, other_school):
    """12 synthetic and 6 authentic cases at North High, 3 undetermined at South Middle."""
    for kind, n, where in (
        (c.NciiKind.SYNTHETIC, 12, school),
        (c.NciiKind.AUTHENTIC, 6, school),
        (c.NciiKind.UNDETERMINED, 3, other_school),
    ):
        for _ in range(n):
            CaseFactory(school=where, ncii_kind=kind)
    case_facts_refresh_all()


def test_the_board_report_is_a_pdf_of_suppressed_tables_and_charts(
    client, coordinator, kinds, tmp_path
):
    login_verified(client, coordinator)
    # On her own page the coordinator sees the exact counts...
    page = client.get(reverse("reporting:analytics"))
    kind = next(s for s in page.context["report"].sections if s.key == "ncii_kind")
    assert [cell.text for cell in kind.cells] == ["6", "12", "3"]
    # ...the board report, which leaves the office, does not.
    response = client.get(BOARD)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="board-report-')
    assert "no-store" in response["Cache-Control"]
    text = pdftotext(response.content, tmp_path)
    assert "Board report: NCII cases in" in text
    assert "Small numbers are hidden." in text
    for caption in (
        "Cases in view and how they were handled",
        "Cases by NCII kind (table)",
        "Cases by school (table)",
        "Takedown requests against the 48-hour duty (table)",
        "Cases reported each month, and where they stand now (table)",
        "Time to first action, by month reported (table)",
        "Takedown outcomes, by month the 48-hour clock started (table)",
    ):
        assert caption in text, caption
    assert rows_of(text, c.NciiKind.SYNTHETIC.label)[-1][-1] == "12"
    assert rows_of(text, c.NciiKind.UNDETERMINED.label)[-1][-1] == "<5"
    assert rows_of(text, c.NciiKind.AUTHENTIC.label)[-1][-1] == "hidden"
    assert rows_of(text, "South Middle")[-1][-1] == "<5"
    month = timezone.localdate().strftime("%b %Y")
    assert rows_of(text, month)  # the trend tables have this month's row
    entry = AccessEvent.objects.order_by("pk").last()
    assert (entry.user, entry.action, entry.allowed) == (
        coordinator,
        "analytics_board_report",
        True,
    )


def test_a_school_administrators_board_report_counts_only_their_school(
    client, school_admin, kinds, tmp_path
):
    login_verified(client, school_admin)
    text = pdftotext(client.get(BOARD).content, tmp_path)
    assert rows_of(text, "North High")[-1][-1] == "18"
    assert rows_of(text, "South Middle") == []
    assert rows_of(text, c.NciiKind.UNDETERMINED.label)[-1][-1] == "0"


@pytest.mark.parametrize("persona", ["auditor", "investigator", "counselor", "it_admin"])
def test_the_board_report_is_refused_without_the_analytics_right(client, request, persona):
    login_verified(client, request.getfixturevalue(persona))
    assert client.get(BOARD).status_code == 404
    entry = AccessEvent.objects.order_by("pk").last()
    assert (entry.action, entry.allowed) == ("analytics_board_report", False)


def test_invalid_filters_are_refused_with_what_to_do(client, coordinator):
    login_verified(client, coordinator)
    response = client.get(BOARD, {"date_to": "nonsense"})
    assert response.status_code == 400
    assert "Correct them on the analytics page" in response.content.decode()


def test_the_board_reports_queries_do_not_grow_with_the_cases(client, coordinator, school):
    def queries():
        case_facts_refresh_all()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(BOARD).status_code == 200
        return len(captured)

    for _ in range(6):
        CaseFactory(school=school, stage=c.Stage.CLOSED, closed_at=timezone.now())
    login_verified(client, coordinator)
    few = queries()
    for _ in range(12):
        CaseFactory(school=school, stage=c.Stage.CLOSED, closed_at=timezone.now())
    assert queries() == few
