"""Signed checkpoints of the audit chains, kept outside the database.

A checkpoint records, for every chain (``audit.chain_names``, each district's chains too): the
id of its last row, its number of rows and its last hash, with the time and the key id, signed
with HMAC-SHA256 under the audit key (``audit_keys``). Each one is a new JSON file
(``checkpoint-<UTC time>.json``), never changed nor deleted by the application: in
``AUDIT_CHECKPOINT_DIR``, or in the Django storage named by ``AUDIT_CHECKPOINT_STORAGE`` (an
object store with a retention lock keeps it out of reach of whoever controls the database
server).

``checkpoint_write`` (the hourly beat task ``audit_checkpoint_write`` and ``manage.py
audit_checkpoint``) first verifies the rows added since the previous checkpoint and refuses to
sign a chain that does not verify. ``audit.audit_verify`` compares every chain with the newest
checkpoint whose signature verifies: a chain cut short, rewound or rewritten before it is named.
What happens after the newest checkpoint is only as safe as the keyed hashes make it (see
docs/access-and-audit.md).
"""

import hashlib
import hmac
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils import timezone

from .audit import chain_family, chain_names, chain_rows, chain_spec, row_hash_matches
from .audit_keys import LEGACY_KEY_ID, UnknownAuditKey, audit_key, audit_key_current
from .models import AuditChainHead

# The pseudo-chain under which verify_audit reports checkpoint problems.
CHECKPOINT_CHAIN = "checkpoint"
PREFIX, SUFFIX = "checkpoint-", ".json"
# In a shared storage (an alias of STORAGES), checkpoints live under this folder.
STORAGE_FOLDER = "audit-checkpoints"
FORMAT = 1


class CheckpointRefused(Exception):
    """The chains do not verify since the previous checkpoint: no checkpoint is signed.
    ``problems`` lists what was found (chain and row named)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems[:5]))
        self.problems = problems


@dataclass
class Checkpoint:
    name: str
    written_at: str
    key_id: str
    # chain name -> {"last_id": int | None, "count": int, "head_hash": str}
    chains: dict


def checkpoint_storage() -> tuple[Storage, str]:
    """Returns the storage checkpoints are written to and the folder inside it."""
    alias = getattr(settings, "AUDIT_CHECKPOINT_STORAGE", "")
    if alias:
        return storages[alias], STORAGE_FOLDER
    return FileSystemStorage(location=str(settings.AUDIT_CHECKPOINT_DIR)), ""


def _path(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def _signature(body: dict, key: bytes) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hmac.new(key, text, hashlib.sha256).hexdigest()


def checkpoint_names() -> list[str]:
    """Every checkpoint file's name, oldest first (names sort by time)."""
    storage, folder = checkpoint_storage()
    try:
        _, files = storage.listdir(folder or ".")
    except FileNotFoundError:
        return []
    return sorted(n for n in files if n.startswith(PREFIX) and n.endswith(SUFFIX))


def checkpoint_read(name: str) -> Checkpoint:
    """Reads and checks one checkpoint; raises ValueError saying why it cannot be trusted."""
    storage, folder = checkpoint_storage()
    with storage.open(_path(folder, name), "rb") as handle:
        raw = handle.read()
    try:
        body = json.loads(raw)
        signature = body.pop("signature")
        key = audit_key(body["key_id"])
    except UnknownAuditKey as exc:
        raise ValueError(f"checkpoint {name}: signed with an unknown key ({exc})") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"checkpoint {name}: unreadable ({type(exc).__name__})") from exc
    if not hmac.compare_digest(str(signature), _signature(body, key)):
        raise ValueError(
            f"checkpoint {name}: signature does not verify (changed, or written without the key)"
        )
    return Checkpoint(
        name=name, written_at=body["written_at"], key_id=body["key_id"], chains=body["chains"]
    )


def checkpoint_latest() -> tuple[Checkpoint | None, list[str]]:
    """Returns the newest checkpoint whose signature verifies (None if there is none) and one
    sentence for each newer checkpoint that could not be trusted."""
    problems = []
    for name in reversed(checkpoint_names()):
        try:
            return checkpoint_read(name), problems
        except ValueError as exc:
            problems.append(str(exc))
    return None, problems


def _chain_since(chain: str, entry: dict | None) -> tuple[dict, list[str]]:
    """Walks the rows of the chain after the checkpoint entry (all rows without one), checks
    their links and keyed hashes, and returns the new entry and the problems found."""
    spec = chain_spec(chain)
    last_id = entry["last_id"] if entry else None
    count = entry["count"] if entry else 0
    head_hash = entry["head_hash"] if entry else ""
    problems = []
    rows = chain_rows(chain).order_by("pk")
    if last_id is not None:
        rows = rows.filter(pk__gt=last_id)
    for row in rows.iterator(chunk_size=2000):
        pk = row.pk
        if getattr(row, spec.prev) != head_hash:
            problems.append(f"{chain} {pk}: inserted or removed (does not follow row {last_id})")
        try:
            if not row_hash_matches(chain, row, getattr(row, spec.hash)):
                problems.append(f"{chain} {pk}: altered (hash mismatch)")
        except UnknownAuditKey:
            problems.append(f"{chain} {pk}: signed with an unknown key")
        if (entry or chain_family(chain) != chain) and getattr(row, spec.key) == LEGACY_KEY_ID:
            problems.append(f"{chain} {pk}: forged (an unkeyed row after the checkpoint)")
        last_id, count, head_hash = pk, count + 1, getattr(row, spec.hash)
    head = AuditChainHead.objects.filter(chain=chain).first()
    head_state = (head.last_hash, head.count) if head else ("", 0)
    if head_state != (head_hash, count):
        problems.append(
            f"{chain}: the chain head ({head_state[1]} rows) does not match the chain ({count} "
            f"rows, ending at row {last_id})"
        )
    return {"last_id": last_id, "count": count, "head_hash": head_hash}, problems


def checkpoint_write() -> Checkpoint:
    """Verifies the rows added since the newest valid checkpoint, then writes and returns a new
    signed checkpoint of every chain. Raises ``CheckpointRefused`` (nothing written) when a
    chain does not verify, and ImproperlyConfigured without an audit key."""
    key_id, key = audit_key_current()
    previous, _ = checkpoint_latest()
    chains, problems = {}, []
    for chain in chain_names():
        entry = previous.chains.get(chain) if previous else None
        chains[chain], found = _chain_since(chain, entry)
        problems += found
    if problems:
        raise CheckpointRefused(problems)
    now = timezone.now()
    body = {
        "format": FORMAT,
        "written_at": now.isoformat(),
        "key_id": key_id,
        "previous": previous.name if previous else "",
        "chains": chains,
    }
    name = f"{PREFIX}{now:%Y%m%dT%H%M%S%f}Z{SUFFIX}"
    storage, folder = checkpoint_storage()
    path = _path(folder, name)
    if storage.exists(path):
        raise CheckpointRefused([f"checkpoint {name} already exists; try again"])
    document = json.dumps({**body, "signature": _signature(body, key)}, indent=1, sort_keys=True)
    storage.save(path, ContentFile(document.encode("utf-8")))
    return Checkpoint(name=name, written_at=body["written_at"], key_id=key_id, chains=chains)
