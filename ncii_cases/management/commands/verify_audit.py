"""Walks the audit hash chains and names the first rows that were altered, inserted or
removed. Exits with status 1 when anything does not add up (for cron and monitoring)."""

from django.core.management.base import BaseCommand, CommandError

from ncii_cases.audit import audit_verify


class Command(BaseCommand):
    help = "Verifies the hash chains of the case timeline and the access log."

    def handle(self, *args, **options):
        reports = audit_verify()
        failed = False
        for report in reports:
            if report.ok:
                self.stdout.write(f"{report.chain}: {report.rows} rows, chain intact")
                continue
            failed = True
            self.stdout.write(f"{report.chain}: {report.rows} rows, CHAIN BROKEN")
            for problem in report.problems:
                self.stdout.write(f"  {problem}")
        if failed:
            raise CommandError("The audit record does not verify; see the rows named above.")
