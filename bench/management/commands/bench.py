"""Measures the application at two database sizes in one run, interleaved, and checks the
targets (see ``bench.run`` and the README's "Benchmark" section):

    manage.py bench                                   # 1,000 and 100,000 cases
    manage.py bench --markdown README.md              # ... and rewrite the README's figures
    manage.py bench --sizes 1000,5000 --databases a,b --json out.json
    manage.py bench --roster-only --roster-students 5000   # the OneRoster import alone
    manage.py bench --pages search,"audit review"     # only those pages (and the floor)

Each size's database is seeded once and reused afterwards (``--reseed`` seeds again). Prints
PASS or FAIL per target and writes it all as JSON (and, with ``--markdown``, as Markdown)."""

import datetime as dt
import logging
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench import rows
from bench.report import MarkersMissing, json_write, markdown_write, table_lines
from bench.run import UnknownPage, bench, pages_select
from bench.seed import SQLITE_MAX_CASES


def _ints(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandError(f"--sizes takes numbers separated by commas, not {text!r}.") from exc
    if len(values) < 2 or any(v < 2 for v in values):
        raise CommandError(
            "Give at least two sizes (e.g. --sizes 1000,100000), each of 2 cases or more."
        )
    return values


def default_database(size: int) -> str:
    """``ncii_bench_1k``, ``ncii_bench_100k``, ``ncii_bench_5000``..."""
    names = {1000: "ncii_bench_1k", 100000: "ncii_bench_100k"}
    return names.get(size, f"ncii_bench_{size}")


class Command(BaseCommand):
    help = "Measures pages and background work at two database sizes, interleaved, with targets."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="1000,100000", help="Case counts, comma-separated.")
        parser.add_argument(
            "--databases",
            default="",
            help="One database name per size (default: ncii_bench_1k,ncii_bench_100k for the "
            "default sizes, ncii_bench_<N> otherwise; on SQLite, file paths).",
        )
        parser.add_argument(
            "--reseed",
            action="store_true",
            help="Seed every size again even when its database already holds that seed.",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")
        parser.add_argument("--repeat", type=int, default=30, help="Timed rounds per page.")
        parser.add_argument("--warmup", type=int, default=3, help="Untimed rounds first.")
        parser.add_argument("--json", default="", help="Where to write the JSON result.")
        parser.add_argument(
            "--markdown",
            default="",
            help="Write the figures as Markdown: between the benchmark markers of an existing "
            "file (README.md), or as a new file.",
        )
        parser.add_argument(
            "--export-seconds",
            type=float,
            default=rows.EXPORT_SECONDS_CAP,
            help="Stop reading the audit CSV export after this many seconds (partial).",
        )
        parser.add_argument(
            "--reminder-backlog",
            type=int,
            default=rows.REMINDER_BACKLOG,
            help="Stage clocks made due on the largest size for the reminder row (0: skip).",
        )
        parser.add_argument(
            "--two-process-requests",
            type=int,
            default=rows.TWO_PROCESS_REQUESTS,
            help="Requests of the two-gunicorn row (0: skip).",
        )
        parser.add_argument("--no-pdf", action="store_true", help="Skip the case summary PDF.")
        parser.add_argument(
            "--roster-students",
            type=int,
            default=rows.ROSTER_STUDENTS,
            help="Students of the OneRoster import measured (0: not measured).",
        )
        parser.add_argument(
            "--pages",
            default="",
            help="Measure only these pages, comma-separated, each a part of a page's name "
            "('search' selects both searches), beside the floor, and none of the rows that "
            "are not pages (export, verify_audit, PDF, reminders, two processes, roster); "
            "targets for those pages only. Default: every page and row.",
        )
        parser.add_argument(
            "--roster-only",
            action="store_true",
            help="Measure only the OneRoster import, on the configured database (rolled back).",
        )

    def handle(self, *args, **options):
        sizes = _ints(options["sizes"])
        if options["databases"]:
            databases = [d.strip() for d in options["databases"].split(",")]
        else:
            databases = [default_database(size) for size in sizes]
        if len(databases) != len(sizes):
            raise CommandError("Give one database per size (--databases a,b for --sizes M,N).")
        if len(set(databases)) != len(databases):
            raise CommandError(
                "Each size needs a database of its own (they are measured side by side)."
            )
        if options["repeat"] < 1 or options["warmup"] < 0:
            raise CommandError("--repeat must be at least 1 and --warmup at least 0.")
        if (
            connection.vendor != "postgresql"
            and not options["roster_only"]
            and max(sizes) > SQLITE_MAX_CASES
        ):
            raise CommandError(
                "The benchmark at a district's scale runs on PostgreSQL (set DATABASE_URL); on "
                f"{connection.vendor} at most {SQLITE_MAX_CASES} cases."
            )
        page_names = [n for n in options["pages"].split(",") if n.strip()]
        if page_names and options["roster_only"]:
            raise CommandError("--pages measures pages; --roster-only measures none.")
        try:
            pages_select(page_names)
        except UnknownPage as exc:
            raise CommandError(str(exc)) from exc
        markdown = Path(options["markdown"]) if options["markdown"] else None
        if markdown is not None and markdown.exists():
            from bench.report import MARK_BEGIN, MARK_END

            text = markdown.read_text()
            if MARK_BEGIN not in text or MARK_END not in text:
                raise CommandError(
                    f"{markdown} has no benchmark markers ({MARK_BEGIN} ... {MARK_END}): "
                    "add them where the figures go, or name a new file."
                )
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        path = Path(options["json"] or settings.BASE_DIR / "bench-results" / f"bench-{stamp}.json")
        # Each signed-in client and each eager task would log a line; keep the output readable.
        for name in ("axes", "celery"):
            logging.getLogger(name).setLevel(logging.WARNING)
        result = bench(
            sizes=sizes,
            databases=databases,
            repeat=options["repeat"],
            warmup=options["warmup"],
            seed_value=options["seed"],
            reseed=options["reseed"],
            log=self.stdout.write,
            roster_students=max(0, options["roster_students"]),
            reminder_backlog=max(0, options["reminder_backlog"]),
            export_seconds=options["export_seconds"],
            two_process_requests=max(0, options["two_process_requests"]),
            pdf=not options["no_pdf"],
            pages=not options["roster_only"],
            page_names=page_names or None,
        )
        self.stdout.write("")
        for line in table_lines(result):
            self.stdout.write(line)
        self.stdout.write(f"JSON written to {json_write(result, path)}")
        if markdown is not None:
            try:
                self.stdout.write(f"Markdown written to {markdown_write(result, markdown)}")
            except MarkersMissing as exc:
                raise CommandError(str(exc)) from exc
