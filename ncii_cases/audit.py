"""The tamper-evident audit record: the case timeline (``CaseEvent``), the access log
(``AccessEvent``), the change history of every case-data model (the simple-history tables of
``ncii_cases``) and the stored verification runs (``AuditVerification``), each a keyed hash chain.

Every service calls ``case_event_record`` inside its own transaction, so that a change and its
event row commit or fail together; views record reads through ``ncii_cases.access_log``, which
calls ``access_event_record``; simple-history writes its rows through
``history_chain.AuditedHistoryModel.save``. Each row stores the previous row's hash, the id of
the key it is signed with and the HMAC-SHA256 of its own canonical content (which includes that
previous hash) under that key (``audit_keys``: the key is held outside the database). Appends
lock the chain's head row (``AuditChainHead``), so concurrent transactions line up instead of
forking the chain.

The case timeline and the access log are chained per district (``case_event.d<id>``,
``access_event.d<id>``, and ``access_event.installation`` for entries of no district), so that
requests of different districts never wait on one head row. A row's chain follows from hashed
content (the access entry's ``district_id``; the event's case, whose district is fixed), so a
row moved between chains breaks both. The rows written before the split stay in the closed
installation-wide chains ``case_event`` and ``access_event`` (ids up to the head's
``closed_at_id``), verified exactly as before: nothing of them was re-signed or rewritten
(migration 0022).

``chain_verify`` walks a chain in id order and names the rows that were altered, inserted or
removed, and compares the chain with the latest signed checkpoint kept outside the database
(``audit_checkpoints``), which catches a chain cut short, rewound or rewritten whole.
``current_rows_verify`` compares each case-data row with its latest history row, which
catches an edit that bypassed the application. On PostgreSQL the application connects as a
role that may only SELECT and INSERT on these tables (``manage.py db_app_role``), and a
trigger refuses UPDATE and DELETE on the event tables even to the owner (migration 0003_audit).
See docs/access-and-audit.md for the threat model.
"""

import dataclasses
import datetime as dt
import decimal
import enum
import functools
import hashlib
import hmac
import ipaddress
import json
import uuid
from dataclasses import dataclass, field
from functools import cache

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.migrations.operations import AddField
from django.db.models import Max, Subquery
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from .analytics_facts import case_facts_mark_stale
from .audit_keys import LEGACY_KEY_ID, UnknownAuditKey, audit_key, audit_key_current
from .models import AccessEvent, AuditChainHead, AuditVerification, Case, CaseEvent

CASE_EVENT_CHAIN = "case_event"
ACCESS_EVENT_CHAIN = "access_event"
VERIFICATION_CHAIN = "verification"
# The two families chained per district; their own names are the closed chains of the rows
# written before the split. Access entries of no district are chained in ".installation".
DISTRICT_CHAINED = (CASE_EVENT_CHAIN, ACCESS_EVENT_CHAIN)
INSTALLATION_PART = "installation"
# History chains are named after their table's model: "history.historicalcase".
HISTORY_CHAIN_PREFIX = "history."

# The content each row's hash covers, in addition to ``prev_hash`` (and, for keyed rows, the key
# id). The id is left out on purpose: it is assigned by the database after the hash is computed;
# a row's place in the chain is fixed by ``prev_hash`` instead.
HASHED_FIELDS = {
    CASE_EVENT_CHAIN: (
        "case_id",
        "actor_id",
        "event_type",
        "from_stage",
        "to_stage",
        "reason",
        "detail",
        "created_at",
    ),
    ACCESS_EVENT_CHAIN: (
        "user_id",
        "username",
        "district_id",
        "case_id",
        "action",
        "path",
        "method",
        "allowed",
        "ip_address",
        "user_agent",
        "created_at",
    ),
    VERIFICATION_CHAIN: (
        "started_at",
        "finished_at",
        "source",
        "requested_by_id",
        "ok",
        "rows",
        "problem_count",
        "problems",
    ),
}
# The history model's own columns that are not content: the id is assigned by the database
# and the chain columns hold the hash.
HISTORY_UNHASHED = {"history_id", "ncii_prev_hash", "ncii_hash", "ncii_key_id"}


@dataclass(frozen=True)
class ChainSpec:
    """One chain: its model, the attributes its hash covers and where the hash is kept."""

    name: str
    model: type
    fields: tuple[str, ...]
    prev: str = "prev_hash"
    hash: str = "row_hash"
    key: str = "key_id"
    # The model whose current rows the chain's history rows describe (history chains only).
    tracked: type | None = None
    # History chains: each field's default. A field holding its default is left out of the
    # hashed content, so a column added later (holding its default in older rows) does not
    # change the hash of rows written before it existed.
    defaults: tuple = ()
    # History chains: the value a column added later holds in rows written before it existed
    # (``_field_fill``), for the verifier's second reading of a row (``row_hash_matches``).
    fills: tuple = ()

    @property
    def title(self) -> str:
        if self.tracked is not None:
            return f"Change history of {self.tracked._meta.verbose_name_plural}"
        title = {
            CASE_EVENT_CHAIN: "Case timeline",
            ACCESS_EVENT_CHAIN: "Access log",
            VERIFICATION_CHAIN: "Verification runs",
        }[chain_family(self.name)]
        if self.name in DISTRICT_CHAINED:
            return f"{title} (installation-wide, before per-district chains)"
        part = chain_district(self.name)
        if part is None and self.name != chain_family(self.name):
            return f"{title} (no district)"
        return f"{title} of district {part}" if part is not None else title


def history_models() -> list[type]:
    """The simple-history models whose rows are chained: every history table of ncii_cases."""
    from .history_chain import AuditedHistoryModel

    return sorted(
        (
            m
            for m in apps.get_app_config("ncii_cases").get_models()
            if issubclass(m, AuditedHistoryModel)
        ),
        key=lambda m: m._meta.model_name,
    )


def history_chain_name(history_model) -> str:
    return HISTORY_CHAIN_PREFIX + history_model._meta.model_name


@cache
def chain_specs() -> dict[str, ChainSpec]:
    """Every audit chain by name, in verification order."""
    specs = {
        CASE_EVENT_CHAIN: ChainSpec(CASE_EVENT_CHAIN, CaseEvent, HASHED_FIELDS[CASE_EVENT_CHAIN]),
        ACCESS_EVENT_CHAIN: ChainSpec(
            ACCESS_EVENT_CHAIN, AccessEvent, HASHED_FIELDS[ACCESS_EVENT_CHAIN]
        ),
    }
    for model in history_models():
        name = history_chain_name(model)
        concrete = [f for f in model._meta.concrete_fields if f.attname not in HISTORY_UNHASHED]
        specs[name] = ChainSpec(
            name,
            model,
            tuple(f.attname for f in concrete),
            defaults=tuple(_field_default(f) for f in concrete),
            fills=tuple(_field_fill(f) for f in concrete),
            prev="ncii_prev_hash",
            hash="ncii_hash",
            key="ncii_key_id",
            tracked=model.instance_type,
        )
    specs[VERIFICATION_CHAIN] = ChainSpec(
        VERIFICATION_CHAIN, AuditVerification, HASHED_FIELDS[VERIFICATION_CHAIN]
    )
    return specs


def chain_family(chain: str) -> str:
    """The family of a per-district chain ("access_event.d3" → "access_event"); any other
    chain's own name."""
    family, _, part = chain.partition(".")
    return family if family in DISTRICT_CHAINED and part else chain


def chain_district(chain: str) -> int | None:
    """The district id of a per-district chain ("case_event.d3" → 3); None otherwise."""
    family, _, part = chain.partition(".")
    if family in DISTRICT_CHAINED and part.startswith("d") and part[1:].isdigit():
        return int(part[1:])
    return None


def district_chain_name(family: str, district_id: int | None) -> str:
    """The chain of ``family`` (``CASE_EVENT_CHAIN`` or ``ACCESS_EVENT_CHAIN``) for a district
    (None: the access log's entries of no district)."""
    return f"{family}.{INSTALLATION_PART if district_id is None else f'd{district_id}'}"


def chain_spec(chain: str) -> ChainSpec:
    """The spec of any chain by name, per-district chains included. KeyError if unknown."""
    specs = chain_specs()
    if chain in specs:
        return specs[chain]
    family = chain_family(chain)
    part = chain.partition(".")[2]
    if family != chain and (part == INSTALLATION_PART or chain_district(chain) is not None):
        if family == CASE_EVENT_CHAIN and part == INSTALLATION_PART:
            raise KeyError(chain)  # every event has a case, hence a district
        return dataclasses.replace(specs[family], name=chain)
    raise KeyError(chain)


def closed_chain_last_id(family: str) -> int:
    """The id up to which the rows of ``family`` belong to its closed installation-wide chain
    (0 when it had none)."""
    head = AuditChainHead.objects.filter(chain=family).only("closed_at_id").first()
    return (head.closed_at_id or 0) if head else 0


def chain_rows(chain: str):
    """The rows of a chain, as an unordered queryset of its model (every row of the table for
    a chain that is not split by district)."""
    spec = chain_spec(chain)
    rows = spec.model._base_manager.all()
    family = chain_family(chain)
    if family not in DISTRICT_CHAINED:
        return rows
    boundary = closed_chain_last_id(family)
    if chain == family:
        return rows.filter(pk__lte=boundary)
    rows = rows.filter(pk__gt=boundary)
    field = "district_id" if family == ACCESS_EVENT_CHAIN else "case__district_id"
    district_id = chain_district(chain)
    if district_id is None:
        return rows.filter(**{f"{field}__isnull": True})
    return rows.filter(**{field: district_id})


def chain_names() -> list[str]:
    """Every chain to verify, in verification order: each family's closed chain followed by
    its chain for every district (and, for the access log, for entries of no district)."""
    from .models import District

    district_ids = list(District.objects.order_by("pk").values_list("pk", flat=True))
    names = []
    for name in chain_specs():
        names.append(name)
        if name in DISTRICT_CHAINED:
            names += [district_chain_name(name, d) for d in district_ids]
            if name == ACCESS_EVENT_CHAIN:
                names.append(district_chain_name(name, None))
    return names


def canonical_value(value):
    """A value as hashed: timestamps in UTC ISO 8601, dates ISO, decimals and UUIDs as text,
    a file by its name; everything else as JSON would write it."""
    if isinstance(value, enum.Enum):
        return canonical_value(value.value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def _canonical_ip(value):
    if not value:
        return None
    try:
        return ipaddress.ip_address(value).compressed
    except ValueError:
        return value


_NO_DEFAULT = object()


def _field_default(field):
    """The value a column added later would hold in older rows: its fixed default, NULL for a
    nullable column without one; otherwise nothing (the field is always hashed)."""
    if field.has_default():
        return _NO_DEFAULT if callable(field.default) else canonical_value(field.get_default())
    return None if field.null else _NO_DEFAULT


def _field_fill(field):
    """The value a column added later holds in the rows written before it: its default
    (called, for a callable such as ``list``), NULL for a nullable column, "" for a text
    column added with a one-off empty default; nothing otherwise (the field is always
    hashed)."""
    if field.has_default():
        return canonical_value(field.get_default())
    if field.null:
        return None
    if isinstance(field, models.CharField | models.TextField):
        return ""
    return _NO_DEFAULT


def _content_text(
    spec: ChainSpec, row, *, legacy: bool, absent: frozenset[str] = frozenset()
) -> bytes:
    """The row's canonical JSON. ``absent``: columns left out where they hold their fill value
    (``_field_fill``), as in rows hashed before those columns existed."""
    if spec.defaults:
        content = {}
        fills = spec.fills or spec.defaults
        for name, default, fill in zip(spec.fields, spec.defaults, fills, strict=True):
            value = canonical_value(getattr(row, name, default))
            if value == default and value.__class__ is default.__class__:
                continue
            if name in absent and value == fill and value.__class__ is fill.__class__:
                continue
            content[name] = value
    else:
        content = {name: canonical_value(getattr(row, name)) for name in spec.fields}
    if "ip_address" in content:
        content["ip_address"] = _canonical_ip(content["ip_address"])
    content["prev_hash"] = getattr(row, spec.prev)
    if not legacy:
        content["key_id"] = getattr(row, spec.key)
    text = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
    )
    return text.encode("utf-8")


def row_hash_compute(chain: str, row) -> str:
    """Returns the hash (hex) of the row's canonical JSON: its hashed fields, its previous
    hash and its key id, sorted keys, timestamps in UTC ISO 8601. For a row signed with a key:
    HMAC-SHA256 under the key its key id names; for a row of ``LEGACY_KEY_ID`` (chained before
    keys existed): plain SHA-256 of the content without the key id.

    ``row`` is a model instance or any object with the same attributes. Raises
    ``UnknownAuditKey`` when the row's key id is not configured."""
    spec = chain_spec(chain)
    # A row without the attribute is one of migration 0003's, before keys existed.
    key_id = getattr(row, spec.key, LEGACY_KEY_ID)
    if key_id == LEGACY_KEY_ID:
        return hashlib.sha256(_content_text(spec, row, legacy=True)).hexdigest()
    key = audit_key(key_id)
    return hmac.new(key, _content_text(spec, row, legacy=False), hashlib.sha256).hexdigest()


# The migration that first chained the history tables (0012): a column added to a history
# table after it was absent from the rows hashed before.
CHAINED_SINCE = ("ncii_cases", "0012_audit_keys_history_chain")


@functools.cache
def _columns_added_since_chained() -> dict[str, list[frozenset[str]]]:
    """For each history model (by model name), the columns added after its rows were first
    chained, as one set per migration that added some, oldest first. Read once from the
    migration files (``AddField`` operations after ``CHAINED_SINCE``)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaves = [node for node in loader.graph.leaf_nodes() if node[0] == "ncii_cases"]
    plan = loader.graph.forwards_plan(leaves[-1]) if leaves else []
    after = plan[plan.index(CHAINED_SINCE) + 1 :] if CHAINED_SINCE in plan else []
    added: dict[str, list[frozenset[str]]] = {}
    for node in after:
        if node[0] != "ncii_cases":
            continue
        by_model: dict[str, set[str]] = {}
        for operation in loader.graph.nodes[node].operations:
            if isinstance(operation, AddField):
                # The hashed content names columns (a foreign key's "<name>_id").
                names = {operation.name, f"{operation.name}_id"}
                by_model.setdefault(operation.model_name_lower, set()).update(names)
        for model_name, names in by_model.items():
            added.setdefault(model_name, []).append(frozenset(names))
    return added


def row_hash_matches(chain: str, row, stored: str) -> bool:
    """Whether ``stored`` is the row's hash: as ``row_hash_compute`` computes it, or, for a
    history row written before some columns were added, as it was computed then: each
    reading leaves out the columns added by one migration and every later one, where they
    hold the value an added column is filled with (``_field_fill``: "", NULL, an empty list).
    A value that differs from that fill is never left out, so a changed value fails every
    reading. Raises ``UnknownAuditKey`` as ``row_hash_compute`` does."""
    if row_hash_compute(chain, row) == stored:
        return True
    spec = chain_spec(chain)
    if not spec.fills:
        return False
    epochs = _columns_added_since_chained().get(spec.model._meta.model_name, [])
    key_id = getattr(row, spec.key, LEGACY_KEY_ID)
    for first in range(len(epochs)):
        later = frozenset().union(*epochs[first:])
        content = _content_text(spec, row, legacy=key_id == LEGACY_KEY_ID, absent=later)
        if key_id == LEGACY_KEY_ID:
            digest = hashlib.sha256(content).hexdigest()
        else:
            digest = hmac.new(audit_key(key_id), content, hashlib.sha256).hexdigest()
        if hmac.compare_digest(digest, stored):
            return True
    return False


def row_sign(chain: str, row, prev_hash: str, key_id: str | None = None) -> str:
    """Links the row after ``prev_hash`` and signs it with the current key (or ``key_id``):
    sets its previous hash, key id and hash, and returns the hash."""
    spec = chain_spec(chain)
    if key_id is None:
        key_id, _ = audit_key_current()
    setattr(row, spec.prev, prev_hash)
    setattr(row, spec.key, key_id)
    setattr(row, spec.hash, row_hash_compute(chain, row))
    return getattr(row, spec.hash)


class ChainClosed(RuntimeError):
    """An append to a closed chain (the installation-wide chains before the per-district
    split): a programming error, never a user's."""


def _chain_head_lock(chain: str) -> AuditChainHead:
    """Locks the chain's head row (creating it on the chain's first append) for the rest of
    the transaction. Only appends to the same chain wait on it."""
    # The closed chains are exactly the two installation-wide ones (migration 0022), known by
    # name; the head is read without ``closed_at_id`` so that appends work on any schema the
    # migrations pass through.
    if chain in DISTRICT_CHAINED:
        raise ChainClosed(f"The audit chain {chain} is closed; append to a district's chain.")
    head, _ = (
        AuditChainHead.objects.select_for_update()
        .only("chain", "last_hash", "count")
        .get_or_create(chain=chain)
    )
    return head


def _chain_append(chain: str, row, save=None):
    """Links the unsaved row to the end of its chain, saves it (``save()``, or the row's own
    ``save(force_insert=True)``) and moves the head. The row's id is assigned while the head is
    locked, so id order is chain order."""
    key_id, _ = audit_key_current()
    # No savepoint: a failure marks the caller's transaction for rollback, and the lock, the
    # row and the head's move commit or fail together.
    with transaction.atomic(savepoint=False):
        head = _chain_head_lock(chain)
        row_sign(chain, row, head.last_hash, key_id)
        if save is None:
            row.save(force_insert=True)
        else:
            save()
        head.last_hash = getattr(row, chain_spec(chain).hash)
        head.count += 1
        head.save(update_fields=["last_hash", "count"])
    return row


def history_row_append(row, save) -> None:
    """Chains one simple-history row (called by ``AuditedHistoryModel.save``)."""
    _chain_append(history_chain_name(type(row)), row, save)


def _json_plain(detail: dict | None) -> dict:
    # The stored JSON is what gets hashed again on verification, so hash exactly that.
    return json.loads(json.dumps(detail or {}, cls=DjangoJSONEncoder))


def case_event_record(
    *,
    case: Case,
    actor,
    event_type: str,
    from_stage: str = "",
    to_stage: str = "",
    reason: str = "",
    detail: dict | None = None,
) -> CaseEvent:
    """Appends one event to the case's timeline (and to the hash chain) and returns it."""
    event = CaseEvent(
        case=case,
        actor=actor if getattr(actor, "pk", None) else None,
        event_type=event_type,
        from_stage=from_stage,
        to_stage=to_stage,
        reason=reason,
        detail=_json_plain(detail),
        created_at=timezone.now(),
    )
    saved = _chain_append(district_chain_name(CASE_EVENT_CHAIN, case.district_id), event)
    # Every change of a case writes an event: its analytics facts are worked out again
    # before figures are next read (``analytics_facts``).
    case_facts_mark_stale([case])
    return saved


def case_events_record_many(events: list[CaseEvent]) -> list[CaseEvent]:
    """Appends the unsaved events to their districts' case-event chains, in the given order
    within each district: one lock of each district's head (taken in district id order, so
    two such calls cannot deadlock) and one INSERT per district. Returns the events saved, in
    the given order. For background work that records many events at once (reminders); each
    event is signed exactly as ``case_event_record`` signs one, and the ids, assigned while
    the district's head is locked, follow its chain order. Nothing is written if any insert
    fails (the caller's transaction rolls back). Unlike ``case_event_record`` it marks no
    analytics facts stale: the system's own events (reminders, without an actor) change
    nothing that analytics count."""
    if not events:
        return []
    key_id, _ = audit_key_current()
    now = timezone.now()
    by_district: dict[int, list[CaseEvent]] = {}
    for event in events:
        event.detail = _json_plain(event.detail)
        event.created_at = event.created_at or now
        by_district.setdefault(event.case.district_id, []).append(event)
    with transaction.atomic(savepoint=False):
        for district_id in sorted(by_district):
            chain = district_chain_name(CASE_EVENT_CHAIN, district_id)
            group = by_district[district_id]
            head = _chain_head_lock(chain)
            last = head.last_hash
            for event in group:
                last = row_sign(chain, event, last, key_id)
            CaseEvent.objects.bulk_create(group)
            head.last_hash = last
            head.count += len(group)
            head.save(update_fields=["last_hash", "count"])
    return events


def access_event_record(
    *,
    user,
    action: str,
    path: str,
    allowed: bool,
    method: str = "GET",
    case: Case | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
    district_id: int | None = None,
) -> AccessEvent:
    """Appends one entry to the access log: who, what, when, from where, and whether it was
    allowed. ``case`` is set only for allowed reads, so that a refusal never links a user's
    district log to a case of somebody else. ``district_id`` files the entry in another
    district's log than the user's: an account change is logged in the account's district, so
    that its auditor and coordinator see what IT did to their accounts."""
    authenticated = getattr(user, "is_authenticated", False)
    if district_id is None and authenticated:
        district_id = getattr(user, "district_id", None)
    event = AccessEvent(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        district_id=district_id,
        case=case,
        action=action,
        path=path[:500],
        method=method[:10],
        allowed=allowed,
        ip_address=_canonical_ip(ip_address),
        user_agent=user_agent[:300],
        created_at=timezone.now(),
    )
    return _chain_append(district_chain_name(ACCESS_EVENT_CHAIN, district_id), event)


@dataclass
class ChainReport:
    """What one chain's verification found. ``problems`` are sentences naming the chain and the
    row; ``problem_rows`` the id of the row each names, in the same order (None for the chain's
    end)."""

    chain: str
    title: str = ""
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    problem_rows: list[int | None] = field(default_factory=list)
    # The checkpoint the chain was compared with ("" when there was none for it).
    checkpoint: str = ""

    def problem(self, pk: int | None, text: str) -> None:
        self.problems.append(text)
        self.problem_rows.append(pk)

    @property
    def ok(self) -> bool:
        return not self.problems


def chain_verify(chain: str, checkpoint=None) -> ChainReport:
    """Walks the chain in id order, one streamed query, and returns what does not add up,
    first problem first:

    - a row whose content no longer matches its keyed hash (altered, or forged without the key),
      or that names a key that is not configured;
    - an unkeyed (legacy) row after keyed rows, or in a district's chain (forged: only rows
      older than the keys are unkeyed);
    - a row whose previous hash is not the previous row's hash (a row inserted or removed
      before it, or rows reordered);
    - an end of chain that differs from the head (rows inserted or removed at the end);
    - with ``checkpoint`` (``audit_checkpoints.Checkpoint``): a chain shorter than the
      checkpoint recorded, or whose row at the checkpoint's position is not the row it recorded
      (truncated, rewound, rewritten whole, or rows inserted before it)."""
    spec = chain_spec(chain)
    report = ChainReport(chain=chain, title=spec.title)
    entry = checkpoint.chains.get(chain) if checkpoint else None
    if entry is not None:
        report.checkpoint = checkpoint.name
    previous_hash, previous_pk = "", None
    position_of_head = None
    seen_keyed = False
    # A district's chain began long after the keys: no row of it may be unkeyed.
    split = chain_family(chain) != chain
    head = AuditChainHead.objects.filter(chain=chain).first()
    rows = chain_rows(chain).order_by("pk").iterator(chunk_size=2000)
    for row in rows:
        report.rows += 1
        pk, row_hash, key_id = row.pk, getattr(row, spec.hash), getattr(row, spec.key)
        if getattr(row, spec.prev) != previous_hash:
            after = f"row {previous_pk}" if previous_pk else "the start of the chain"
            report.problem(
                pk,
                f"{chain} {pk}: inserted or removed (prev_hash does not match previous "
                f"row: {after})",
            )
        try:
            if not row_hash_matches(chain, row, row_hash):
                report.problem(pk, f"{chain} {pk}: altered (hash mismatch)")
        except UnknownAuditKey:
            report.problem(pk, f"{chain} {pk}: signed with an unknown key ({key_id or 'none'})")
        if key_id == LEGACY_KEY_ID and (seen_keyed or split):
            report.problem(pk, f"{chain} {pk}: forged (an unkeyed row after keyed rows)")
        seen_keyed = seen_keyed or key_id != LEGACY_KEY_ID
        if head is not None and row_hash == head.last_hash and position_of_head is None:
            position_of_head = report.rows
        elif position_of_head is not None:
            report.problem(pk, f"{chain} {pk}: inserted (after the chain head's last row)")
        at_checkpoint = entry is not None and report.rows == entry["count"]
        if at_checkpoint and (pk != entry["last_id"] or row_hash != entry["head_hash"]):
            report.problem(
                pk,
                f"{chain} {pk}: does not match the checkpoint {checkpoint.name} (it recorded "
                f"row {entry['last_id']} as row number {entry['count']}, hash "
                f"{entry['head_hash'][:12]}): rows before it were removed, inserted or "
                "rewritten",
            )
        previous_hash, previous_pk = row_hash, pk
    expected = head.count if head else 0
    if position_of_head is None and (expected or report.rows):
        last = f"row {previous_pk}" if previous_pk else "no rows left"
        report.problem(
            None,
            f"{chain}: removed at the end (the head expects {expected} rows ending in "
            f"{(head.last_hash if head else '')[:12] or 'nothing'}; the chain ends at {last})",
        )
    elif position_of_head is not None and position_of_head != expected:
        report.problem(
            None,
            f"{chain}: {expected} rows expected up to the head, {position_of_head} found "
            "(rows inserted or removed)",
        )
    if entry is not None and report.rows < entry["count"]:
        last = f"row {previous_pk}" if previous_pk else "no rows left"
        report.problem(
            entry["last_id"],
            f"{chain} {entry['last_id']}: removed (cut short: the checkpoint {checkpoint.name} "
            f"recorded {entry['count']} rows up to row {entry['last_id']}; the chain has "
            f"{report.rows}, ending at {last})",
        )
    return report


def _merge_by_id(current, latest):
    """Pairs two iterators of tuples sorted by their first item (an id): yields
    ``(id, current tuple or None, latest tuple or None)``."""
    a, b = next(current, None), next(latest, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            yield a[0], a, None
            a = next(current, None)
        elif a is None or b[0] < a[0]:
            yield b[0], None, b
            b = next(latest, None)
        else:
            yield a[0], a, b
            a, b = next(current, None), next(latest, None)


def current_rows_verify(chain: str, report: ChainReport) -> None:
    """Compares every current row of the history chain's model with its latest history row,
    field by tracked field, and adds a problem (naming the row and its latest history row) for
    a row changed, created or deleted without a history row: an edit that bypassed the
    application. Two streamed queries, merged by id."""
    spec = chain_specs()[chain]
    history, model = spec.model, spec.tracked
    names = [f.attname for f in history.tracked_fields]
    label = model._meta.model_name
    current = model._base_manager.order_by("pk").values_list("pk", *names)
    latest_ids = history.objects.values("id").annotate(last=Max("history_id")).values("last")
    latest = (
        history.objects.filter(history_id__in=Subquery(latest_ids))
        .order_by("id")
        .values_list("id", *names, "history_id", "history_type")
    )
    width = len(names)
    for pk, now, last in _merge_by_id(
        current.iterator(chunk_size=2000), latest.iterator(chunk_size=2000)
    ):
        if last is None:
            report.problem(
                None,
                f"{chain}: {label} {pk} has no history row (written outside the application)",
            )
            continue
        history_id, history_type = last[width + 1], last[width + 2]
        if now is None:
            if history_type != "-":
                report.problem(
                    history_id,
                    f"{chain} {history_id}: {label} {pk} was deleted outside the application "
                    "(its history has no deletion)",
                )
            continue
        if history_type == "-":
            report.problem(
                history_id,
                f"{chain} {history_id}: {label} {pk} exists although its history says it was "
                "deleted",
            )
            continue
        changed = [
            name
            for name, a, b in zip(names, now[1:], last[1 : width + 1], strict=True)
            if canonical_value(a) != canonical_value(b)
        ]
        if changed:
            report.problem(
                history_id,
                f"{chain} {history_id}: {label} {pk} differs from its latest history row "
                f"({', '.join(changed)}): changed outside the application",
            )


def audit_verify() -> list[ChainReport]:
    """Verifies every audit chain against the latest valid checkpoint, and every case-data
    row against its latest history row. A checkpoint whose signature does not verify is
    reported as a problem of its own (chain ``checkpoint``) and the newest valid one is used."""
    from .audit_checkpoints import CHECKPOINT_CHAIN, checkpoint_latest

    checkpoint, checkpoint_problems = checkpoint_latest()
    reports = []
    if checkpoint_problems:
        report = ChainReport(chain=CHECKPOINT_CHAIN, title="Checkpoints")
        for text in checkpoint_problems:
            report.problem(None, text)
        reports.append(report)
    names = chain_names()
    for chain in names:
        report = chain_verify(chain, checkpoint)
        if chain_spec(chain).tracked is not None:
            current_rows_verify(chain, report)
        reports.append(report)
    if checkpoint is not None:
        known = set(names)
        for chain, entry in checkpoint.chains.items():
            if chain not in known:
                report = ChainReport(chain=chain, title=chain)
                report.problem(
                    entry["last_id"],
                    f"{chain}: recorded in the checkpoint {checkpoint.name} but no longer exists",
                )
                reports.append(report)
    return reports


# How many problems of each chain a stored verification keeps: enough to find where
# tampering starts (the command prints them all).
VERIFICATION_PROBLEMS_KEPT = 200


def audit_verification_run(*, source: str, requested_by=None) -> AuditVerification:
    """Verifies every chain, stores the run as an ``AuditVerification`` (itself a row of the
    keyed ``verification`` chain, so that a forged "ok" does not verify) and returns it with
    the full reports (``run.reports``) for callers that print every problem."""
    started = timezone.now()
    reports = audit_verify()
    problems = [
        {"chain": r.chain, "row": pk, "text": text}
        for r in reports
        for pk, text in list(zip(r.problem_rows, r.problems, strict=True))[
            :VERIFICATION_PROBLEMS_KEPT
        ]
    ]
    run = AuditVerification(
        started_at=started,
        finished_at=timezone.now(),
        source=source,
        requested_by=requested_by if getattr(requested_by, "pk", None) else None,
        ok=all(r.ok for r in reports),
        rows=_json_plain({r.chain: r.rows for r in reports}),
        problem_count=sum(len(r.problems) for r in reports),
        problems=_json_plain(problems),
    )
    _chain_append(VERIFICATION_CHAIN, run)
    run.reports = reports
    return run


def verification_is_genuine(run: AuditVerification) -> bool:
    """Whether the stored run carries a valid keyed hash: False for a row written or changed
    by someone without the key (a forged "ok")."""
    try:
        return row_hash_compute(VERIFICATION_CHAIN, run) == run.row_hash
    except UnknownAuditKey:
        return False
