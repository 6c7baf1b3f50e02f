"""Every case has its analytics facts row from the moment it is written, kept by triggers.

A trigger on the case table writes a stale ``CaseFacts`` row for each new case, and marks
the row stale again, with the copied columns as they now are, when an update changes one of
them (district, school, reported date, stage, kind of imagery, conduct, closure date), in the transaction of the
write, whoever writes (the services, the admin, a bulk load, a data fix in SQL). The
analytics read then works out the stale rows alone (an index of the stale rows) and no longer
looks for cases without a row, an anti-join over every case of the district on each request.
The rows of the cases already there without one are written here, stale, after the triggers.
"""

from django.db import migrations

FACTS_INSERT = """
INSERT INTO ncii_cases_casefacts (
    case_id, district_id, school_id, reported_at, stage, ncii_kind, conduct, closed_at,
    has_support, has_resources, has_platform, has_respondent, respondent_student,
    respondent_employee, respondent_non_affiliated, respondent_unknown, stale
)
"""
FACTS_VALUES = """
VALUES (
    NEW.id, NEW.district_id, NEW.school_id, NEW.reported_at, NEW.stage, NEW.ncii_kind,
    NEW.conduct, NEW.closed_at, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, TRUE
)
"""
# A row already there is marked stale and takes the copied columns as they now are: a case
# moved to another district is then worked out by that district's next read.
ON_CONFLICT = (
    "ON CONFLICT (case_id) DO UPDATE SET stale = TRUE, "
    "district_id = excluded.district_id, school_id = excluded.school_id, "
    "reported_at = excluded.reported_at, stage = excluded.stage, "
    "ncii_kind = excluded.ncii_kind, conduct = excluded.conduct, closed_at = excluded.closed_at"
)
COLUMNS = ("district_id", "school_id", "reported_at", "stage", "ncii_kind", "conduct", "closed_at")
CHANGED = " OR ".join(f"OLD.{name} IS DISTINCT FROM NEW.{name}" for name in COLUMNS)
SQLITE_CHANGED = " OR ".join(f"OLD.{name} IS NOT NEW.{name}" for name in COLUMNS)
OF_COLUMNS = ", ".join(COLUMNS)

POSTGRES_CREATE = [
    "CREATE OR REPLACE FUNCTION ncii_case_facts_stale() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    f"BEGIN {FACTS_INSERT} {FACTS_VALUES} {ON_CONFLICT};\n"
    "RETURN NULL; END $$",
    "CREATE TRIGGER ncii_case_facts_insert AFTER INSERT ON ncii_cases_case "
    "FOR EACH ROW EXECUTE FUNCTION ncii_case_facts_stale()",
    f"CREATE TRIGGER ncii_case_facts_update AFTER UPDATE OF {OF_COLUMNS} ON ncii_cases_case "
    f"FOR EACH ROW WHEN ({CHANGED}) EXECUTE FUNCTION ncii_case_facts_stale()",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS ncii_case_facts_insert ON ncii_cases_case",
    "DROP TRIGGER IF EXISTS ncii_case_facts_update ON ncii_cases_case",
    "DROP FUNCTION IF EXISTS ncii_case_facts_stale()",
]
SQLITE_CREATE = [
    "CREATE TRIGGER ncii_case_facts_insert AFTER INSERT ON ncii_cases_case BEGIN "
    f"{FACTS_INSERT} {FACTS_VALUES} {ON_CONFLICT}; END",
    f"CREATE TRIGGER ncii_case_facts_update AFTER UPDATE OF {OF_COLUMNS} ON ncii_cases_case "  # noqa: S608  # nosec B608 (constants only)
    f"WHEN {SQLITE_CHANGED} BEGIN "
    f"{FACTS_INSERT} {FACTS_VALUES} {ON_CONFLICT}; END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS ncii_case_facts_insert",
    "DROP TRIGGER IF EXISTS ncii_case_facts_update",
]
# The cases already there without a row get one, stale (the next read works it out).
BACKFILL = """
INSERT INTO ncii_cases_casefacts (
    case_id, district_id, school_id, reported_at, stage, ncii_kind, conduct, closed_at,
    has_support, has_resources, has_platform, has_respondent, respondent_student,
    respondent_employee, respondent_non_affiliated, respondent_unknown, stale
)
SELECT id, district_id, school_id, reported_at, stage, ncii_kind, conduct, closed_at,
    FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, TRUE
FROM ncii_cases_case
WHERE NOT EXISTS (SELECT 1 FROM ncii_cases_casefacts f WHERE f.case_id = ncii_cases_case.id)
"""


def triggers_create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise RuntimeError("Kept analytics facts need PostgreSQL or SQLite.")
    with schema_editor.connection.cursor() as cursor:
        for sql in POSTGRES_CREATE if vendor == "postgresql" else SQLITE_CREATE:
            cursor.execute(sql)
        cursor.execute(BACKFILL)


def triggers_drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        for sql in POSTGRES_DROP if vendor == "postgresql" else SQLITE_DROP:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("ncii_cases", "0028_case_stage_counts"),
    ]

    operations = [
        migrations.RunPython(triggers_create, triggers_drop),
    ]
