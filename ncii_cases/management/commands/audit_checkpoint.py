"""Writes a signed checkpoint of every audit chain outside the database (see
``ncii_cases.audit_checkpoints``). Exits with status 1, writing nothing, when a chain does not
verify since the previous checkpoint."""

from django.core.management.base import BaseCommand, CommandError

from ncii_cases.audit_checkpoints import CheckpointRefused, checkpoint_storage, checkpoint_write


class Command(BaseCommand):
    help = "Writes a signed checkpoint of the audit chains outside the database."

    def handle(self, *args, **options):
        try:
            checkpoint = checkpoint_write()
        except CheckpointRefused as exc:
            for problem in exc.problems:
                self.stdout.write(f"  {problem}")
            raise CommandError(
                "No checkpoint written: the audit record does not verify since the previous "
                "checkpoint (rows named above). Run verify_audit."
            ) from exc
        storage, folder = checkpoint_storage()
        where = getattr(storage, "location", type(storage).__name__)
        self.stdout.write(f"Checkpoint {checkpoint.name} written to {where}/{folder}".rstrip("/"))
        for chain, entry in checkpoint.chains.items():
            self.stdout.write(
                f"{chain}: {entry['count']} rows, last row {entry['last_id']}, "
                f"head {entry['head_hash'][:12] or '-'}"
            )
