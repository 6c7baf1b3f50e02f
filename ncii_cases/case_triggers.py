"""The triggers of the case table that keep the counts per school and stage
(``CaseStageCount``, migration ``0028_case_stage_counts``) and give every case its analytics
facts row (``CaseFacts``, migration ``0029_case_facts_row_with_every_case``), checked after
every ``migrate``.

SQLite cannot alter most columns in place: Django's migrations rebuild the table instead (a
new table, the rows copied, the old one dropped), and the old table's triggers go with it.
A later migration that alters the case table on SQLite (the demo's database) would leave the
counts and facts unkept without a word. After every ``migrate`` (``post_migrate``; not after
one that stepped back, whose tables are older than the models: ``apps.migrated_back``), any
missing trigger is created again from its migration's SQL, and what it should have kept is
put right: the counts recounted (``stage_counts``) and a stale facts row written for every
case without one. PostgreSQL keeps triggers through ALTER TABLE; a trigger dropped by hand
there is restored the same way.
"""

import importlib
import logging

from django.db import connections, transaction

logger = logging.getLogger(__name__)

COUNTS = "ncii_cases.migrations.0028_case_stage_counts"
FACTS = "ncii_cases.migrations.0029_case_facts_row_with_every_case"
# The triggers of each migration, by vendor.
TRIGGERS = {
    "postgresql": {
        COUNTS: ("ncii_case_stage_count", "ncii_case_stage_count_truncate"),
        FACTS: ("ncii_case_facts_insert", "ncii_case_facts_update"),
    },
    "sqlite": {
        COUNTS: (
            "ncii_case_stage_count_insert",
            "ncii_case_stage_count_delete",
            "ncii_case_stage_count_update",
        ),
        FACTS: ("ncii_case_facts_insert", "ncii_case_facts_update"),
    },
}


def _present(connection) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'ncii_cases_case'::regclass "
                "AND NOT tgisinternal"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'ncii_cases_case'"
            )
        return {row[0] for row in cursor.fetchall()}


def case_triggers_ensure(using: str = "default") -> list[str]:
    """Creates again the triggers of migrations 0028 and 0029 that the case table lacks on
    the database ``using`` (after a table rebuilt by a later migration on SQLite), then
    recounts the cases per school and stage and writes a stale facts row for every case
    without one. On SQLite every one of those triggers is made again, present or not (one
    that names a rebuilt table can be there but broken). Returns the names of the triggers
    that were missing (empty when all were there, or before those migrations ran).
    PostgreSQL and SQLite only; one transaction."""
    connection = connections[using]
    by_migration = TRIGGERS.get(connection.vendor)
    if by_migration is None:
        return []
    from django.db.migrations.recorder import MigrationRecorder

    applied = {
        f"ncii_cases.migrations.{name}"
        for name in MigrationRecorder(connection)
        .migration_qs.filter(app="ncii_cases")
        .values_list("name", flat=True)
    }
    present = _present(connection)
    created: list[str] = []
    with transaction.atomic(using=using):
        for module_name, names in by_migration.items():
            if module_name not in applied:
                continue
            # On SQLite they are made again every time (a few statements): a table they
            # name, rebuilt by a migration, can leave a trigger that is there but broken.
            if set(names) <= present and connection.vendor != "sqlite":
                continue
            module = importlib.import_module(module_name)
            postgres = connection.vendor == "postgresql"
            drop = module.POSTGRES_DROP if postgres else module.SQLITE_DROP
            create = module.POSTGRES_CREATE if postgres else module.SQLITE_CREATE
            with connection.cursor() as cursor:
                for sql in [drop] if isinstance(drop, str) else drop:
                    cursor.execute(sql)
                for sql in [create] if isinstance(create, str) else create:
                    cursor.execute(sql)
                if module_name == FACTS and not set(names) <= present:
                    cursor.execute(module.BACKFILL)
            created += [name for name in names if name not in present]
        if created and any(name in created for name in by_migration[COUNTS]):
            from .stage_counts import case_stage_counts_reconcile

            case_stage_counts_reconcile()
    if created:
        logger.warning("Case table triggers were missing and are created again: %s", created)
    return created


def post_migrate_ensure(sender, using="default", **kwargs) -> None:
    """``post_migrate`` receiver: ``case_triggers_ensure`` on the database just migrated."""
    case_triggers_ensure(using=using)
