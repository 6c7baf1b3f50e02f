"""Walks the audit hash chains (case timeline, access log, every change-history table and the
verification runs), compares them with the newest signed checkpoint kept outside the database,
checks each case-data row against its latest history row, names the rows that were altered,
inserted or removed, and stores the run for the audit review pages. Exits with status 1 when
anything does not add up (for cron and monitoring)."""

from django.core.management.base import BaseCommand, CommandError

from ncii_cases.audit import audit_verification_run
from ncii_cases.models import AuditVerification


class Command(BaseCommand):
    help = (
        "Verifies the keyed hash chains of the case timeline, the access log and the change "
        "history against the latest checkpoint."
    )

    def handle(self, *args, **options):
        run = audit_verification_run(source=AuditVerification.Source.COMMAND)
        failed = False
        checkpoints = {r.checkpoint for r in run.reports if r.checkpoint}
        if checkpoints:
            self.stdout.write(f"Compared with checkpoint {', '.join(sorted(checkpoints))}")
        else:
            self.stdout.write(
                "No checkpoint yet: truncation of a chain can only be detected from the first "
                "checkpoint on (manage.py audit_checkpoint)."
            )
        for report in run.reports:
            if report.ok:
                self.stdout.write(f"{report.chain}: {report.rows} rows, chain intact")
                continue
            failed = True
            self.stdout.write(f"{report.chain}: {report.rows} rows, CHAIN BROKEN")
            for problem in report.problems:
                self.stdout.write(f"  {problem}")
        seconds = (run.finished_at - run.started_at).total_seconds()
        self.stdout.write(f"Verified in {seconds:.1f} s")
        if failed:
            raise CommandError("The audit record does not verify; see the rows named above.")
