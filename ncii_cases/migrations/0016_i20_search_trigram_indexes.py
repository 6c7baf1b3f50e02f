"""Trigram indexes for the queue's search (PostgreSQL only; SQLite keeps its plain scan).

The search matches ``UPPER(column::text) LIKE UPPER('%term%')`` (Django's ``icontains``), which
no B-tree can serve; a GIN index of trigrams on the same expression can, so a search reads the
few matching rows instead of every party of the installation. ``pg_trgm`` is a trusted
extension (PostgreSQL 13 and later): the database's owner may create it."""

from django.db import migrations

INDEXES = {
    "ncii_case_reference_trgm": ("ncii_cases_case", "reference"),
    "ncii_case_title_trgm": ("ncii_cases_case", "title"),
    "ncii_person_first_name_trgm": ("ncii_cases_person", "first_name"),
    "ncii_person_last_name_trgm": ("ncii_cases_person", "last_name"),
    "ncii_caseparty_description_trgm": ("ncii_cases_caseparty", "description"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("ncii_cases", "0015_case_record_corrections")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
