"""Corrections and withdrawals of a case's records: never a deletion.

A mistake in a record (a party, a measure, an evidence entry, a sanction, a takedown request,
an external report, a notice, a determination, an offer, a document, the harm assessment's
statement) is corrected with a reason, or the record is withdrawn with a reason. Each is one
action: the locked row changes, its version goes up by one, its history row names the actor,
and one ``CaseEvent`` records the reason and, for a correction, each changed field before and
after. A withdrawn record stays on the case page and in the internal PDF, struck through; the
workflow's guards and the report triggers read only the current rows (``.current()``).

Optimistic concurrency: the caller passes the ``version`` it showed the user. A row whose
version has moved on since is refused with ``StaleRecord`` ("Someone changed this since you
opened it"), so a form opened earlier never silently overwrites a newer change, not even in
a field its user did not touch.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import event_details
from ..audit import case_event_record
from ..dates import RULES, dates_check
from ..models import (
    CaseMeasure,
    CaseParty,
    Determination,
    EvidenceItem,
    ExternalReport,
    HarmAssessment,
    ParentNotificationDecision,
    PartyNotice,
    ResolutionOffer,
    Sanction,
    SupportingDocument,
    SupportNotOffered,
    TakedownNotice,
    TakedownRequest,
)
from ..permissions import Action
from .common import require, require_open, stamp

STALE_MESSAGE = (
    "Someone changed this since you opened it. The form now shows the current values: "
    "check them and make your change again if it is still needed."
)


class StaleRecord(ValidationError):
    """The record changed since the form was opened (its version moved on)."""

    def __init__(self, message: str = STALE_MESSAGE):
        super().__init__(message, code="stale")


@dataclass(frozen=True)
class Correctable:
    """What may be corrected of one record type, who may, and its date rule."""

    model: type[models.Model]
    label: str
    fields: tuple[str, ...]
    permission: object  # an Action, or a function of the record returning one
    date_rule: str | None = None
    withdrawable: bool = True
    refresh_reports: bool = False
    # Called with the record once its corrected values are set, before it is saved: derived
    # values are computed again (a takedown's clock, a notice's text and PDF). It may raise
    # ``ValidationError``; nothing is then saved.
    after_change: object = None
    # A check of the corrected record as a whole (``{field: message}`` of what it lacks),
    # for a rule that ties fields together (a delay needs its day).
    check: object = None

    def permission_for(self, record) -> str:
        return self.permission(record) if callable(self.permission) else self.permission

    def date_fields(self) -> set[str]:
        if not self.date_rule:
            return set()
        rule = RULES[self.date_rule]
        return set(rule.past) | {name for pair in rule.ordered for name in pair}


# The fields of the platform's notice (TAKE IT DOWN Act) a coordinator fills in, and may
# correct later; its text and PDF are derived from them. ``takedown_notices.INPUT_FIELDS``.
TAKEDOWN_NOTICE_INPUTS = (
    "authority",
    "authorized_by_name",
    "authorized_on",
    "name_depicted",
    "depicted_name",
    "content_location",
    "statement",
    "signer_name",
    "signer_title",
    "signature",
    "contact_email",
    "contact_phone",
    "contact_address",
)


def _measure_permission(measure) -> str:
    return Action.WORK if measure.kind == CaseMeasure.Kind.INTERIM else Action.SUPPORT


def _notice_permission(notice) -> str:
    return Action.SUPPORT if notice.kind == PartyNotice.Kind.SUPPORT else Action.WORK


def _parent_decision_check(record) -> dict[str, str]:
    from ..permissions import user_can
    from .parents import parent_decision_problems

    errors = parent_decision_problems(
        decision=record.decision,
        delay_until=record.delay_until,
        review_on=record.review_on,
        risks=record.risks,
        explanation=record.explanation,
        student_wishes=record.student_wishes,
    )
    approver = record.approved_by
    if not (
        user_can(approver, Action.TRIAGE, record.case)
        or user_can(approver, Action.DECIDE, record.case)
    ):
        errors["approved_by"] = "The approver must be a coordinator or administrator of the case."
    return errors


# One row per record type. Parties have their own service (``cases.case_party_correct``),
# which corrects the person's details too, and calls ``record_correct`` for the party's own.
REGISTRY: dict[str, Correctable] = {
    "party": Correctable(
        CaseParty,
        "person",
        (
            "description",
            "affiliation",
            "affiliations",
            "is_minor",
            "age_in_imagery",
            "notes",
            "guardian_authority",
            "guardian_authority_notes",
            "preferred_language",
        ),
        Action.WORK,
        refresh_reports=True,
    ),
    "measure": Correctable(
        CaseMeasure,
        "measure",
        ("description", "starts_on", "review_on"),
        _measure_permission,
        date_rule="measure",
    ),
    "evidence": Correctable(
        EvidenceItem,
        "evidence entry",
        ("description", "platform", "url", "handle", "group_name", "seen_at", "sha256", "pdq"),
        Action.WORK,
        date_rule="evidence",
    ),
    "document": Correctable(SupportingDocument, "document", ("title",), Action.WORK),
    # A submitted request (a hash service's too) may have its submission time corrected;
    # the 48-hour clock of a covered platform's own route follows it.
    "takedown": Correctable(
        TakedownRequest,
        "takedown request",
        ("location", "platform_reference", "submitted_at", "notes"),
        Action.WORK,
        date_rule="takedown",
        after_change=lambda record: _takedown_refresh(record),
    ),
    # A triggered obligation is never withdrawn by hand: it is decided (made, or not
    # required with an explanation), and the trigger sync marks it no longer required.
    "report": Correctable(
        ExternalReport,
        "external report",
        ("reported_at", "reference_number", "contact_name", "explanation"),
        Action.WORK,
        date_rule="report",
        withdrawable=False,
    ),
    "notice": Correctable(
        PartyNotice,
        "notice",
        ("recipient_name", "kind", "method", "sent_at", "summary"),
        _notice_permission,
        date_rule="notice",
    ),
    "determination": Correctable(
        Determination,
        "determination",
        ("rationale", "decided_at"),
        Action.DECIDE,
        date_rule="determination",
    ),
    "sanction": Correctable(
        Sanction,
        "sanction",
        ("details", "starts_on", "ends_on"),
        Action.DECIDE,
        date_rule="sanction",
    ),
    "offer": Correctable(ResolutionOffer, "offer", ("notes",), Action.WORK),
    # The answers of the harm assessment are corrected by recording it again (its level is
    # computed from them); the statement in the person's own words is corrected here.
    "harm": Correctable(
        HarmAssessment, "harm assessment", ("impact_statement",), Action.WORK, withdrawable=False
    ),
    # The platform's notice under the TAKE IT DOWN Act: its inputs are corrected, and its text
    # and PDF are rendered again (services/takedown_notices.py).
    "takedown_notice": Correctable(
        TakedownNotice,
        "takedown notice",
        TAKEDOWN_NOTICE_INPUTS,
        Action.WORK,
        date_rule="takedown_notice",
        after_change=lambda record: _takedown_notice_refresh(record),
    ),
    # A parent-notification decision changes by correction (a delay ends, the risks change),
    # with the reason; ``parents.parent_decision_problems`` checks the corrected whole.
    "parent_decision": Correctable(
        ParentNotificationDecision,
        "parent-notification decision",
        (
            "decision",
            "delay_until",
            "student_wishes",
            "risks",
            "explanation",
            "approved_by",
            "review_on",
        ),
        Action.WORK,
        date_rule="parent_decision",
        check=_parent_decision_check,
    ),
    "no_support": Correctable(
        SupportNotOffered,
        "reason no supportive measure was offered",
        ("reason",),
        Action.SUPPORT,
    ),
}
BY_MODEL = {spec.model: kind for kind, spec in REGISTRY.items()}


def value_text(value) -> str:
    """How a value is written in an event's before → after: plain, JSON-safe text."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value)
    return str(value)


def record_label(record) -> str:
    """A short name of the record for the timeline ("No-contact directive")."""
    text = str(record)
    return text if len(text) <= 60 else text[:57] + "..."


def _lock(record):
    return type(record).objects.select_for_update().select_related("case").get(pk=record.pk)


def _check_writable(*, actor, spec: Correctable, record, version: int, reason: str) -> None:
    require(actor, spec.permission_for(record), record.case)
    require_open(record.case)
    if version is None or int(version) != record.version:
        raise StaleRecord()
    if record.withdrawn_at is not None:
        raise ValidationError(
            _("This %(kind)s was withdrawn; it cannot be changed.") % {"kind": spec.label}
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why this is corrected (kept in the record)."})


def changes_apply(record, changes: dict) -> dict[str, list[str]]:
    """Sets the changed fields on the record and returns ``{field: [before, after]}`` for
    those whose value differs (as text)."""
    diff = {}
    for name, value in changes.items():
        before = getattr(record, name)
        if isinstance(before, str) and isinstance(value, str):
            value = value.strip()
        if before == value or (before in (None, "") and value in (None, "")):
            continue
        diff[name] = [value_text(before), value_text(value)]
        setattr(record, name, value)
    return diff


@transaction.atomic
def record_correct(*, actor, record, version: int, reason: str, **changes):
    """Corrects the given fields of a case record and returns it. ``version`` is the version
    the user's form showed; ``reason`` is required. Raises ``StaleRecord`` when the record
    changed since, ``ValidationError`` for a field that cannot be corrected here, a broken
    date rule (keyed by field), a withdrawn record or a closed case, and
    ``TransitionForbidden`` without the right. Nothing changes when no value differs."""
    record = record_lock_for_change(actor=actor, record=record, version=version, reason=reason)
    return record_correct_locked(actor=actor, record=record, reason=reason, changes=changes)


def record_lock_for_change(*, actor, record, version: int, reason: str):
    """Locks the record and checks that the actor may change it now (right, open case,
    unchanged version, not withdrawn, a reason given); returns the locked row."""
    spec = record_spec(record)
    record = _lock(record)
    _check_writable(actor=actor, spec=spec, record=record, version=version, reason=reason)
    return record


def record_correct_locked(*, actor, record, reason: str, changes: dict, extra: dict | None = None):
    """Applies ``changes`` to a record locked by ``record_lock_for_change``; ``extra``:
    further ``{field: [before, after]}`` changed elsewhere in the same correction (a party's
    person), written in the same event. Returns the record."""
    spec = record_spec(record)
    unknown = set(changes) - set(spec.fields)
    if unknown:
        raise ValidationError(
            _("These details of a %(kind)s cannot be corrected here: %(names)s.")
            % {"kind": spec.label, "names": ", ".join(sorted(unknown))}
        )
    if spec.date_rule:
        current = {name: getattr(record, name, None) for name in spec.date_fields()}
        dates_check(spec.date_rule, {**current, **changes})
    diff = {**(extra or {}), **changes_apply(record, changes)}
    if not diff:
        return record
    if spec.after_change is not None:
        spec.after_change(record)
    if spec.check is not None:
        errors = spec.check(record)
        if errors:
            raise ValidationError(errors)
    record.full_clean()
    stamp(record, actor).save()
    case_event_record(
        case=record.case,
        actor=actor,
        reason=reason.strip(),
        **event_details.record_corrected(
            record=BY_MODEL[type(record)],
            record_id=record.pk,
            label=record_label(record),
            changes=diff,
        ),
    )
    if spec.refresh_reports:
        from .reports import reports_sync_internal

        reports_sync_internal(actor=actor, case=record.case)
    return record


@transaction.atomic
def record_withdraw(*, actor, record, version: int, reason: str):
    """Withdraws a case record with the reason and returns it: it stays in the record, shown
    as withdrawn, and no longer counts for the workflow or the report triggers. Raises as
    ``record_correct`` does, and ``ValidationError`` for a record that is decided rather
    than withdrawn (an external-report obligation, the harm assessment)."""
    spec = REGISTRY[BY_MODEL[type(record)]]
    if not spec.withdrawable:
        raise ValidationError(
            _("A %(kind)s is not withdrawn; correct it, or record its decision instead.")
            % {"kind": spec.label}
        )
    record = _lock(record)
    _check_writable(actor=actor, spec=spec, record=record, version=version, reason=reason)
    record.withdrawn_at = timezone.now()
    record.withdrawn_by = actor if getattr(actor, "pk", None) else None
    record.withdrawn_reason = reason.strip()
    stamp(record, actor).save()
    case_event_record(
        case=record.case,
        actor=actor,
        reason=record.withdrawn_reason,
        **event_details.record_withdrawn(
            record=BY_MODEL[type(record)], record_id=record.pk, label=record_label(record)
        ),
    )
    if spec.refresh_reports:
        from .reports import reports_sync_internal

        reports_sync_internal(actor=actor, case=record.case)
    return record


def _takedown_refresh(takedown) -> None:
    """A takedown request's derived values after a correction: a submission time may be
    corrected only on a request that was submitted, and the 48-hour clock (covered platforms'
    own route) runs from the corrected time (``clocks.takedown_due_at``)."""
    from ..clocks import takedown_due_at

    if takedown.submitted_at is None:
        previous = (
            type(takedown).objects.filter(pk=takedown.pk).values_list("submitted_at", flat=True)
        )
        if previous.first() is not None:
            raise ValidationError({"submitted_at": "A submitted request keeps its time."})
        return
    if takedown.status == TakedownRequest.Status.TO_DO:
        raise ValidationError(
            {"submitted_at": "This request is not submitted yet: record its submission instead."}
        )
    if takedown.covered_by_48h_rule and takedown.due_at is not None:
        takedown.due_at = takedown_due_at(takedown.submitted_at)


def _takedown_notice_refresh(notice) -> None:
    from .takedown_notices import takedown_notice_refresh

    takedown_notice_refresh(notice)


def require_version(record, version: int | None) -> None:
    """Raises ``StaleRecord`` when ``version`` (the version a form showed; None: the caller
    showed none) is not the locked record's current version."""
    if version is not None and int(version) != record.version:
        raise StaleRecord()


def record_spec(record) -> Correctable:
    """The correction rules of the record's type."""
    return REGISTRY[BY_MODEL[type(record)]]
