"""The benchmark's harness without a database: the interleaving (the sizes and the floor taken
in alternation, so that a change of load moves both sides of every ratio), the verdicts
computed from the numbers (each target against a fake measurement that meets it and one that
does not), the Markdown written between the README's markers, and the command's refusals."""

import copy
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bench import rows
from bench.report import (
    MARK_BEGIN,
    MARK_END,
    MarkersMissing,
    markdown_section,
    markdown_write,
    targets_evaluate,
)
from bench.run import FLOOR, PAGES, interleaved_measure, samples_summary, schedule

# --- The interleaving ------------------------------------------------------------------------


def test_each_round_takes_every_size_with_its_floor_next_to_the_page():
    steps = list(schedule(2, 4))

    # Every round takes each site once, the floor and the page side by side
    for r in range(4):
        in_round = [(site, kind) for rnd, site, kind in steps if rnd == r]
        assert len(in_round) == 4
        assert {site for site, _ in in_round} == {0, 1}
        assert in_round[0][0] == in_round[1][0] and in_round[2][0] == in_round[3][0]
        assert {in_round[0][1], in_round[1][1]} == {FLOOR, "page"}

    # The order of the sites rotates and the floor goes first in every other round
    firsts = [next(site for rnd, site, _ in steps if rnd == r) for r in range(4)]
    assert firsts == [0, 1, 0, 1]
    kinds = [next(kind for rnd, _, kind in steps if rnd == r) for r in range(4)]
    assert kinds == [FLOOR, "page", FLOOR, "page"]
    # So each pair of rounds is a mirror (A B B A): a load that rises or falls steadily
    # weighs the same on both sizes and on the page and its floor
    for r in (0, 2):
        first = [(site, kind) for rnd, site, kind in steps if rnd == r]
        second = [(site, kind) for rnd, site, kind in steps if rnd == r + 1]
        assert second == first[::-1]


def test_warm_up_rounds_are_taken_first_and_not_kept():
    calls = []

    def take(site, kind):
        calls.append((site, kind))
        return 1.0 if len(calls) > 8 else 99.0  # the 2 warm-up rounds answer 99 s

    samples = interleaved_measure(2, repeat=3, warmup=2, take=take)

    assert len(calls) == (2 + 3) * 4
    assert calls == [(site, kind) for _, site, kind in schedule(2, 5)]
    assert samples == [{"page": [1.0] * 3, FLOOR: [1.0] * 3} for _ in range(2)]


def test_a_load_that_doubles_midway_does_not_flip_the_verdicts():
    # Given a machine whose load doubles every time halfway through, and a page that costs
    # the same at both sizes and twice the floor
    clock = {"n": 0}
    total = 20 * 4

    def take(site, kind):
        clock["n"] += 1
        load = 1.0 if clock["n"] <= total / 2 else 2.0
        return load * (0.02 if kind == "page" else 0.01)

    # When both sizes are measured interleaved
    summaries, growth = samples_summary(interleaved_measure(2, repeat=20, warmup=0, take=take))

    # Then the growth between the sizes and the ratio to the floor are the page's own
    assert growth == pytest.approx(1.0)
    assert [s["floor_ratio"] for s in summaries] == [pytest.approx(2.0)] * 2

    # Whereas one size after the other (the old way) reads the load as a x2 growth
    clock["n"] = 0
    small = [take(0, "page") for _ in range(40)]
    large = [take(1, "page") for _ in range(40)]
    assert sorted(large)[20] / sorted(small)[20] == pytest.approx(2.0)


def test_the_summary_pairs_each_page_sample_with_its_own_floor():
    samples = [
        {"page": [0.030, 0.060, 0.033], FLOOR: [0.010, 0.020, 0.011]},
        {"page": [0.045, 0.120, 0.066], FLOOR: [0.010, 0.030, 0.011]},
    ]
    (small, large), growth = samples_summary(samples)

    assert small["floor_ratio"] == pytest.approx(3.0)
    assert large["floor_ratio"] == pytest.approx(4.5)
    assert small["p50_ms"] == 33.0 and small["p95_ms"] == 60.0 and small["samples"] == 3
    assert growth == pytest.approx(2.0)  # median of 1.5, 2.0, 2.0


# --- The verdicts, from the numbers ----------------------------------------------------------


def _cell(p50, *, floor_ratio=1.5, queries=10, growth=1.0):
    return {
        "available": True,
        "samples": 5,
        "p50_ms": p50,
        "p95_ms": p50 * 1.2,
        "floor_p50_ms": p50 / floor_ratio,
        "floor_ratio": floor_ratio,
        "queries": queries,
        "growth": growth,
        "statuses": [200],
    }


def _good_result() -> dict:
    runs = []
    for size in (1000, 100_000):
        pages = {page.name: _cell(20.0) for page in PAGES}
        pages["admin change list"] = _cell(80.0)
        runs.append(
            {
                "size": size,
                "pages": pages,
                "audit export": {
                    "available": True,
                    "rows": size * 20,
                    "seconds": 1.0,
                    "rows_per_second": 22_000,
                    "complete": True,
                    "traced_rows": 1000,
                    "peak_traced_mb": 3.0,
                },
                "verify_audit": {
                    "seconds": 6.0,
                    "rows": size * 40,
                    "us_per_row": 60.0,
                    "ok": True,
                    "problems": 0,
                },
            }
        )
    return {
        "runs": runs,
        "rows": {
            "reminder backlog": {
                "available": True,
                "clocks_made_due": 50_000,
                "runs": 101,
                "sent": 50_000,
                "emails": 50_000,
                "worker_seconds": 40.0,
                "seconds_per_backlog": 40.0,
                "backlog": 50_000,
            },
            "two processes": {
                "available": True,
                "processes": 2,
                "requests": 10,
                "p50_ms": 30.0,
                "p95_ms": 40.0,
                "throughput_rps": 50.0,
                "statuses": {"1": [200], "2": [200]},
                "all_ok": True,
            },
        },
    }


def _verdict(targets, target_start, where_start=""):
    found = [
        t["status"]
        for t in targets
        if t["target"].startswith(target_start) and t["where"].startswith(where_start)
    ]
    assert found, (target_start, where_start)
    return set(found)


def test_a_run_within_every_target_passes_them_all():
    targets = targets_evaluate(_good_result())
    assert {t["status"] for t in targets} == {"PASS"}
    names = {t["target"] for t in targets}
    assert "p50 at 100,000 <= 1.2x p50 at 1,000" in names
    assert {"<= 3x the floor", "<= 5x the floor", "p50 <= 100 ms", "p50 <= 500 ms"} <= names
    assert {"flat memory", "linear in rows", ">= 20,000 rows/s"} <= names
    # every page with targets has its rows; the references (floor, admin) have none
    wheres = {t["where"] for t in targets}
    for page in PAGES:
        assert any(w.startswith(page.name) for w in wheres) != page.reference, page.name


@pytest.mark.parametrize(
    ("change", "target", "where"),
    [
        (lambda r: r["runs"][1]["pages"]["case page"].update(growth=1.25), "p50 at", "case page"),
        (
            lambda r: r["runs"][1]["pages"]["queue sorted by due"].update(queries=11),
            "queries constant",
            "queue sorted by due",
        ),
        (
            lambda r: r["runs"][0]["pages"]["coordinator queue"].update(floor_ratio=3.2),
            "<= 3x the floor",
            "coordinator queue at 1,000",
        ),
        (
            lambda r: r["runs"][1]["pages"]["queue search by name"].update(p50_ms=101.0),
            "p50 <= 100 ms",
            "queue search by name",
        ),
        (
            lambda r: r["runs"][1]["pages"]["analytics, worked out afresh"].update(p50_ms=501.0),
            "p50 <= 500 ms",
            "analytics, worked out afresh",
        ),
        (
            lambda r: r["runs"][1]["audit export"].update(rows_per_second=19_999),
            ">= 20,000 rows/s",
            "audit CSV export, district-wide at 100,000",
        ),
        (
            lambda r: r["runs"][1]["audit export"].update(peak_traced_mb=9.0),
            "flat memory",
            "audit CSV export",
        ),
        (
            lambda r: r["runs"][1]["verify_audit"].update(us_per_row=73.0),
            "verify_audit linear",
            "verify_audit",
        ),
        (
            lambda r: r["runs"][1]["verify_audit"].update(seconds=601.0),
            "verify_audit verified",
            "verify_audit at 100,000",
        ),
        (
            lambda r: r["rows"]["reminder backlog"].update(seconds_per_backlog=61.0),
            "reminder backlog",
            "deadlines_remind",
        ),
        (
            lambda r: r["rows"]["two processes"].update(all_ok=False),
            "two web processes",
            "two gunicorn",
        ),
        (
            lambda r: r["runs"][1]["pages"]["case page"].update(
                available=False, reason="answered [500], expected 200"
            ),
            "p50 at",
            "case page",
        ),
    ],
)
def test_a_measure_past_its_target_fails_it_and_only_it(change, target, where):
    result = copy.deepcopy(_good_result())
    change(result)
    targets = targets_evaluate(result)
    assert _verdict(targets, target, where) == {"FAIL"}
    failed = [t for t in targets if t["status"] == "FAIL"]
    assert all(t["where"].startswith(where) for t in failed), failed


def test_the_long_audit_trail_may_take_five_times_the_floor_not_more():
    name = "audit review of the case with 5,000 events"
    result = _good_result()
    result["runs"][0]["pages"][name]["floor_ratio"] = 4.9
    assert _verdict(targets_evaluate(result), "<= 5x the floor", f"{name} at 1,000") == {"PASS"}
    result["runs"][0]["pages"][name]["floor_ratio"] = 5.1
    assert _verdict(targets_evaluate(result), "<= 5x the floor", f"{name} at 1,000") == {"FAIL"}


# --- The Markdown ----------------------------------------------------------------------------


def _result_with_targets() -> dict:
    result = _good_result()
    result.update(
        generated_at="2026-11-30T20:00:00+00:00",
        repeat=30,
        warmup=3,
        machine={"cpus": 2, "database": "postgresql", "python": "3.11", "load_average": [1, 1, 1]},
    )
    result["targets"] = targets_evaluate(result)
    result["failures"] = 0
    return result


def test_the_markdown_replaces_only_what_is_between_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nBefore.\n\n{MARK_BEGIN}\nold figures\n{MARK_END}\n\nAfter.\n")

    markdown_write(_result_with_targets(), readme)

    text = readme.read_text()
    assert text.startswith("# Title\n\nBefore.\n\n" + MARK_BEGIN)
    assert text.endswith(MARK_END + "\n\nAfter.\n")
    assert "old figures" not in text
    assert "| queue search by name | 20.0 / 24.0 | ×1.5 | 10 |" in text
    assert "| p50 <= 100 ms | queue search by name at 100,000 | PASS |" in text
    # Written again, the same part is replaced, nothing is added around it
    markdown_write(_result_with_targets(), readme)
    assert readme.read_text() == text


def test_a_file_without_markers_is_left_alone(tmp_path):
    other = tmp_path / "NOTES.md"
    other.write_text("My notes.\n")
    with pytest.raises(MarkersMissing, match="no benchmark markers"):
        markdown_write(_result_with_targets(), other)
    assert other.read_text() == "My notes.\n"
    new = markdown_write(_result_with_targets(), tmp_path / "new" / "bench.md")
    assert new.read_text().startswith(MARK_BEGIN) and MARK_END in new.read_text()


# --- The command's refusals (before anything is measured) ------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sizes", "1000"], "at least two sizes"),
        (["--sizes", "20,60", "--databases", "a,a"], "database of its own"),
        (["--sizes", "20,60", "--databases", "a"], "one database per size"),
        (["--sizes", "20,x"], "numbers separated by commas"),
    ],
)
def test_the_command_refuses_what_it_cannot_measure(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("bench", *args, stdout=io.StringIO())


def test_the_command_refuses_a_markdown_file_without_markers_before_measuring(tmp_path):
    other = tmp_path / "NOTES.md"
    other.write_text("My notes.\n")
    with pytest.raises(CommandError, match="no benchmark markers"):
        call_command(
            "bench",
            "--sizes",
            "20,60",
            "--databases",
            "a,b",
            "--markdown",
            str(other),
            stdout=io.StringIO(),
        )


def test_the_rows_constants_match_the_issue_targets():
    # The figures the targets name (issue "Fast at a state's scale", README "Benchmark").
    assert rows.EXPORT_ROWS_PER_SECOND_MIN == 20_000
    assert rows.REMINDER_BACKLOG == 50_000 and rows.REMINDER_SECONDS_MAX == 60
    assert rows.VERIFY_SECONDS_MAX == 600


def test_the_readme_has_its_markers_and_keeps_the_rest_when_rewritten(tmp_path):
    from django.conf import settings

    original = (settings.BASE_DIR / "README.md").read_text()
    readme = tmp_path / "README.md"
    readme.write_text(original)

    markdown_write(_result_with_targets(), readme)

    text = readme.read_text()
    begin = original.index(MARK_BEGIN)
    end = original.index(MARK_END, begin) + len(MARK_END)
    assert text.startswith(original[:begin])
    assert text.endswith(original[end:])
    assert "## Benchmark" in text[:begin] and "## CI" in text[end - len(original) :]
    assert "| analytics, worked out afresh |" in text


def test_a_page_missing_from_the_build_is_reported_not_available():
    from bench.run import NOT_AVAILABLE, Page, page_available

    assert page_available(Page("gone", "ncii_cases:no_such_page"), None) == NOT_AVAILABLE
    assert page_available(Page("queue", "ncii_cases:home"), None) is None


# --- Some pages only (bench --pages) ----------------------------------------------------------


def test_pages_are_selected_by_a_part_of_their_name_the_floor_always():
    from bench.run import pages_select

    assert pages_select(None) == PAGES and pages_select([]) == PAGES
    chosen = pages_select(["Search", " audit review"])
    assert [p.name for p in chosen] == [
        FLOOR,
        "queue search by name",
        "queue search by full name",
        "queue search by reference",
        "audit review, district-wide",
        "audit review of the case with 5,000 events",
    ]


def test_a_page_name_that_selects_nothing_is_refused_before_measuring():
    from bench.run import UnknownPage, pages_select

    with pytest.raises(UnknownPage, match="'nowhere'"):
        pages_select(["search", "nowhere"])
    with pytest.raises(CommandError, match="No page is named 'nowhere'"):
        call_command(
            "bench", "--sizes", "20,60", "--databases", "a,b", "--pages", "nowhere",
            stdout=io.StringIO(),
        )  # fmt: skip


def test_a_run_of_some_pages_has_targets_for_those_pages_only():
    result = copy.deepcopy(_good_result())
    names = [FLOOR, "queue search by name", "queue search by reference"]
    result["pages_selected"] = names
    for run in result["runs"]:
        run["pages"] = {name: run["pages"][name] for name in names}
        del run["audit export"], run["verify_audit"]
    result["rows"] = {}

    targets = targets_evaluate(result)

    assert {t["status"] for t in targets} == {"PASS"}
    assert {t["where"].split(" at ")[0] for t in targets} == set(names[1:])
    assert sum(t["target"] == "p50 <= 100 ms" for t in targets) == 2
    # a selected page that failed still fails its targets
    result["runs"][1]["pages"]["queue search by name"].update(p50_ms=101.0)
    assert _verdict(targets_evaluate(result), "p50 <= 100 ms", "queue search by name") == {"FAIL"}


# --- The machine's stolen CPU time ------------------------------------------------------------


def test_the_cpu_time_stolen_by_the_host_is_read_from_proc_stat(tmp_path):
    """/proc/stat's first line: user nice system idle iowait irq softirq steal guest
    guest_nice; the share stolen between two readings is steal over the total."""
    from bench.run import cpu_steal_percent, cpu_times

    stat = tmp_path / "stat"
    stat.write_text("cpu  100 0 50 800 10 0 0 40 0 0\ncpu0 50 0 25 400 5 0 0 20 0 0\n")
    before = cpu_times(str(stat))
    assert before == (40, 1000)
    stat.write_text("cpu  400 0 150 1100 10 0 0 340 0 0\n")
    after = cpu_times(str(stat))
    assert after == (340, 2000)
    assert cpu_steal_percent(before, after) == 30.0
    # No file, a line of another shape, no time passed: unknown, never an error
    assert cpu_times(str(tmp_path / "missing")) is None
    (tmp_path / "odd").write_text("intr 1 2 3\n")
    assert cpu_times(str(tmp_path / "odd")) is None
    (tmp_path / "words").write_text("cpu  a b c d e f g h\n")
    assert cpu_times(str(tmp_path / "words")) is None
    assert cpu_steal_percent(None, after) is None
    assert cpu_steal_percent(after, after) is None


def test_the_markdown_says_how_much_cpu_time_the_host_stole():
    result = _result_with_targets()
    result["machine"]["cpu_steal_percent"] = 33.4
    text = markdown_section(result)
    assert "33.4% of the CPU time stolen by the virtual machine's host during the run" in text
    result["machine"]["cpu_steal_percent"] = None
    assert "stolen" not in markdown_section(result)


def test_the_markdown_gives_the_machines_yardstick():
    """A fixed Python loop's time, measured at the start of the run, lets runs on different
    machines be compared."""
    from bench.run import python_loop_ms

    ms = python_loop_ms(rounds=1)
    assert ms > 0
    result = _result_with_targets()
    result["machine"]["python_loop_ms"] = ms
    assert f"a fixed Python loop (the machine's yardstick) took {ms:g} ms" in markdown_section(
        result
    )
    del result["machine"]["python_loop_ms"]
    assert "yardstick" not in markdown_section(result)
