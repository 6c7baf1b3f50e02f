"""The tamper-evident audit record: the case timeline (``CaseEvent``) and the access log
(``AccessEvent``), each a hash chain.

Every service calls ``case_event_record`` inside its own transaction, so that a change and its
event row commit or fail together; views record reads through ``ncii_cases.access_log``, which
calls ``access_event_record``. Each row stores the previous row's hash and the SHA-256 of its
own canonical content (which includes that previous hash). Appends lock the chain's head row
(``AuditChainHead``), so concurrent transactions line up instead of forking the chain.

``chain_verify`` walks a chain in id order and names the first rows that were altered,
inserted or removed. The chain makes tampering evident, not impossible: someone who can write
the database directly could rewrite every later hash and the head. On PostgreSQL a trigger
refuses UPDATE and DELETE on both tables (migration 0003_audit).
"""

import datetime as dt
import hashlib
import ipaddress
import json
from dataclasses import dataclass, field

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import AccessEvent, AuditChainHead, Case, CaseEvent

CASE_EVENT_CHAIN = "case_event"
ACCESS_EVENT_CHAIN = "access_event"

# The content each row's hash covers, in addition to ``prev_hash``. The id is left out on
# purpose: it is assigned by the database after the hash is computed; a row's place in the
# chain is fixed by ``prev_hash`` instead.
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
}
CHAIN_MODELS = {CASE_EVENT_CHAIN: CaseEvent, ACCESS_EVENT_CHAIN: AccessEvent}


def _canonical_value(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def _canonical_ip(value):
    if not value:
        return None
    try:
        return ipaddress.ip_address(value).compressed
    except ValueError:
        return value


def row_hash_compute(chain: str, row) -> str:
    """Returns the SHA-256 (hex) of the row's canonical JSON: its hashed fields and
    ``prev_hash``, sorted keys, timestamps in UTC ISO 8601."""
    content = {name: _canonical_value(getattr(row, name)) for name in HASHED_FIELDS[chain]}
    if "ip_address" in content:
        content["ip_address"] = _canonical_ip(content["ip_address"])
    content["prev_hash"] = row.prev_hash
    text = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _chain_head_lock(chain: str) -> AuditChainHead:
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(chain=chain)
    return head


def _chain_append(chain: str, row):
    """Links the unsaved row to the end of its chain, saves it and moves the head. Call inside
    a transaction: the head stays locked until it commits."""
    head = _chain_head_lock(chain)
    row.prev_hash = head.last_hash
    row.row_hash = row_hash_compute(chain, row)
    row.save(force_insert=True)
    head.last_hash = row.row_hash
    head.count += 1
    head.save(update_fields=["last_hash", "count"])
    return row


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
    with transaction.atomic():
        return _chain_append(CASE_EVENT_CHAIN, event)


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
    with transaction.atomic():
        return _chain_append(ACCESS_EVENT_CHAIN, event)


@dataclass
class ChainReport:
    chain: str
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    # The id of the row each problem names, in the same order (None for the chain's end).
    problem_rows: list[int | None] = field(default_factory=list)

    def problem(self, pk: int | None, text: str) -> None:
        self.problems.append(text)
        self.problem_rows.append(pk)

    @property
    def ok(self) -> bool:
        return not self.problems


def chain_verify(chain: str) -> ChainReport:
    """Walks the chain in id order and returns what does not add up, first problem first:
    a row whose content no longer matches its hash (altered), a row whose ``prev_hash`` is not
    the previous row's hash (a row inserted or removed before it), and an end of chain that
    differs from the head (rows inserted or removed at the end)."""
    model = CHAIN_MODELS[chain]
    report = ChainReport(chain=chain)
    previous_hash, previous_pk = "", None
    position_of_head = None
    head = AuditChainHead.objects.filter(chain=chain).first()
    for row in model.objects.order_by("pk").iterator(chunk_size=2000):
        report.rows += 1
        if row.prev_hash != previous_hash:
            after = f"row {previous_pk}" if previous_pk else "the start of the chain"
            report.problem(
                row.pk,
                f"{chain} {row.pk}: inserted or removed (prev_hash does not match previous "
                f"row: {after})",
            )
        if row_hash_compute(chain, row) != row.row_hash:
            report.problem(row.pk, f"{chain} {row.pk}: altered (hash mismatch)")
        if head is not None and row.row_hash == head.last_hash and position_of_head is None:
            position_of_head = report.rows
        elif position_of_head is not None:
            report.problem(row.pk, f"{chain} {row.pk}: inserted (after the chain head's last row)")
        previous_hash, previous_pk = row.row_hash, row.pk
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
    return report


def audit_verify() -> list[ChainReport]:
    """Verifies every audit chain."""
    return [chain_verify(chain) for chain in CHAIN_MODELS]


# How many problems of each chain a stored verification keeps: enough to find where
# tampering starts (the command prints them all).
VERIFICATION_PROBLEMS_KEPT = 200


def audit_verification_run(*, source: str, requested_by=None):
    """Verifies every chain, stores the run as an ``AuditVerification`` and returns it with
    the full reports (``run.reports``) for callers that print every problem."""
    from .models import AuditVerification

    started = timezone.now()
    reports = audit_verify()
    problems = [
        {"chain": r.chain, "row": pk, "text": text}
        for r in reports
        for pk, text in list(zip(r.problem_rows, r.problems, strict=True))[
            :VERIFICATION_PROBLEMS_KEPT
        ]
    ]
    run = AuditVerification.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        source=source,
        requested_by=requested_by if getattr(requested_by, "pk", None) else None,
        ok=all(r.ok for r in reports),
        rows={r.chain: r.rows for r in reports},
        problem_count=sum(len(r.problems) for r in reports),
        problems=problems,
    )
    run.reports = reports
    return run
