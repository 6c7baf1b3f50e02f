"""Builds a realistic volume of fictional cases for the benchmark (see
``bench.seed``): ``manage.py seed_bench --cases 100000``. Writes only into an
empty database unless --reset, which empties it first."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.seed import SeedRefused, seed
from bench.sites import mark_write, seed_mark


class Command(BaseCommand):
    help = "Seeds an empty database with N fictional cases for the benchmark."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, required=True, help="How many cases (>= 2).")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Empty the database first (flush: every row of every table is deleted).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")

    def handle(self, *args, **options):
        name = connection.settings_dict.get("NAME")
        if options["reset"]:
            self.stdout.write(f"Emptying database {name} ...")
            mark_write(connection, "")
            call_command("flush", interactive=False, verbosity=0)
        self.stdout.write(f"Seeding {options['cases']} cases into {name} ...")
        try:
            report = seed(cases=options["cases"], seed_value=options["seed"], log=self.stdout.write)
        except SeedRefused as exc:
            raise CommandError(str(exc)) from exc
        # "manage.py bench" reuses this database for this size and seed instead of seeding it.
        mark_write(connection, seed_mark(cases=options["cases"], seed_value=options["seed"]))
        for label, count in sorted(report.rows.items()):
            self.stdout.write(f"  {label}: {count} rows")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {report.cases} cases in {report.seconds:.1f} s "
                f"(long audit trail: case {report.audit_case_id}; long summary: case "
                f"{report.summary_case_id})."
            )
        )
