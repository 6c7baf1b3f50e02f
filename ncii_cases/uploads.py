"""Supporting documents: reading uploads without touching disk, and checking them by content.

Only statements and letters are accepted: PDF, Word (.docx) and plain text, judged by their
bytes, never by their name. Any image or video, whatever it is called, is refused with a
message saying why, and nothing of it is written anywhere: uploads are held in memory (never
spooled to a temp file), an oversize upload is discarded as it streams in, and a refused file
is never logged or stored.
"""

import io
import zipfile
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler

IMAGE_REFUSED_MESSAGE = (
    "This file is a picture or a video, so it was not saved. The school must never keep copies "
    "of intimate images: holding sexual images of a minor is a crime, even as evidence. Nothing "
    "of the file was kept. Instead, record in the evidence log what was seen, where (platform, "
    "link, account, group), when, and who holds the device; you may type in a hash value."
)
UNSUPPORTED_MESSAGE = (
    "Only statements and letters can be attached: PDF, Word (.docx) or plain-text files. "
    "Save the document in one of these formats and try again."
)
EMBEDDED_IMAGE_MESSAGE = (
    "This document contains pictures, so it was not saved. Attach a text-only version of the "
    "statement (without photos or screenshots); describe any imagery in the evidence log."
)

# Ceiling on what a .docx may expand to, so that a small zip cannot exhaust memory.
MAX_DOCX_EXPANDED_BYTES = 50 * 1024 * 1024
SVG_MARKERS = (b"<svg", b"data:image/", b"data:video/")


class DocumentRefused(Exception):
    """The upload is not an acceptable document. ``message`` is safe to show to the user."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class CheckedDocument:
    content_type: str
    extension: str


def max_document_bytes() -> int:
    return settings.DOCUMENT_MAX_BYTES


def too_large_refusal() -> DocumentRefused:
    """The refusal of a file over the size limit (also used when the upload handler has
    already discarded its bytes)."""
    return DocumentRefused(
        f"The file is larger than {max_document_bytes() // (1024 * 1024)} MB. "
        "Attach a shorter document or split it.",
        code="too_large",
    )


def _refuse_image_or_video(data: bytes) -> None:
    kind = filetype.guess(data[:8192])
    if kind is not None and kind.mime.split("/")[0] in ("image", "video"):
        raise DocumentRefused(IMAGE_REFUSED_MESSAGE, code="image")
    head = data[:4096].lower()
    if any(marker in head for marker in SVG_MARKERS):
        raise DocumentRefused(IMAGE_REFUSED_MESSAGE, code="image")


def _check_pdf(data: bytes) -> CheckedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        for page in reader.pages:
            if len(page.images) > 0:
                raise DocumentRefused(EMBEDDED_IMAGE_MESSAGE, code="embedded_image")
    except DocumentRefused:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentRefused(
            "This PDF could not be read; it may be damaged. Save it again and retry.",
            code="damaged",
        ) from exc
    return CheckedDocument("application/pdf", "pdf")


def _check_docx(data: bytes) -> CheckedDocument:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            if "[Content_Types].xml" not in names or "word/document.xml" not in names:
                raise DocumentRefused(UNSUPPORTED_MESSAGE, code="unsupported")
            if sum(m.file_size for m in members) > MAX_DOCX_EXPANDED_BYTES:
                raise DocumentRefused(UNSUPPORTED_MESSAGE, code="unsupported")
            for member in members:
                if member.is_dir():
                    continue
                with archive.open(member) as fh:
                    head = fh.read(8192)
                kind = filetype.guess(head)
                is_media = kind is not None and kind.mime.split("/")[0] in ("image", "video")
                if is_media or member.filename.lower().startswith(("word/media/", "media/")):
                    raise DocumentRefused(EMBEDDED_IMAGE_MESSAGE, code="embedded_image")
    except zipfile.BadZipFile as exc:
        raise DocumentRefused(UNSUPPORTED_MESSAGE, code="unsupported") from exc
    return CheckedDocument(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
    )


def _check_text(data: bytes) -> CheckedDocument:
    if b"\x00" in data:
        raise DocumentRefused(UNSUPPORTED_MESSAGE, code="unsupported")
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentRefused(
            "This text file is not in UTF-8. Save it as UTF-8 text and try again.",
            code="encoding",
        ) from exc
    if any(marker in data.lower() for marker in SVG_MARKERS):
        raise DocumentRefused(IMAGE_REFUSED_MESSAGE, code="image")
    return CheckedDocument("text/plain", "txt")


def check_document(data: bytes) -> CheckedDocument:
    """Returns what the bytes are if they are an acceptable document; raises
    ``DocumentRefused`` otherwise. The file's name plays no part."""
    if len(data) == 0:
        raise DocumentRefused("The file is empty.", code="empty")
    if len(data) > max_document_bytes():
        raise too_large_refusal()
    _refuse_image_or_video(data)
    if data.startswith(b"%PDF-"):
        return _check_pdf(data)
    if data.startswith(b"PK\x03\x04"):
        return _check_docx(data)
    if filetype.guess(data[:8192]) is not None:
        raise DocumentRefused(UNSUPPORTED_MESSAGE, code="unsupported")
    return _check_text(data)


def is_image_or_video(data: bytes) -> bool:
    try:
        _refuse_image_or_video(data)
    except DocumentRefused:
        return True
    return False


class OversizeUpload(InMemoryUploadedFile):
    """Stands in for an upload that was larger than the limit; its bytes were discarded."""

    oversize = True


class BoundedMemoryUploadHandler(FileUploadHandler):
    """Keeps each uploaded file in memory up to the document limit and discards the rest
    as it streams in. Nothing is ever written to a temporary file."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received <= max_document_bytes():
            self.buffer.write(raw_data)
        elif self.buffer.tell():
            self.buffer = io.BytesIO()
        return None

    def file_complete(self, file_size):
        if self.received > max_document_bytes():
            upload = OversizeUpload(
                io.BytesIO(), self.field_name, self.file_name, self.content_type, 0, None
            )
            upload.size = self.received
            return upload
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            self.buffer,
            self.field_name,
            self.file_name,
            self.content_type,
            file_size,
            self.charset,
            self.content_type_extra,
        )
