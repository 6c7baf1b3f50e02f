"""manage.py roster_import PATH_OR_ZIP --district SLUG [--dry-run] [--by USERNAME]"""

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ncii_cases.audit import access_event_record
from ncii_cases.models import District, RosterImport, User
from ncii_cases.services.roster import COUNT_LABELS, roster_import


def result_lines(result) -> list[str]:
    """The result as plain lines: counts, samples, notices (shared with the upload page)."""
    lines = [f"  {result.counts.get(key, 0):>7}  {label}" for key, label in COUNT_LABELS]
    for kind, samples in result.samples.items():
        lines.append(f"  {kind}, for example:")
        lines.extend(f"    {line}" for line in samples)
    lines.extend(f"  note: {text}" for text in result.notices)
    return lines


class Command(BaseCommand):
    help = (
        "Imports a district's OneRoster 1.2 CSV export (a zip file or a folder): schools, "
        "students and staff, with staff accounts created disabled. Running the same export "
        "again changes nothing; --dry-run shows what would change and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The OneRoster zip file, or a folder of its CSV files.")
        parser.add_argument("--district", required=True, help="The district's slug.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would change; write nothing."
        )
        parser.add_argument(
            "--by", help="The username of the account running the import (recorded as who)."
        )

    def handle(self, *args, path, district, dry_run=False, by=None, **options):
        found = District.objects.filter(slug=district).first()
        if found is None:
            raise CommandError(f"No district has the slug {district!r}.")
        actor = None
        if by:
            actor = User.objects.filter(username=by).first()
            if actor is None:
                raise CommandError(f"No account has the username {by!r}.")
        if not Path(path).exists():
            raise CommandError(f"Could not read {path}: no such file or folder.")
        label = f"manage.py roster_import (system user {getpass.getuser()})"
        result = roster_import(
            district=found,
            origin=path,
            actor=actor,
            actor_label=label,
            dry_run=dry_run,
            source=RosterImport.Source.COMMAND,
            file_name=Path(path).name,
        )
        access_event_record(
            user=actor,
            action="roster_import",
            path=f"manage.py roster_import {Path(path).name}" + (" --dry-run" if dry_run else ""),
            method="CLI",
            allowed=True,
            district_id=found.pk,
        )
        if result.status == RosterImport.Status.REFUSED:
            for problem in result.problems:
                self.stderr.write(str(problem))
            more = result.problems_total - len(result.problems)
            if more > 0:
                self.stderr.write(f"... and {more} more problems.")
            raise CommandError(
                f"The roster was not imported ({result.problems_total} problems); nothing "
                "was written. Fix the export and run the import again."
            )
        heading = (
            "Dry run: nothing was written. The import would do this:"
            if dry_run
            else f"The roster is imported (import {result.record.pk}):"
        )
        self.stdout.write(heading)
        for line in result_lines(result):
            self.stdout.write(line)
