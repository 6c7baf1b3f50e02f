"""The base of every simple-history model of ``ncii_cases``: each history row is a link of a
keyed hash chain per history table (``audit``), so that a history row rewritten, inserted or
deleted behind the application's back is detected by ``verify_audit``.

Only the three chain columns live here; the hashing and the chain itself are in ``audit``.
``bulk_history_create`` bypasses ``save`` and would leave rows unchained: the application does
not use it (the benchmark seeder chains its rows itself).
"""

from django.db import models


class AuditedHistoryModel(models.Model):
    ncii_prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    ncii_hash = models.CharField(max_length=64, blank=True, editable=False)
    ncii_key_id = models.CharField(max_length=32, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        """Inserts the history row as the next link of its table's chain."""
        if self._state.adding:
            from .audit import history_row_append

            history_row_append(self, lambda: super(AuditedHistoryModel, self).save(*args, **kwargs))
        else:
            super().save(*args, **kwargs)
