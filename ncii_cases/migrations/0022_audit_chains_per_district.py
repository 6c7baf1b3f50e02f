"""One case timeline chain and one access log chain per district (issue 20: every logged
request of every district appended under a lock of one head row).

The rows already written are neither re-signed nor rewritten: rewriting audit history would
destroy what makes it evidence (its hashes, its checkpoints outside the database). They stay
as they are, in the installation-wide chains ``case_event`` and ``access_event``, which are
closed here at the table's last id (``AuditChainHead.closed_at_id``) and verified as before.
Rows written from now on go to ``case_event.d<district>`` and ``access_event.d<district>``
(``access_event.installation`` for entries of no district). Run with the application stopped,
as every migration: the last id is then the end of the chain.
"""

from django.db import migrations, models
from django.db.migrations.exceptions import IrreversibleError

FAMILIES = (("case_event", "CaseEvent"), ("access_event", "AccessEvent"))


def close_installation_chains(apps, schema_editor):
    head_model = apps.get_model("ncii_cases", "AuditChainHead")
    for chain, model_name in FAMILIES:
        model = apps.get_model("ncii_cases", model_name)
        last_id = model.objects.aggregate(last=models.Max("pk"))["last"] or 0
        head, _ = head_model.objects.get_or_create(chain=chain)
        head.closed_at_id = last_id
        head.save(update_fields=["closed_at_id"])


def reopen_installation_chains(apps, schema_editor):
    head_model = apps.get_model("ncii_cases", "AuditChainHead")
    for chain, model_name in FAMILIES:
        model = apps.get_model("ncii_cases", model_name)
        head = head_model.objects.filter(chain=chain).first()
        boundary = head.closed_at_id if head else 0
        if model.objects.filter(pk__gt=boundary or 0).exists():
            raise IrreversibleError(
                f"Rows of {model_name} were chained per district after this migration; the "
                "installation-wide chain cannot take them back without rewriting audit rows."
            )
    head_model.objects.filter(chain__startswith="case_event.").delete()
    head_model.objects.filter(chain__startswith="access_event.").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ncii_cases", "0021_documents_storage_alias"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="closed_at_id",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(close_installation_chains, reopen_installation_chains),
    ]
