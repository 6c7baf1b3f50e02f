"""An index on (id, history_id) for every history table the audit review reads.

The review and the CSV export show each history row against the previous row of the same
record (``selectors.audit._change_rows``: the newest history_id below the row's, for the same
id). With only the index on ``id`` that lookup read every history row of the record and
sorted them, once per row shown: a record changed a thousand times cost a second per export
chunk. With this index each lookup is one step down the index. Written as SQL that both
PostgreSQL and SQLite run; the historical models' state is left as it is (simple-history
generates their Meta)."""

from django.db import migrations

TABLES = (
    "ncii_cases_historicalcase",
    "ncii_cases_historicalcaseassignment",
    "ncii_cases_historicalcaseparty",
    "ncii_cases_historicalharmassessment",
    "ncii_cases_historicalcasemeasure",
    "ncii_cases_historicalresolutionoffer",
    "ncii_cases_historicaltakedownrequest",
    "ncii_cases_historicalexternalreport",
    "ncii_cases_historicalevidenceitem",
    "ncii_cases_historicalcustodyentry",
    "ncii_cases_historicalsupportingdocument",
    "ncii_cases_historicaldetermination",
    "ncii_cases_historicalsanction",
    "ncii_cases_historicalpartynotice",
    "ncii_cases_historicaltakedownnotice",
    "ncii_cases_historicalappeal",
    "ncii_cases_historicalprocessamilestone",
)


def _name(table: str) -> str:
    return table.replace("ncii_cases_historical", "hist_prev_")


class Migration(migrations.Migration):
    dependencies = [
        ("ncii_cases", "0025_reminder_marks_on_clocks"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f'CREATE INDEX IF NOT EXISTS "{_name(table)}" ON "{table}" ("id", "history_id")',
            reverse_sql=f'DROP INDEX IF EXISTS "{_name(table)}"',
        )
        for table in TABLES
    ]
