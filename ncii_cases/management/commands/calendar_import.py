"""manage.py calendar_import PATH --district SLUG [--school CODE] [--school-days]"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ncii_cases.models import District, School, SchoolCalendarEntry
from ncii_cases.school_calendar import calendar_import


class Command(BaseCommand):
    help = (
        "Imports the events of an iCalendar (.ics) file as days without school of a district "
        "(or of one school). Importing the same file again updates its entries (by UID)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The .ics file exported from the school calendar.")
        parser.add_argument("--district", required=True, help="The district's slug.")
        parser.add_argument("--school", help="A school code, for that school's calendar only.")
        parser.add_argument(
            "--school-days",
            action="store_true",
            help="The events are extra school days (make-up days) instead of closures.",
        )

    def handle(self, *args, path, district, school=None, school_days=False, **options):
        found = District.objects.filter(slug=district).first()
        if found is None:
            raise CommandError(f"No district has the slug {district!r}.")
        chosen = None
        if school:
            chosen = School.objects.filter(district=found, code=school).first()
            if chosen is None:
                raise CommandError(f"The district has no school with the code {school!r}.")
        try:
            content = Path(path).read_bytes()
        except OSError as error:
            raise CommandError(f"Could not read {path}: {error.strerror}.") from error
        kind = SchoolCalendarEntry.Kind.SCHOOL_DAY if school_days else None
        try:
            result = calendar_import(district=found, school=chosen, content=content, kind=kind)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            f"{result.created} entries created, {result.updated} updated, "
            f"{result.skipped} skipped (no date)."
        )
