"""scripts/pip_audit.sh tells "could not audit" from "a known vulnerability" by pip-audit's JSON
report and exit status, not by its wording: run here with a fake ``pip-audit`` on PATH that
plays each outcome (a clean audit, a vulnerability, an unreachable service, packages that
could not be looked up). Unaudited is a loud warning, or a failure (exit 2) with --strict; a
vulnerability always fails (exit 1)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FAKE = r"""#!/usr/bin/env bash
# A stand-in for pip-audit: writes the report of $FAKE_MODE to the file after -o.
out=""
while [ "$#" -gt 0 ]; do
  if [ "$1" = "-o" ]; then out="$2"; shift; fi
  shift
done
case "$FAKE_MODE" in
  clean) cp "$FAKE_DIR/clean.json" "$out"; echo "No known vulnerabilities found"; exit 0 ;;
  vulnerable)
    cp "$FAKE_DIR/vulnerable.json" "$out"; echo "Found 1 known vulnerability" >&2; exit 1 ;;
  skipped) cp "$FAKE_DIR/skipped.json" "$out"; echo "No known vulnerabilities found"; exit 0 ;;
  unreachable)
    echo "ConnectionError: HTTPSConnectionPool(host='pypi.org'): Max retries" >&2
    exit 1 ;;
  crashed) cp "$FAKE_DIR/clean.json" "$out"; exit 3 ;;
esac
"""

REPORTS = {
    "clean": {
        "dependencies": [
            {"name": "django", "version": "5.2.19", "vulns": []},
            {"name": "celery", "version": "5.5.3", "vulns": []},
        ],
        "fixes": [],
    },
    "vulnerable": {
        "dependencies": [
            {"name": "django", "version": "5.2.19", "vulns": []},
            {
                "name": "examplepkg",
                "version": "1.0.0",
                "vulns": [
                    {
                        "id": "PYSEC-2099-1",
                        "fix_versions": ["1.0.1"],
                        "aliases": [],
                        "description": "",
                    }
                ],
            },
        ],
        "fixes": [],
    },
    "skipped": {
        "dependencies": [
            {"name": "django", "version": "5.2.19", "vulns": []},
            {
                "name": "celery",
                "skip_reason": "Dependency not found on PyPI and could not be audited: "
                "celery (5.5.3)",
            },
        ],
        "fixes": [],
    },
}


@pytest.fixture
def tree(tmp_path):
    """A copy of the script in a tree without .venv, and a fake pip-audit on PATH."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "pip_audit.sh", tmp_path / "scripts" / "pip_audit.sh")
    (tmp_path / "constraints.txt").write_text("django==5.2.19\n")
    fake_dir = tmp_path / "fake"
    fake_dir.mkdir()
    for name, report in REPORTS.items():
        (fake_dir / f"{name}.json").write_text(json.dumps(report))
    fake = fake_dir / "pip-audit"
    fake.write_text(FAKE)
    fake.chmod(0o755)
    return tmp_path


def run(tree, mode, *args, **env):
    environment = {
        **{k: v for k, v in os.environ.items() if k != "NCII_PIP_AUDIT_STRICT"},
        "PATH": f"{tree / 'fake'}{os.pathsep}{os.environ['PATH']}",
        "FAKE_MODE": mode,
        "FAKE_DIR": str(tree / "fake"),
        **env,
    }
    result = subprocess.run(
        ["bash", str(tree / "scripts" / "pip_audit.sh"), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("args", [(), ("--strict",)])
def test_a_clean_audit_passes(tree, args):
    status, output = run(tree, "clean", *args)
    assert status == 0, output
    assert "2 pinned packages audited, no known vulnerabilities" in output
    assert "UNAUDITED" not in output


@pytest.mark.parametrize("args", [(), ("--strict",)])
def test_a_known_vulnerability_always_fails_and_names_the_fix(tree, args):
    status, output = run(tree, "vulnerable", *args)
    assert status == 1, output
    assert "examplepkg 1.0.0: PYSEC-2099-1 (fixed in: 1.0.1)" in output
    assert "UNAUDITED" not in output


@pytest.mark.parametrize("mode", ["unreachable", "skipped", "crashed"])
def test_an_unaudited_run_warns_loudly_and_does_not_fail(tree, mode):
    status, output = run(tree, mode)
    assert status == 0, output
    assert "UNAUDITED" in output
    assert "scripts/pip_audit.sh --strict" in output


@pytest.mark.parametrize("mode", ["unreachable", "skipped", "crashed"])
def test_an_unaudited_run_fails_in_strict_mode(tree, mode):
    status, output = run(tree, mode, "--strict")
    assert status == 2, output
    assert "UNAUDITED" in output
    status, _ = run(tree, mode, NCII_PIP_AUDIT_STRICT="1")
    assert status == 2


def test_the_skipped_packages_are_named(tree):
    _, output = run(tree, "skipped")
    assert "could not be audited: celery (5.5.3)" in output
    assert "1 packages could not be looked up" in output


def test_an_unknown_argument_is_refused(tree):
    status, output = run(tree, "clean", "--lenient")
    assert status == 64 and "usage" in output


def test_the_test_command_needs_no_switch_to_run_unaudited():
    # The old escape hatch is gone: scripts/test.sh and CI run unaudited by default, loudly.
    for path in ("scripts/test.sh", "scripts/pip_audit.sh", ".ci/run", "README.md"):
        assert "NCII_PIP_AUDIT_UNREACHABLE_OK" not in (ROOT / path).read_text(), path
    script = (ROOT / "scripts" / "test.sh").read_text()
    assert "UNAUDITED" in script
