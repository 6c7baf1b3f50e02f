"""Counts of cases per district, school and stage, kept by triggers on the case table.

The triggers add one on an insert, take one off on a delete, and move one when an update
changes a case's district, school or stage, in the transaction of the change; on PostgreSQL
a TRUNCATE of the case table empties the counts too (SQLite has no TRUNCATE). On
PostgreSQL the two rows of a move are locked in the order of their keys, so two moves of one
case each (what the services do) in opposite directions wait for each other instead of
deadlocking; an UPDATE of many cases at once locks rows in the order of its cases. The counts of the cases
already there are written after the triggers, in this migration's transaction (on
PostgreSQL, creating the triggers locks the case table against writes until it commits,
so no case is counted twice or missed).
"""

import django.db.models.deletion
from django.db import migrations, models

POSTGRES_CREATE = """
CREATE OR REPLACE FUNCTION ncii_case_stage_count_add(d bigint, s bigint, st varchar, n integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF n > 0 THEN
        INSERT INTO ncii_cases_casestagecount (district_id, school_id, stage, cases)
        VALUES (d, s, st, n)
        ON CONFLICT (district_id, school_id, stage)
        DO UPDATE SET cases = ncii_cases_casestagecount.cases + EXCLUDED.cases;
    ELSE
        UPDATE ncii_cases_casestagecount SET cases = cases + n
        WHERE district_id = d AND school_id = s AND stage = st;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION ncii_case_stage_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM ncii_case_stage_count_add(NEW.district_id, NEW.school_id, NEW.stage, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM ncii_case_stage_count_add(OLD.district_id, OLD.school_id, OLD.stage, -1);
    ELSIF (OLD.district_id, OLD.school_id, OLD.stage)
            IS DISTINCT FROM (NEW.district_id, NEW.school_id, NEW.stage) THEN
        IF (OLD.district_id, OLD.school_id, OLD.stage)
                < (NEW.district_id, NEW.school_id, NEW.stage) THEN
            PERFORM ncii_case_stage_count_add(OLD.district_id, OLD.school_id, OLD.stage, -1);
            PERFORM ncii_case_stage_count_add(NEW.district_id, NEW.school_id, NEW.stage, 1);
        ELSE
            PERFORM ncii_case_stage_count_add(NEW.district_id, NEW.school_id, NEW.stage, 1);
            PERFORM ncii_case_stage_count_add(OLD.district_id, OLD.school_id, OLD.stage, -1);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ncii_case_stage_count
    AFTER INSERT OR DELETE OR UPDATE OF district_id, school_id, stage ON ncii_cases_case
    FOR EACH ROW EXECUTE FUNCTION ncii_case_stage_count();

CREATE OR REPLACE FUNCTION ncii_case_stage_count_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ncii_cases_casestagecount;
    RETURN NULL;
END $$;

CREATE TRIGGER ncii_case_stage_count_truncate
    AFTER TRUNCATE ON ncii_cases_case
    FOR EACH STATEMENT EXECUTE FUNCTION ncii_case_stage_count_truncate();
"""

POSTGRES_DROP = """
DROP TRIGGER IF EXISTS ncii_case_stage_count_truncate ON ncii_cases_case;
DROP FUNCTION IF EXISTS ncii_case_stage_count_truncate();
DROP TRIGGER IF EXISTS ncii_case_stage_count ON ncii_cases_case;
DROP FUNCTION IF EXISTS ncii_case_stage_count();
DROP FUNCTION IF EXISTS ncii_case_stage_count_add(bigint, bigint, varchar, integer);
"""

# SQLite: no functions; each trigger makes sure the row exists, then changes its count.
_ADD = """
    INSERT OR IGNORE INTO ncii_cases_casestagecount (district_id, school_id, stage, cases)
        VALUES (NEW.district_id, NEW.school_id, NEW.stage, 0);
    UPDATE ncii_cases_casestagecount SET cases = cases + 1
        WHERE district_id = NEW.district_id AND school_id = NEW.school_id AND stage = NEW.stage;
"""
_TAKE = """
    UPDATE ncii_cases_casestagecount SET cases = cases - 1
        WHERE district_id = OLD.district_id AND school_id = OLD.school_id AND stage = OLD.stage;
"""
SQLITE_CREATE = [
    f"CREATE TRIGGER ncii_case_stage_count_insert AFTER INSERT ON ncii_cases_case BEGIN {_ADD} END",
    "CREATE TRIGGER ncii_case_stage_count_delete AFTER DELETE ON ncii_cases_case "
    f"BEGIN {_TAKE} END",
    "CREATE TRIGGER ncii_case_stage_count_update "
    "AFTER UPDATE OF district_id, school_id, stage ON ncii_cases_case "
    "WHEN OLD.district_id IS NOT NEW.district_id OR OLD.school_id IS NOT NEW.school_id "
    f"OR OLD.stage IS NOT NEW.stage BEGIN {_TAKE} {_ADD} END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS ncii_case_stage_count_{name}"
    for name in ("insert", "delete", "update")
]

BACKFILL = """
INSERT INTO ncii_cases_casestagecount (district_id, school_id, stage, cases)
SELECT district_id, school_id, stage, COUNT(*) FROM ncii_cases_case
GROUP BY district_id, school_id, stage
"""


def triggers_create(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(POSTGRES_CREATE)
        elif schema_editor.connection.vendor == "sqlite":
            for sql in SQLITE_CREATE:
                cursor.execute(sql)
        else:
            raise RuntimeError("Kept case counts need PostgreSQL or SQLite.")
        cursor.execute("DELETE FROM ncii_cases_casestagecount")
        cursor.execute(BACKFILL)


def triggers_drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(POSTGRES_DROP)
        else:
            for sql in SQLITE_DROP:
                cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("ncii_cases", "0027_merge_history_and_casefacts_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseStageCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "stage",
                    models.CharField(
                        choices=[
                            ("intake", "Intake"),
                            ("initial_assessment", "Initial assessment"),
                            ("harm_assessment", "Harm assessment"),
                            ("interim_actions", "Interim actions"),
                            ("investigation", "Investigation"),
                            ("informal_resolution", "Informal / restorative resolution"),
                            ("determination", "Determination"),
                            ("remedies", "Remedies and sanctions"),
                            ("monitoring", "Monitoring"),
                            ("process_a", "Routed to Process A"),
                            ("referred", "Referred"),
                            ("closed", "Closed"),
                            ("appeal", "Appeal"),
                        ],
                        max_length=30,
                    ),
                ),
                ("cases", models.IntegerField(default=0)),
                (
                    "district",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="ncii_cases.district",
                    ),
                ),
                (
                    "school",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="ncii_cases.school",
                    ),
                ),
            ],
            options={
                "verbose_name": "count of cases per school and stage",
                "verbose_name_plural": "counts of cases per school and stage",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("district", "school", "stage"), name="uniq_case_stage_count"
                    )
                ],
            },
        ),
        migrations.RunPython(triggers_create, triggers_drop),
    ]
