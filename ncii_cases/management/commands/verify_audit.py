"""Walks the audit hash chains and names the first rows that were altered, inserted or
removed, and stores the run for the audit review pages. Exits with status 1 when anything
does not add up (for cron and monitoring)."""

from django.core.management.base import BaseCommand, CommandError

from ncii_cases.audit import audit_verification_run
from ncii_cases.models import AuditVerification


class Command(BaseCommand):
    help = "Verifies the hash chains of the case timeline and the access log."

    def handle(self, *args, **options):
        run = audit_verification_run(source=AuditVerification.Source.COMMAND)
        failed = False
        for report in run.reports:
            if report.ok:
                self.stdout.write(f"{report.chain}: {report.rows} rows, chain intact")
                continue
            failed = True
            self.stdout.write(f"{report.chain}: {report.rows} rows, CHAIN BROKEN")
            for problem in report.problems:
                self.stdout.write(f"  {problem}")
        if failed:
            raise CommandError("The audit record does not verify; see the rows named above.")
