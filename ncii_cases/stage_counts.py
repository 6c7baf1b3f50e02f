"""The counts of cases per district, school and stage that the database keeps with the cases
(``models.CaseStageCount``; triggers of migration ``0028_case_stage_counts``).

The triggers keep them in the transaction of every write of a case, so nothing in Python
writes them. ``case_stage_counts_reconcile`` is the check behind them: run every night by
beat (``tasks.case_stage_counts_reconcile``), it counts the cases again and corrects any
count that differs (which only a restore of one table without the other, the triggers
switched off for a session, a TRUNCATE of the counts table, or a hand edit of the counts can
cause), and logs what it corrected.
"""

import logging

from django.db import OperationalError, connection, transaction
from django.db.models import Count

from .models import Case, CaseStageCount

logger = logging.getLogger(__name__)


# The advisory lock key of the recount (any constant of this application's own).
RECOUNT_LOCK = 72_010_028


class CaseTableBusy(Exception):
    """The case table could not be locked within 5 seconds (a long write transaction held
    it); nothing was changed, and the next run tries again."""


def case_stage_counts_reconcile() -> int:
    """Counts every case again per (district, school, stage), makes the kept counts equal to
    that count (rows added, corrected, or set to 0) and returns how many rows it changed (0
    when they already agree). On PostgreSQL the case table is locked against writes (SHARE
    mode, which waits for writes in progress and lets reads go on) while it counts, so no
    change can fall between the count and the correction; SQLite has one writer at a time.
    One transaction; an O(number of cases) read, meant for a nightly run. On PostgreSQL a
    second recount while one runs returns 0 at once, and ``CaseTableBusy`` is raised (nothing
    changed) when the case table cannot be locked within 5 seconds."""
    changed = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # One recount at a time; the others return at once.
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [RECOUNT_LOCK])
                if not cursor.fetchone()[0]:
                    logger.info("Case counts: a recount is already running; skipped")
                    return 0
                # Never queue every case write behind a long transaction: give up instead.
                cursor.execute("SET LOCAL lock_timeout = '5s'")
                try:
                    cursor.execute("LOCK TABLE ncii_cases_case IN SHARE MODE")
                except OperationalError:
                    logger.warning("Case counts: the case table stayed busy; recount skipped")
                    raise CaseTableBusy from None
        counted = {
            (district, school, stage): n
            for district, school, stage, n in Case.objects.order_by()
            .values_list("district_id", "school_id", "stage")
            .annotate(n=Count("*"))
        }
        kept = {
            (row.district_id, row.school_id, row.stage): row
            for row in CaseStageCount.objects.select_for_update()
        }
        for key, row in kept.items():
            n = counted.get(key, 0)
            if row.cases != n:
                logger.warning(
                    "Case counts: school %s, stage %s kept %d, counted %d; corrected",
                    key[1],
                    key[2],
                    row.cases,
                    n,
                )
                row.cases = n
                row.save(update_fields=["cases"])
                changed += 1
        missing = [
            CaseStageCount(district_id=d, school_id=s, stage=stage, cases=n)
            for (d, s, stage), n in counted.items()
            if (d, s, stage) not in kept
        ]
        for row in missing:
            logger.warning(
                "Case counts: school %s, stage %s had no count, counted %d; added",
                row.school_id,
                row.stage,
                row.cases,
            )
        CaseStageCount.objects.bulk_create(missing)
        changed += len(missing)
    return changed
