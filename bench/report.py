"""The benchmark's verdicts and its outputs: every target evaluated from the numbers of one run
(PASS or FAIL, a row that was not measured fails with its reason), the plain-text table, the
Markdown section the README takes verbatim (between ``MARK_BEGIN`` and ``MARK_END``) and the
JSON."""

import json
from pathlib import Path

from bench import rows
from bench.run import ADMIN_PAGE, FLOOR, GROWTH_MAX, PAGES, QUEUE_PAGE

MARK_BEGIN = "<!-- bench:begin (manage.py bench --markdown README.md writes this part) -->"
MARK_END = "<!-- bench:end -->"


class MarkersMissing(Exception):
    """The Markdown file exists but has no benchmark markers to write between."""


def _status(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _n(size: int) -> str:
    return f"{size:,}"


def targets_evaluate(result: dict) -> list[dict]:
    """Every target of the run as ``{"target", "where", "status": "PASS" | "FAIL",
    "detail"}``, computed from ``result``'s numbers only (so a fake result tests it): per
    page (not the references) queries constant in N, the interleaved growth at most
    ``GROWTH_MAX``, at most its ``floor_max`` times the floor at every size and, where it has
    one, its p50 limit at the largest size; the queue faster than the admin; the audit CSV
    export's rate, flat memory and linearity; ``verify_audit`` verified, under its limit and
    linear; the reminder backlog; the two web processes; the PDF; the roster import. With
    ``pages_selected`` (``bench --pages``), only the pages listed have targets (and the
    queue's against the admin only when both were measured)."""
    targets: list[dict] = []

    def add(name: str, where: str, ok: bool, detail: str) -> None:
        targets.append({"target": name, "where": where, "status": _status(ok), "detail": detail})

    runs = result.get("runs") or []
    # A run of some pages only (``bench --pages``) has targets for those pages alone.
    selected = result.get("pages_selected")
    measured = [p for p in PAGES if selected is None or p.name in selected]
    names = {p.name for p in measured}
    if runs:
        small, large = runs[0], runs[-1]
        for page in measured:
            if page.reference:
                continue
            _page_targets(add, page, small, large, runs)
        for run in runs if QUEUE_PAGE in names and ADMIN_PAGE in names else []:
            q, admin = run["pages"].get(QUEUE_PAGE, {}), run["pages"].get(ADMIN_PAGE, {})
            name = "queue faster than the admin change list"
            where = f"{QUEUE_PAGE} at {_n(run['size'])}"
            if q.get("available") and admin.get("available"):
                add(
                    name,
                    where,
                    q["p50_ms"] < admin["p50_ms"],
                    f"queue p50 {q['p50_ms']} ms, admin p50 {admin['p50_ms']} ms",
                )
            else:
                add(name, where, False, q.get("reason") or admin.get("reason") or "not measured")
        _export_targets(add, small, large, runs)
        _verify_targets(add, small, large, runs)
        for run in runs:
            if "pdf" in run:
                _pdf_targets(add, run)
    extra = result.get("rows") or {}
    if "reminder backlog" in extra:
        r = extra["reminder backlog"]
        ok = bool(r.get("available")) and r["sent"] > 0
        add(
            f"reminder backlog of {rows.REMINDER_BACKLOG:,} drained in <= "
            f"{rows.REMINDER_SECONDS_MAX:g} s of worker time",
            "deadlines_remind",
            ok and r["seconds_per_backlog"] <= rows.REMINDER_SECONDS_MAX,
            rows.reminders_cell(r),
        )
    if "two processes" in extra:
        r = extra["two processes"]
        add(
            "two web processes answer every request",
            "two gunicorn processes, round robin",
            bool(r.get("available")) and r["all_ok"],
            rows.two_process_cell(r),
        )
    if "roster import" in extra:
        _roster_targets(add, extra["roster import"])
    return targets


def _page_targets(add, page, small, large, runs) -> None:
    a, b = small["pages"].get(page.name, {}), large["pages"].get(page.name, {})
    growth_name = f"p50 at {_n(large['size'])} <= {GROWTH_MAX}x p50 at {_n(small['size'])}"
    if not (a.get("available") and b.get("available")):
        reason = (a if not a.get("available") else b).get("reason", "not measured")
        add("queries constant in N", page.name, False, reason)
        add(growth_name, page.name, False, reason)
        if page.floor_max:
            for run in runs:
                where = f"{page.name} at {_n(run['size'])}"
                add(f"<= {page.floor_max:g}x the floor", where, False, reason)
        if page.seconds_max:
            where = f"{page.name} at {_n(large['size'])}"
            add(f"p50 <= {page.seconds_max * 1000:g} ms", where, False, reason)
        return
    add(
        "queries constant in N",
        page.name,
        b["queries"] <= a["queries"],
        f"{a['queries']} queries at {_n(small['size'])}, {b['queries']} at {_n(large['size'])}",
    )
    growth = b.get("growth")
    add(
        growth_name,
        page.name,
        growth is not None and growth <= GROWTH_MAX,
        f"x{growth} (median of the interleaved rounds' ratios; p50 {a['p50_ms']} ms and "
        f"{b['p50_ms']} ms)",
    )
    if page.floor_max:
        for run in runs:
            cell = run["pages"][page.name]
            add(
                f"<= {page.floor_max:g}x the floor",
                f"{page.name} at {_n(run['size'])}",
                cell["floor_ratio"] <= page.floor_max,
                f"x{cell['floor_ratio']} the floor (median of the alternated pairs; p50 "
                f"{cell['p50_ms']} ms, floor {cell['floor_p50_ms']} ms)",
            )
    if page.seconds_max:
        add(
            f"p50 <= {page.seconds_max * 1000:g} ms",
            f"{page.name} at {_n(large['size'])}",
            b["p50_ms"] <= page.seconds_max * 1000,
            f"p50 {b['p50_ms']} ms",
        )


def _export_targets(add, small, large, runs) -> None:
    where = "audit CSV export, district-wide"
    cells = [run.get("audit export") for run in runs]
    if any(cell is None for cell in cells):
        return
    rate = f">= {rows.EXPORT_ROWS_PER_SECOND_MIN:,} rows/s"
    flat, linear = "flat memory", "linear in rows"
    bad = next((cell for cell in cells if not cell.get("available")), None)
    if bad is not None:
        for run in runs:
            add(rate, f"{where} at {_n(run['size'])}", False, bad.get("reason", "not measured"))
        add(flat, where, False, bad.get("reason", "not measured"))
        add(linear, where, False, bad.get("reason", "not measured"))
        return
    for run, cell in zip(runs, cells, strict=True):
        add(
            rate,
            f"{where} at {_n(run['size'])}",
            (cell["rows_per_second"] or 0) >= rows.EXPORT_ROWS_PER_SECOND_MIN,
            rows.export_cell(cell),
        )
    a, b = cells[0], cells[-1]
    limit = a["peak_traced_mb"] * rows.EXPORT_MEMORY_GROWTH_MAX + rows.EXPORT_MEMORY_SLACK_MB
    add(
        flat,
        where,
        b["peak_traced_mb"] <= limit,
        f"peak {a['peak_traced_mb']} MB at {_n(small['size'])}, {b['peak_traced_mb']} MB at "
        f"{_n(large['size'])} (at most {limit:.1f} MB)",
    )
    ok = bool(a["rows_per_second"] and b["rows_per_second"]) and (
        b["rows_per_second"] * GROWTH_MAX >= a["rows_per_second"]
    )
    add(
        linear,
        where,
        ok,
        f"{a['rows_per_second']} rows/s over {a['rows']} rows, {b['rows_per_second']} rows/s "
        f"over {b['rows']} rows (at most {GROWTH_MAX}x slower per row)",
    )


def _verify_targets(add, small, large, runs) -> None:
    if any("verify_audit" not in run for run in runs):
        return
    for run in runs:
        v = run["verify_audit"]
        add(
            f"verify_audit verified, under {rows.VERIFY_SECONDS_MAX:g} s",
            f"verify_audit at {_n(run['size'])}",
            v["ok"] and v["seconds"] < rows.VERIFY_SECONDS_MAX,
            rows.verify_cell(v),
        )
    a, b = small["verify_audit"], large["verify_audit"]
    ok = bool(a["us_per_row"] and b["us_per_row"]) and (
        b["us_per_row"] <= a["us_per_row"] * rows.VERIFY_LINEAR_MAX
    )
    add(
        f"verify_audit linear (µs per row within {rows.VERIFY_LINEAR_MAX}x)",
        "verify_audit",
        ok,
        f"{a['us_per_row']} µs/row at {_n(small['size'])}, {b['us_per_row']} at "
        f"{_n(large['size'])}",
    )


def _pdf_targets(add, run) -> None:
    pdf = run["pdf"]
    where = f"case summary PDF at {_n(run['size'])}"
    names = (
        f"PDF under {rows.PDF_SECONDS_MAX:g} s",
        f"PDF of {rows.PDF_PAGES_MIN} pages or more",
        f"PDF worker under {rows.PDF_MEGABYTES_MAX:g} MB",
    )
    if not pdf.get("available"):
        for name in names:
            add(name, where, False, pdf.get("reason", rows.NOT_AVAILABLE))
        return
    add(names[0], where, pdf["p95_ms"] < rows.PDF_SECONDS_MAX * 1000, rows.pdf_cell(pdf))
    add(names[1], where, pdf["pages"] >= rows.PDF_PAGES_MIN, rows.pdf_cell(pdf))
    add(names[2], where, pdf["peak_rss_mb"] < rows.PDF_MEGABYTES_MAX, rows.pdf_cell(pdf))


def _roster_targets(add, result: dict) -> None:
    where = f"roster import ({result.get('students', '?')} students)"
    ok = bool(result.get("available"))
    detail = rows.roster_cell(result)
    add(
        f"roster import under {rows.ROSTER_SECONDS_MAX:g} s",
        where,
        ok and result["seconds"] < rows.ROSTER_SECONDS_MAX,
        detail,
    )
    add(
        f"roster import worker under {rows.ROSTER_MEGABYTES_MAX:g} MB",
        where,
        ok and result["peak_rss_mb"] < rows.ROSTER_MEGABYTES_MAX,
        detail,
    )


# --- Outputs ---------------------------------------------------------------------------------


def _page_cells(cell: dict) -> list[str]:
    if not cell.get("available"):
        return [f"n/a: {cell.get('reason', rows.NOT_AVAILABLE)}", "–", "–"]
    p95 = f" / {cell['p95_ms']}" if cell.get("p95_ms") is not None else ""
    return [f"{cell['p50_ms']}{p95}", f"×{cell['floor_ratio']}", str(cell.get("queries", "–"))]


def markdown_section(result: dict) -> str:
    """The README's benchmark figures from one run, between the markers: the run's
    conditions, one table of the pages (p50 / p95 ms, times the floor, queries at each size,
    the interleaved growth), one of the other rows, and every target with its verdict."""
    runs = result.get("runs") or []
    m = result["machine"]
    lines = [
        MARK_BEGIN,
        "",
        f"One run of `manage.py bench --repeat {result['repeat']} --warmup {result['warmup']}`, "
        f"{result['generated_at']}: {m['cpus']} CPUs, {m['database']}, Python {m['python']}, "
        f"load average {_load(m.get('load_average'))} before and "
        f"{_load(m.get('load_average_after'))} after{_steal(m.get('cpu_steal_percent'))}"
        f"{_yardstick(m.get('python_loop_ms'))}. "
        "Sizes measured interleaved, sample by "
        "sample; ratios are medians of paired samples. Milliseconds; q = queries of one "
        "request.",
        "",
    ]
    if runs:
        header = ["page"]
        for run in runs:
            header += [f"p50 / p95 at {_n(run['size'])}", "× floor", "q"]
        if len(runs) > 1:
            header.append(f"{_n(runs[-1]['size'])} / {_n(runs[0]['size'])}")
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        selected = result.get("pages_selected")
        for page in [p for p in PAGES if selected is None or p.name in selected]:
            row = [page.name + (" (reference)" if page.reference else "")]
            for run in runs:
                row += _page_cells(run["pages"].get(page.name, {}))
            if len(runs) > 1:
                growth = runs[-1]["pages"].get(page.name, {}).get("growth")
                row.append("–" if page.name == FLOOR or growth is None else f"×{growth}")
            lines.append("| " + " | ".join(row) + " |")
        lines += ["", "| row | " + " | ".join(f"at {_n(r['size'])}" for r in runs) + " |"]
        lines.append("|" + "---|" * (len(runs) + 1))
        for label, key, cell in (
            ("audit CSV export, district-wide", "audit export", rows.export_cell),
            ("verify_audit, whole database", "verify_audit", rows.verify_cell),
            ("case summary PDF, in a worker", "pdf", rows.pdf_cell),
        ):
            if any(key in r for r in runs):
                values = [cell(r[key]) if key in r else "–" for r in runs]
                lines.append(f"| {label} | " + " | ".join(values) + " |")
        lines.append("")
    extra = result.get("rows") or {}
    for label, key, cell in (
        ("Reminder backlog (largest size)", "reminder backlog", rows.reminders_cell),
        ("Two gunicorn processes (largest size)", "two processes", rows.two_process_cell),
        ("Roster import", "roster import", rows.roster_cell),
    ):
        if key in extra:
            lines.append(f"- {label}: {cell(extra[key])}.")
    lines += ["", f"Targets: {_summary(result)}", "", "| target | where | verdict | figures |"]
    lines.append("|---|---|---|---|")
    for t in result["targets"]:
        verdict = t["status"] if t["status"] == "PASS" else f"**{t['status']}**"
        lines.append(f"| {t['target']} | {t['where']} | {verdict} | {t['detail']} |")
    lines += ["", MARK_END]
    return "\n".join(line.replace("\n", " ") for line in lines) + "\n"


def _load(values) -> str:
    return "/".join(f"{v:.2f}" for v in values) if values else "unknown"


def _yardstick(ms) -> str:
    """The machine's speed for one Python thread (``run.python_loop_ms``), as a clause."""
    if ms is None:
        return ""
    return f"; a fixed Python loop (the machine's yardstick) took {ms:g} ms"


def _steal(percent) -> str:
    """The run's CPU time stolen by the host (``run.cpu_steal_percent``), as a clause."""
    if percent is None:
        return ""
    return f"; {percent:g}% of the CPU time stolen by the virtual machine's host during the run"


def _summary(result: dict) -> str:
    total = len(result["targets"])
    failed = result["failures"]
    return f"{total - failed} of {total} met" + (f", {failed} failed." if failed else ".")


def markdown_write(result: dict, path: Path) -> Path:
    """Writes the section into ``path``: between its markers when the file has them (the
    rest of the file unchanged), as the whole file when it does not exist. Raises
    ``MarkersMissing`` for an existing file without both markers."""
    section = markdown_section(result)
    if path.exists():
        text = path.read_text()
        begin = text.find(MARK_BEGIN)
        end = text.find(MARK_END, max(begin, 0))
        if begin < 0 or end < begin:
            raise MarkersMissing(
                f"{path} has no benchmark markers: put the lines {MARK_BEGIN!r} and "
                f"{MARK_END!r} where the figures go, or name a new file."
            )
        path.write_text(text[:begin] + section.rstrip("\n") + text[end + len(MARK_END) :])
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(section)
    return path


def table_lines(result: dict) -> list[str]:
    """The plain-text summary printed at the end of a run: the targets, one per line."""
    lines = ["Targets:"]
    for t in result["targets"]:
        lines.append(f"  {t['status']:<4}  {t['target']} — {t['where']}: {t['detail']}")
    lines.append(_summary(result))
    return lines


def json_write(result: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str))
    return path
