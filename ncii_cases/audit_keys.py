"""The secret keys of the audit chains, held outside the database.

Each chain link is an HMAC-SHA256 under one of these keys (``audit.row_hash_compute``), so that
someone who can write the database but does not hold the key cannot recompute a valid row. The
keys come from settings, which read them from the environment or a file:

- ``AUDIT_HMAC_KEYS``: ``{key id: key}``, every key still needed to verify older rows;
- ``AUDIT_HMAC_KEY_ID``: the id of the key new rows are signed with.

Every row stores the id of its key (``key_id``), so a key can be rotated: add the new key under
a new id, make it current, and keep the old one in ``AUDIT_HMAC_KEYS`` for verification. Rows
written before keys existed carry ``LEGACY_KEY_ID`` and keep their unkeyed SHA-256 (see
``audit``). Nothing here reads settings at import time.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# The key id of rows chained before keyed hashes existed (migration 0007): plain SHA-256.
LEGACY_KEY_ID = "legacy-sha256"
# A key shorter than this (bytes) is refused by the deployment check.
MIN_KEY_BYTES = 32


class UnknownAuditKey(KeyError):
    """A row names a key id that is not configured (``AUDIT_HMAC_KEYS``)."""


def audit_keys() -> dict[str, bytes]:
    """Returns every configured key, by id, as bytes."""
    keys = getattr(settings, "AUDIT_HMAC_KEYS", {}) or {}
    return {str(key_id): _bytes(key) for key_id, key in keys.items() if key}


def audit_key_current() -> tuple[str, bytes]:
    """Returns ``(key id, key)`` that new rows are signed with.

    Raises ImproperlyConfigured when no key is configured: the audit record is not written
    unsigned (production must set ``AUDIT_HMAC_KEY`` or ``AUDIT_HMAC_KEY_FILE``)."""
    key_id = str(getattr(settings, "AUDIT_HMAC_KEY_ID", "") or "")
    key = audit_keys().get(key_id)
    if not key_id or not key:
        raise ImproperlyConfigured(
            "No audit key is configured. Set AUDIT_HMAC_KEY (or AUDIT_HMAC_KEY_FILE) to a "
            "random secret of at least 32 characters, kept outside the database."
        )
    return key_id, key


def audit_key(key_id: str) -> bytes:
    """Returns the key with that id; raises ``UnknownAuditKey`` when it is not configured."""
    key = audit_keys().get(key_id)
    if key is None:
        raise UnknownAuditKey(key_id)
    return key


def _bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")
