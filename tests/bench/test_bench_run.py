"""``manage.py bench`` end to end at tiny sizes (20 and 60 cases, two rounds), on SQLite and on
PostgreSQL: two databases of their own (copies of the migrated test database), seeded by the
run and reused by the next; every row measured; the samples of the two sizes and of the floor
taken in alternation; each verdict the one its numbers give; the JSON and the Markdown."""

import io
import json
import sqlite3
import time
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection

from bench.report import MARK_BEGIN, MARK_END, targets_evaluate
from bench.run import FLOOR, PAGES
from bench.sites import Site, Sites, seed_mark, site_prepare

SIZES = (20, 60)


def _sqlite_copies(tmp_path) -> list[str]:
    """Two SQLite files holding the migrated (empty) test database."""
    connection.ensure_connection()
    names = []
    for label in ("small", "large"):
        path = tmp_path / f"bench-{label}.sqlite3"
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        names.append(str(path))
    return names


@pytest.fixture
def pg_copies():
    """Two PostgreSQL databases created from the migrated test database (dropped after)."""
    template = connection.settings_dict["NAME"]
    names = [f"{template}_small", f"{template}_large"]
    connection.close()
    with connection._nodb_cursor() as cursor:
        for name in names:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield names
    connection.close()
    with connection._nodb_cursor() as cursor:
        for name in names:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class _Timed(io.StringIO):
    """The command's output, each line stamped with the seconds since the start (shown when
    the test fails, to see what took the time)."""

    def __init__(self):
        super().__init__()
        self.started = time.monotonic()

    def write(self, text):
        return super().write(f"[{time.monotonic() - self.started:7.1f}] {text}")


def _bench(databases, tmp_path, *extra) -> tuple[dict, str, str]:
    out = _Timed()
    readme = tmp_path / "README.md"
    readme.write_text(f"# Project\n\n{MARK_BEGIN}\nold\n{MARK_END}\n\n## Next\n")
    call_command(
        "bench",
        "--sizes",
        ",".join(str(s) for s in SIZES),
        "--databases",
        ",".join(databases),
        "--repeat",
        "2",
        "--warmup",
        "0",
        "--roster-students",
        "0",
        "--reminder-backlog",
        "5",
        "--json",
        str(tmp_path / "bench.json"),
        "--markdown",
        str(readme),
        *extra,
        stdout=out,
    )
    print(out.getvalue())  # shown by pytest when the test fails
    return json.loads((tmp_path / "bench.json").read_text()), out.getvalue(), readme.read_text()


def _check(result: dict, output: str, markdown: str, databases: list[str]) -> None:
    # Both sizes were seeded into their own database
    assert [run["size"] for run in result["runs"]] == list(SIZES)
    for run, size, name in zip(result["runs"], SIZES, databases, strict=True):
        assert run["database"] == name and run["seeded_now"]
        assert size <= run["cases_in_database"] <= size + 3  # + the transition POST's cases
        # Every page measured at every size, with its floor beside it and its queries
        assert set(run["pages"]) == {page.name for page in PAGES}
        for page in PAGES:
            cell = run["pages"][page.name]
            assert cell["available"], (page.name, cell)
            assert cell["queries"] > 0
            if page.name != FLOOR:
                assert cell["samples"] == 2
                assert cell["p95_ms"] >= cell["p50_ms"] > 0 and cell["floor_p50_ms"] > 0
                assert cell["floor_ratio"] > 0 and cell["growth"] > 0
        # The audit CSV export read to its end, with its traced memory; verify_audit
        export = run["audit export"]
        assert export["available"] and export["complete"], export
        assert export["rows"] > 100 and export["rows_per_second"] > 0
        assert export["peak_traced_mb"] > 0
        assert run["verify_audit"]["ok"] and run["verify_audit"]["rows"] > 0
    # The reminder backlog was made due, drained and counted (and rolled back)
    backlog = result["rows"]["reminder backlog"]
    assert backlog["available"] and backlog["clocks_made_due"] == 5
    assert backlog["sent"] >= 5 and backlog["runs"] >= 2 and backlog["worker_seconds"] > 0

    # The first page's samples were taken alternately: floor and page side by side, the two
    # sizes one after the other, the order mirrored every other round
    coordinator = PAGES[1].name
    assert [tuple(step) for step in result["interleaving"]] == [
        (0, FLOOR),
        (0, coordinator),
        (1, FLOOR),
        (1, coordinator),
        (1, coordinator),
        (1, FLOOR),
        (0, coordinator),
        (0, FLOOR),
    ]

    # Each verdict is the one its numbers give, and the failures are counted
    assert result["targets"] == targets_evaluate(result)
    assert {t["status"] for t in result["targets"]} <= {"PASS", "FAIL"}
    assert result["failures"] == sum(t["status"] == "FAIL" for t in result["targets"])
    counts = Counter(t["target"] for t in result["targets"])
    with_targets = [p for p in PAGES if not p.reference]
    assert counts["queries constant in N"] == len(with_targets)
    assert counts["p50 at 60 <= 1.2x p50 at 20"] == len(with_targets)
    assert counts["<= 3x the floor"] == 2 * sum(1 for p in with_targets if p.floor_max == 3)
    assert counts["<= 5x the floor"] == 2
    assert counts["p50 <= 100 ms"] == 3 and counts["p50 <= 500 ms"] == 1
    assert counts[">= 20,000 rows/s"] == 2
    assert counts["flat memory"] == counts["linear in rows"] == 1
    assert counts["verify_audit linear (µs per row within 1.2x)"] == 1
    assert "Targets:" in output and ("failed" in output or "met." in output)

    # The README's part between the markers was rewritten, the rest kept
    assert markdown.startswith(f"# Project\n\n{MARK_BEGIN}") and markdown.endswith(
        f"{MARK_END}\n\n## Next\n"
    )
    assert "| queue search by reference |" in markdown and "| p50 at 60 <= 1.2x" in markdown


def _reused(databases) -> None:
    """A second preparation finds both databases seeded with the same seed: nothing seeded."""
    pairs = list(zip(SIZES, databases, strict=True))
    sites = Sites([Site(index=i, size=s, name=n) for i, (s, n) in enumerate(pairs)])
    log = []
    try:
        for site in sites.sites:
            site_prepare(sites, site, seed_value=2026, reseed=False, log=log.append)
            assert not site.seeded_now
    finally:
        sites.restore()
    assert [line for line in log if not line.startswith("Migrated ")] == [
        f"Reusing {n}: already seeded with {s} cases (seed 2026)" for s, n in pairs
    ]
    # and a different seed value would seed again (its mark differs)
    assert seed_mark(cases=20, seed_value=2026) != seed_mark(cases=20, seed_value=7)


@pytest.mark.django_db(transaction=True)
def test_bench_on_sqlite_measures_every_row_interleaved(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite run (the PostgreSQL run has its own test)")
    databases = _sqlite_copies(tmp_path)
    result, output, markdown = _bench(
        databases, tmp_path, "--no-pdf", "--two-process-requests", "0"
    )
    _check(result, output, markdown, databases)
    _reused(databases)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bench_on_postgresql_measures_every_row_interleaved(tmp_path, pg_copies):
    result, output, markdown = _bench(pg_copies, tmp_path, "--two-process-requests", "6")
    _check(result, output, markdown, pg_copies)
    # Two gunicorn processes answered every request, round robin, on the large database
    two = result["rows"]["two processes"]
    assert two["available"] and two["all_ok"], two
    assert len(two["statuses"]) == 2 and two["p50_ms"] > 0 and two["throughput_rps"] > 0
    # The summary PDF rendered in its worker at both sizes
    for run in result["runs"]:
        assert run["pdf"]["available"] and run["pdf"]["pages"] >= 1, run["pdf"]
    _reused(pg_copies)


@pytest.mark.django_db(transaction=True)
def test_bench_of_some_pages_measures_only_those_beside_the_floor(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("on SQLite (the selection does not depend on the database)")
    databases = _sqlite_copies(tmp_path)
    result, output, markdown = _bench(databases, tmp_path, "--pages", "search,page 50")

    chosen = [
        FLOOR,
        "queue search by name",
        "queue search by full name",
        "queue search by reference",
        "queue page 50",
    ]
    assert result["pages_selected"] == chosen
    for run in result["runs"]:
        assert set(run["pages"]) == set(chosen)
        assert all(run["pages"][name]["available"] for name in chosen), run["pages"]
        # none of the rows that are not pages
        assert not {"audit export", "verify_audit", "pdf"} & set(run)
    assert result["rows"] == {}
    assert [tuple(step)[1] for step in result["interleaving"]][:2] == [
        FLOOR,
        "queue search by name",
    ]
    assert {t["where"].split(" at ")[0] for t in result["targets"]} == set(chosen[1:])
    assert "| queue page 50 |" in markdown and "| case page |" not in markdown
