"""The walkthrough click counter (scripts/walkthrough_clicks.py) carries the README's
walkthrough case from intake to closure in Chromium on a fresh demo of its own, and reports
its counts. It runs as a person would run it: a separate process, its own server and
database (nothing of the test database is used)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def test_the_walkthrough_script_closes_the_case_and_reports_its_counts(tmp_path):
    out = tmp_path / "counts.json"
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "scripts" / "walkthrough_clicks.py"), "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    counts = json.loads(out.read_text())
    assert json.loads(result.stdout) == counts
    # Intake to closure takes dozens of steps, each a page and a save at least.
    assert counts["steps"] >= 30
    assert counts["form_submissions"] >= 30
    assert counts["page_loads"] > counts["form_submissions"]
    assert counts["clicks"] == (
        counts["link_and_button_clicks"]
        + 2 * counts["dropdown_choices"]
        + counts["radio_and_checkbox_ticks"]
    )
