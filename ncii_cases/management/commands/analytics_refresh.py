"""Works out the analytics facts of every case again (after a data migration, an import or a
restore): ``manage.py analytics_refresh [--district ID]``."""

from django.core.management.base import BaseCommand

from ncii_cases.analytics_facts import case_facts_refresh_all


class Command(BaseCommand):
    help = "Works out the analytics facts of every case (of one district) again."

    def add_arguments(self, parser):
        parser.add_argument("--district", type=int, help="only this district's cases (its id)")

    def handle(self, *args, district=None, **options):
        covered = case_facts_refresh_all(district_id=district)
        self.stdout.write(f"Analytics facts worked out again for {covered} cases.")
