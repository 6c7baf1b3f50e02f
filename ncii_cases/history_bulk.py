"""History rows for rows written in bulk (``bulk_create`` / ``bulk_update``), chained like the
ones ``AuditedHistoryModel.save`` writes one at a time.

simple-history's own ``bulk_create_with_history`` writes its rows with ``bulk_create``, which
bypasses ``save`` and would leave them outside the table's keyed chain (``verify_audit`` would
report them). Here the chain's head is locked once, the rows are signed in order after the
head's last hash, inserted in that order (so history id order is chain order, as
``audit._chain_append`` keeps it), and the head moved: one lock and a few inserts for
thousands of rows, instead of three statements per row.

Only for writes that already run in a transaction (the roster import).
"""

import datetime as dt

from django.db import transaction

from .audit import _chain_head_lock, chain_specs, history_chain_name, row_sign
from .audit_keys import audit_key_current

BATCH = 1000


def history_rows_bulk_append(
    *, model, instances, history_type: str, when: dt.datetime, user=None, reason: str = ""
) -> int:
    """Writes one history row per instance (``history_type``: "+" created, "~" changed,
    "-" deleted) dated ``when`` (aware, UTC) and credited to ``user`` (None: no account), as
    the next links of the model's history chain; returns how many were written. The instances
    must hold their saved values (their ids included). Call inside a transaction."""
    instances = list(instances)
    if not instances:
        return 0
    history = model.history.model
    chain = history_chain_name(history)
    spec = chain_specs()[chain]
    names = [f.attname for f in history.tracked_fields]
    user_id = getattr(user, "pk", None)
    key_id, _ = audit_key_current()
    with transaction.atomic(savepoint=False):
        head = _chain_head_lock(chain)
        last = head.last_hash
        rows = []
        for instance in instances:
            row = history(
                history_date=when,
                history_type=history_type,
                history_user_id=user_id,
                history_change_reason=reason or None,
                **{name: getattr(instance, name) for name in names},
            )
            last = row_sign(chain, row, last, key_id)
            rows.append(row)
        # One statement per batch, rows in chain order: the database gives increasing ids.
        history.objects.bulk_create(rows, batch_size=BATCH)
        head.last_hash = getattr(rows[-1], spec.hash)
        head.count += len(rows)
        head.save(update_fields=["last_hash", "count"])
    return len(rows)
