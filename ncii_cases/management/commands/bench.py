"""Measures the main pages at two database sizes in one run and checks the targets (see
``ncii_cases.benchmark.run`` and the README's "Benchmark" section):

    manage.py bench                                   # seeds ncii_bench_1k and ncii_bench_100k
    manage.py bench --no-seed --repeat 30             # measures the databases as they are
    manage.py bench --sizes 1000,5000 --databases a,b --json out.json
    manage.py bench --roster-only --roster-students 5000   # the OneRoster import alone

Prints a table with PASS or MISS per target and writes it all as JSON."""

import datetime as dt
import logging
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from ncii_cases.benchmark.run import bench, json_write, table_lines
from ncii_cases.benchmark.seed import SQLITE_MAX_CASES


def _ints(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandError(f"--sizes takes numbers separated by commas, not {text!r}.") from exc
    if not values or any(v < 2 for v in values):
        raise CommandError("Every size must be at least 2 cases.")
    return values


class Command(BaseCommand):
    help = "Measures p50/p95 server time and queries of the main pages at two database sizes."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="1000,100000", help="Case counts, comma-separated.")
        parser.add_argument(
            "--databases",
            default="",
            help="One database name per size (default: ncii_bench_1k,ncii_bench_100k for the "
            "default sizes, ncii_bench_<N> otherwise).",
        )
        parser.add_argument(
            "--no-seed",
            action="store_true",
            help="Measure the databases as they are (seeded before with seed_bench).",
        )
        parser.add_argument("--repeat", type=int, default=30, help="Timed requests per page.")
        parser.add_argument("--warmup", type=int, default=3, help="Untimed requests first.")
        parser.add_argument("--json", default="", help="Where to write the JSON result.")
        parser.add_argument(
            "--roster-students",
            type=int,
            default=50_000,
            help="Students of the OneRoster import measured (0: not measured).",
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
            names = {1000: "ncii_bench_1k", 100000: "ncii_bench_100k"}
            databases = [names.get(size, f"ncii_bench_{size}") for size in sizes]
        if len(databases) != len(sizes):
            raise CommandError("Give one database per size.")
        if options["repeat"] < 1 or options["warmup"] < 0:
            raise CommandError("--repeat must be at least 1 and --warmup at least 0.")
        if (
            connection.vendor != "postgresql"
            and not options["roster_only"]
            and (len(set(databases)) > 1 or max(sizes) > SQLITE_MAX_CASES)
        ):
            raise CommandError(
                "The benchmark runs on PostgreSQL (set DATABASE_URL); on "
                f"{connection.vendor} only one database and at most {SQLITE_MAX_CASES} cases."
            )
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        path = Path(options["json"] or settings.BASE_DIR / "bench-results" / f"bench-{stamp}.json")
        # Each signed-in client and each eager task would log a line; keep the table readable.
        for name in ("axes", "celery"):
            logging.getLogger(name).setLevel(logging.WARNING)
        result = bench(
            sizes=sizes,
            databases=databases,
            do_seed=not options["no_seed"],
            repeat=options["repeat"],
            warmup=options["warmup"],
            log=self.stdout.write,
            roster_students=max(0, options["roster_students"]),
            pages=not options["roster_only"],
        )
        self.stdout.write("")
        for line in table_lines(result):
            self.stdout.write(line)
        self.stdout.write(f"JSON written to {json_write(result, path)}")
