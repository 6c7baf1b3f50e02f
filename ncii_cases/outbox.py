"""The notification outbox: a notification is a row written in the transaction of the change
that causes it, and handed to Celery after the commit.

Why: publishing from an on-commit hook while the broker (Redis) is down used to hold the
request for the broker's timeouts and then answer 500, although the change was saved, and the
notification was lost. Now the change commits with its outbox row; right after the commit one
publish is tried with short timeouts (``CELERY_TASK_PUBLISH_RETRY_POLICY``); if the broker does
not answer, the row stays pending and ``tasks.notifications_relay`` (on the beat, every
minute) hands it over once the broker is back. Publishing is at least once: a task that runs
twice sends its notice twice at worst, never zero times.

Rows carry a task name and ids, never personal data.
"""

import importlib
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

logger = logging.getLogger(__name__)

# Relay this many pending rows per beat run at most (the rest wait for the next run).
RELAY_BATCH = 200


@dataclass
class OutboxTicket:
    """What the caller of ``notification_enqueue`` learns after the commit: ``delayed`` is
    False once the row was published, True when the broker did not answer (the row waits for
    the beat relay), and None while the transaction has not committed yet."""

    row_id: int
    delayed: bool | None = None


def _broker_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError

    try:
        import redis.exceptions as redis_errors

        return (OperationalError, redis_errors.RedisError, OSError)
    except ImportError:  # pragma: no cover (redis is a dependency of the broker)
        return (OperationalError, OSError)


def _task(name: str):
    module, _, attribute = name.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def notification_enqueue(*, task: str, args: list, case=None) -> OutboxTicket:
    """Writes an outbox row for the Celery task ``task`` (dotted path) with ``args`` (ids
    only) in the current transaction, and arranges its relay after the commit. Returns a
    ticket whose ``delayed`` the relay sets. Must be called inside ``transaction.atomic``."""
    from .models import NotificationOutbox

    row = NotificationOutbox.objects.create(task=task, args=list(args), case=case)
    ticket = OutboxTicket(row_id=row.pk)

    def relay():
        ticket.delayed = not outbox_relay(row_id=row.pk)

    transaction.on_commit(relay)
    return ticket


def outbox_relay(*, row_id: int) -> bool:
    """Publishes one pending outbox row and marks it relayed; returns False (leaving the row
    pending, with the error recorded) when the broker cannot be reached. A row already relayed,
    or held by another relay at this moment, is left alone and counts as relayed."""
    from .models import NotificationOutbox

    with transaction.atomic():
        row = (
            NotificationOutbox.objects.select_for_update(skip_locked=True)
            .filter(pk=row_id, relayed_at__isnull=True)
            .first()
        )
        if row is None:
            return True
        try:
            # retry=True with the project's publish retry policy: it gives up within seconds.
            _task(row.task).apply_async(args=row.args, retry=True)
        except _broker_errors() as error:
            logger.warning(
                "Outbox row %s stays pending: broker unavailable (%s)", row.pk, type(error)
            )
            NotificationOutbox.objects.filter(pk=row.pk).update(
                attempts=F("attempts") + 1, last_error=type(error).__name__[:300]
            )
            return False
        NotificationOutbox.objects.filter(pk=row.pk).update(
            relayed_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
        )
    return True


def outbox_relay_pending(*, limit: int = RELAY_BATCH) -> int:
    """Relays pending outbox rows, oldest first, and returns how many were published. Stops at
    the first broker failure (the rest wait for the next run)."""
    from .models import NotificationOutbox

    published = 0
    ids = NotificationOutbox.objects.filter(relayed_at__isnull=True).values_list("pk", flat=True)
    for row_id in list(ids[:limit]):
        if not outbox_relay(row_id=row_id):
            break
        published += 1
    return published
