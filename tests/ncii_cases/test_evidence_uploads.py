"""The image-free evidence log and supporting documents.

An image or video is refused whatever its name, and nothing of it is written: no file under
the private media root, no new temp file, no database row (history included), no log line.
Uploads go through Django's multipart parser with the project's in-memory upload handler,
as a request would."""

import io
import os
import struct
import tempfile
import zipfile
import zlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.http.multipartparser import MultiPartParser
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone

from ncii_cases.events import EventType
from ncii_cases.models import CaseEvent, CustodyEntry, SupportingDocument
from ncii_cases.services.evidence import custody_transfer, document_attach, evidence_record
from ncii_cases.uploads import IMAGE_REFUSED_MESSAGE, BoundedMemoryUploadHandler
from ncii_cases.workflow import TransitionForbidden
from tests.factories_workflow import platform

MARKER = b"MARKER-7f3a9c-do-not-keep"


def png_plain_color(width=8, height=8, rgb=(200, 30, 30)) -> bytes:
    """A real, decodable PNG of one colour, with the marker in a text chunk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"tEXt", b"Comment\x00" + MARKER)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + MARKER
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2mp41" + MARKER
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<rect width="10" height="10" fill="red"/><desc>' + MARKER + b"</desc></svg>"
)

REFUSED = [
    ("statement.pdf", png_plain_color()),
    ("photo.jpg", JPEG),
    ("notes.docx", MP4),
    ("drawing.txt", SVG),
]


def upload(name: str, data: bytes):
    """Parses a multipart request body as Django would, with the project's upload handler."""
    body = encode_multipart(BOUNDARY, {"file": (_named(name, data))})
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    _, files = MultiPartParser(meta, io.BytesIO(body), [BoundedMemoryUploadHandler()]).parse()
    return files["file"]


def _named(name, data):
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def text_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": "Statement of a witness"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx(extra: dict | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document><w:body><w:p><w:r><w:t>I saw the messages.'
            "</w:t></w:r></w:p></w:body></w:document>",
        )
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def files_under(path) -> list[str]:
    return [os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs]


def temp_files_holding(data: bytes, before: set[str]) -> list[str]:
    """New files in the temp dir that hold the refused bytes (other processes may create
    unrelated temp files meanwhile; those are not ours)."""
    found = []
    for path in set(files_under(tempfile.gettempdir())) - before:
        try:
            with open(path, "rb") as fh:
                content = fh.read(10 * 1024 * 1024)
        except OSError:
            continue
        if MARKER in content or data[:64] in content:
            found.append(path)
    return found


def rows_holding(needle: str) -> list[str]:
    """Every text or JSON value in the database (history tables included) holding needle."""
    hits = []
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for row in model.objects.values_list(*fields) if fields else []:
            if any(needle in str(value) for value in row):
                hits.append(model.__name__)
    return hits


@pytest.mark.parametrize(("name", "data"), REFUSED, ids=["png-as-pdf", "jpeg", "mp4", "svg"])
def test_an_image_or_video_is_refused_and_nothing_of_it_is_kept(
    case, investigator, private_root, caplog, name, data
):
    # Given an upload that is a picture or a video, whatever its name says
    temp_before = set(files_under(tempfile.gettempdir()))
    documents_before = SupportingDocument.objects.count()
    history_before = SupportingDocument.history.count()
    events_before = CaseEvent.objects.count()
    uploaded = upload(name, data)
    # When it is attached to the case
    with pytest.raises(ValidationError) as info:
        document_attach(actor=investigator, case=case, uploaded_file=uploaded, title="Statement")
    # Then the message explains why the school must not keep it
    assert info.value.messages == [IMAGE_REFUSED_MESSAGE]
    assert "must never keep copies" in IMAGE_REFUSED_MESSAGE
    # and nothing of it was written: disk, temp files, rows, history, events, logs
    assert files_under(private_root) == []
    assert temp_files_holding(data, temp_before) == []
    assert SupportingDocument.objects.count() == documents_before
    assert SupportingDocument.history.count() == history_before
    assert CaseEvent.objects.count() == events_before
    assert rows_holding(MARKER.decode()) == []
    assert rows_holding(name) == []
    assert all(
        name not in r.getMessage() and MARKER.decode() not in r.getMessage() for r in caplog.records
    )


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("statement.pdf", text_pdf(), "application/pdf"),
        (
            "statement.docx",
            docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "statement.txt",
            b"Witness statement: I saw the messages on Monday.\n",
            "text/plain",
        ),
    ],
    ids=["pdf", "docx", "txt"],
)
def test_a_statement_is_stored_privately_with_its_checked_type(
    case, investigator, private_root, name, data, content_type
):
    document = document_attach(
        actor=investigator, case=case, uploaded_file=upload(name, data), title="Witness statement"
    )
    assert document.content_type == content_type and document.size == len(data)
    stored = files_under(private_root)
    assert len(stored) == 1 and name not in stored[0]
    with open(stored[0], "rb") as fh:
        assert fh.read() == data
    event = CaseEvent.objects.get(case=case, event_type=EventType.DOCUMENT_ATTACHED)
    assert event.detail["content_type"] == content_type and name not in str(event.detail)
    assert document.history.first().history_user == investigator


def test_a_document_with_an_embedded_picture_is_refused(case, investigator, private_root):
    data = docx({"word/media/image1.png": png_plain_color()})
    with pytest.raises(ValidationError, match="contains pictures"):
        document_attach(
            actor=investigator, case=case, uploaded_file=upload("s.docx", data), title="S"
        )
    assert files_under(private_root) == [] and not SupportingDocument.objects.exists()


def test_an_oversize_document_is_refused_before_it_is_kept(
    case, investigator, private_root, settings
):
    settings.DOCUMENT_MAX_BYTES = 1024 * 1024
    uploaded = upload("long.txt", b"a" * (1024 * 1024 + 1))
    assert getattr(uploaded, "oversize", False) is True
    with pytest.raises(ValidationError, match="larger than 1 MB"):
        document_attach(actor=investigator, case=case, uploaded_file=uploaded, title="Long")
    assert files_under(private_root) == [] and not SupportingDocument.objects.exists()


def test_support_staff_cannot_attach_documents(case, counselor, private_root):
    with pytest.raises(TransitionForbidden):
        document_attach(
            actor=counselor, case=case, uploaded_file=upload("s.txt", b"text"), title="S"
        )
    assert files_under(private_root) == []


def test_evidence_is_recorded_without_image_with_its_first_custody_entry(case, investigator):
    item = evidence_record(
        actor=investigator,
        case=case,
        description="Edited pictures posted in a group chat; described by two students.",
        platform=platform("snapchat"),
        handle="@sender",
        group_name="class of 2029",
        seen_at=timezone.now(),
        device_holder="School resource officer",
        sha256="AB" * 32,
    )
    assert item.sha256 == "ab" * 32 and item.device_holder == "School resource officer"
    entry = CustodyEntry.objects.get(evidence=item)
    assert entry.to_holder == "School resource officer" and entry.from_holder == ""
    event = CaseEvent.objects.get(case=case, event_type=EventType.EVIDENCE_RECORDED)
    assert event.detail == {
        "evidence_id": item.pk,
        "platform": "snapchat",
        "has_sha256": True,
        "has_pdq": False,
    }


def test_a_malformed_hash_is_refused(case, investigator):
    with pytest.raises(ValidationError):
        evidence_record(actor=investigator, case=case, description="Seen", pdq="not-a-hash")


def test_custody_transfer_records_the_chain_and_the_new_holder(case, investigator):
    item = evidence_record(
        actor=investigator, case=case, description="Phone of a student", device_holder="SRO"
    )
    entry = custody_transfer(
        actor=investigator, evidence=item, to_holder="County police", note="Case 26-1182"
    )
    item.refresh_from_db()
    assert (entry.from_holder, entry.to_holder) == ("SRO", "County police")
    assert item.device_holder == "County police"
    assert [e.to_holder for e in item.custody.all()] == ["SRO", "County police"]
    assert CaseEvent.objects.filter(event_type=EventType.CUSTODY_TRANSFERRED).count() == 1
