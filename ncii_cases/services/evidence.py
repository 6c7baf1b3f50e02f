"""The image-free evidence log, its chain of custody, and supporting documents.

Evidence is a description, where it was seen, when, who holds the device and at most a
typed-in hash. Documents (statements: PDF, DOCX, plain text) are checked by their content
in memory before anything is written; an image or video is refused and nothing of it is
kept: not on disk, not in the database, not in a log line (not even its name).
"""

import datetime as dt
import hashlib

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policies.models import Platform

from .. import event_details
from ..audit import case_event_record
from ..dates import dates_check
from ..models import Case, CustodyEntry, EvidenceItem, SupportingDocument
from ..permissions import Action
from ..uploads import DocumentRefused, check_document, max_document_bytes, too_large_refusal
from .common import require, require_open, require_same_case, stamp


@transaction.atomic
def evidence_record(
    *,
    actor,
    case: Case,
    description: str,
    platform: Platform | None = None,
    url: str = "",
    handle: str = "",
    group_name: str = "",
    seen_at: dt.datetime | None = None,
    device_holder: str = "",
    sha256: str = "",
    pdq: str = "",
) -> EvidenceItem:
    """Records an item of evidence without any image and returns it. When a device holder is
    named, the first custody entry records who took it."""
    require(actor, Action.WORK, case)
    require_open(case)
    if not description.strip():
        raise ValidationError(_("Describe what was seen, without graphic detail."))
    dates_check("evidence", {"seen_at": seen_at})
    item = EvidenceItem(
        case=case,
        description=description.strip(),
        platform=platform,
        url=url.strip(),
        handle=handle.strip(),
        group_name=group_name.strip(),
        seen_at=seen_at,
        device_holder=device_holder.strip(),
        sha256=sha256.strip().lower(),
        pdq=pdq.strip().lower(),
        recorded_by=actor,
    )
    item.full_clean()
    stamp(item, actor).save()
    if item.device_holder:
        entry = CustodyEntry(
            evidence=item,
            to_holder=item.device_holder,
            transferred_at=timezone.now(),
            note="Holder when the evidence was recorded.",
            recorded_by=actor,
        )
        stamp(entry, actor).save()
    case_event_record(
        case=case,
        actor=actor,
        **event_details.evidence_recorded(
            evidence_id=item.pk,
            platform=platform.slug if platform else "",
            has_sha256=bool(item.sha256),
            has_pdq=bool(item.pdq),
        ),
    )
    return item


@transaction.atomic
def custody_transfer(
    *,
    actor,
    evidence: EvidenceItem,
    to_holder: str,
    transferred_at: dt.datetime | None = None,
    note: str = "",
) -> CustodyEntry:
    """Records that the device passed to a new holder (for example the police) and returns
    the custody entry; the evidence item shows the new holder."""
    evidence = EvidenceItem.objects.select_for_update().get(pk=evidence.pk)
    require(actor, Action.WORK, evidence.case)
    require_open(evidence.case)
    if not to_holder.strip():
        raise ValidationError(_("Name who holds the device now."))
    dates_check("custody", {"transferred_at": transferred_at})
    entry = CustodyEntry(
        evidence=evidence,
        from_holder=evidence.device_holder,
        to_holder=to_holder.strip(),
        transferred_at=transferred_at or timezone.now(),
        note=note,
        recorded_by=actor,
    )
    entry.full_clean()
    stamp(entry, actor).save()
    evidence.device_holder = entry.to_holder
    stamp(evidence, actor).save(update_fields=["device_holder", "version"])
    case_event_record(
        case=evidence.case,
        actor=actor,
        **event_details.custody_transferred(evidence_id=evidence.pk, custody_entry_id=entry.pk),
    )
    return entry


def _read_upload(uploaded_file) -> bytes:
    if getattr(uploaded_file, "oversize", False) or (
        uploaded_file.size is not None and uploaded_file.size > max_document_bytes()
    ):
        # Refuse before reading, so that an oversize file is never held whole.
        raise too_large_refusal()
    uploaded_file.seek(0)
    return uploaded_file.read()


@transaction.atomic
def document_attach(
    *,
    actor,
    case: Case,
    uploaded_file,
    title: str,
    evidence: EvidenceItem | None = None,
) -> SupportingDocument:
    """Checks the upload's content in memory and, if it is an acceptable statement, stores it
    and returns the document. Raises ``ValidationError`` with a message the user can read
    when it is refused (an image or video always is); nothing of a refused file is kept."""
    require(actor, Action.WORK, case)
    require_open(case)
    try:
        data = _read_upload(uploaded_file)
        checked = check_document(data)
    except DocumentRefused as exc:
        # Deliberately no logging here: not the name, not the bytes, not a hash of them.
        raise ValidationError(exc.message, code=exc.code) from None
    require_same_case(case, evidence)
    if not title.strip():
        raise ValidationError(_("Give the document a short title."))
    digest = hashlib.sha256(data).hexdigest()
    document = SupportingDocument(
        case=case,
        evidence=evidence,
        title=title.strip(),
        original_name=(uploaded_file.name or "")[:255],
        content_type=checked.content_type,
        size=len(data),
        sha256=digest,
        uploaded_by=actor,
    )
    document.file.save(f"{digest}.{checked.extension}", ContentFile(data), save=False)
    try:
        stamp(document, actor).save()
        case_event_record(
            case=case,
            actor=actor,
            **event_details.document_attached(
                document_id=document.pk,
                content_type=checked.content_type,
                size=len(data),
                sha256=digest,
            ),
        )
    except Exception:
        # No row will point at the file: remove it rather than leave an orphan.
        document.file.delete(save=False)
        raise
    return document


@transaction.atomic
def evidence_record_with_document(
    *, actor, case: Case, uploaded_file=None, document_title: str = "", **fields
) -> EvidenceItem:
    """Records an evidence item and, when a file is given, attaches it as a checked document,
    in one transaction: a refused file leaves no evidence row behind."""
    item = evidence_record(actor=actor, case=case, **fields)
    if uploaded_file is not None:
        title = document_title.strip() or "Supporting document"
        document_attach(
            actor=actor, case=case, uploaded_file=uploaded_file, title=title, evidence=item
        )
    return item
