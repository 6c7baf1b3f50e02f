"""Supporting documents: reading uploads without touching disk, and checking them by content.

Only statements and letters are accepted: PDF, Word (.docx) and plain text, judged by their
bytes, never by their name. Any image or video, whatever it is called, is refused with a
message saying why, and nothing of it is written anywhere: uploads are held in memory (never
spooled to a temp file), an oversize upload is discarded as it streams in, and a refused file
is never logged or stored.
"""

import base64
import binascii
import io
import re
import struct
import zipfile
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
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
MAX_DOCX_MEMBERS = 500
# Ceilings on the work spent reading a PDF, so that a pathological file is refused, not chewed.
MAX_PDF_PAGES = 500
MAX_PDF_OBJECTS = 100_000
MAX_PDF_DECODED_BYTES = 100 * 1024 * 1024

# The only parts a text-only .docx needs. Anything else (word/media/, word/embeddings/, OLE
# objects, EMF/WMF, fonts, nested archives, thumbnails...) is refused: it is where pictures go.
DOCX_ALLOWED_PARTS = re.compile(
    r"""\A(?:
        \[Content_Types\]\.xml
      | _rels/\.rels
      | docProps/[\w.-]+\.xml
      | word/[\w.-]+\.xml
      | word/(?:theme|glossary|diagrams|charts)/[\w.-]+\.xml
      | word/(?:glossary/|theme/|diagrams/|charts/)?_rels/[\w.-]+\.rels
      | customXml/[\w.-]+\.xml
      | customXml/_rels/[\w.-]+\.rels
    )\Z""",
    re.VERBOSE,
)

# --- What counts as a picture or a video, wherever it hides ------------------------------------

_SVG = re.compile(rb"<\s*(?:[\w.-]+:)?svg\b", re.IGNORECASE)
_DATA_URI = re.compile(rb"data:\s*(?:image|video)\s*/", re.IGNORECASE)
_XPM = re.compile(rb"/\*\s*XPM2?\s*\*/|^!\s*XPM2\b", re.IGNORECASE | re.MULTILINE)
_XBM = re.compile(rb"#\s*define\s+\S*_(?:width|height)\s+\d+", re.IGNORECASE)
_PBM_GAP = rb"\s++(?:\#[^\n]*+\n\s*+)*+"  # whitespace, and comments to the end of their line
_NETPBM = re.compile(
    rb"^(?:P[14]" + _PBM_GAP + rb"\d+" + _PBM_GAP + rb"\d+\s"
    rb"|P[2356]" + _PBM_GAP + rb"\d+" + _PBM_GAP + rb"\d+" + _PBM_GAP + rb"\d+\s"
    rb"|P7" + _PBM_GAP + rb"(?:WIDTH|HEIGHT|DEPTH|MAXVAL|TUPLTYPE)\s"
    rb"|P[Ff]\s++\d+\s++\d+\s++-?\d)",
    re.MULTILINE,
)
# Terminal graphics: sixel, and the kitty and iTerm2 inline-image escapes.
_TERMINAL_GRAPHICS = re.compile(rb"\x1bP[\d;]*q|\x1b_G|\x1b\]1337;File=")
# Signatures of pictures and videos that are distinctive enough to look for at any offset.
_MEDIA_MAGIC = re.compile(
    rb"""
        \xff\xd8\xff(?:[\xc0-\xfe][\x00-\x02]|\xe1[\s\S]{2}(?:Exif|http)|\xe2[\s\S]{2}ICC_)  # JPEG
      | \x89PNG\r\n\x1a\n                                              # PNG
      | GIF8[79]a                                                      # GIF
      | RIFF[\s\S]{4}(?:WEBP|AVI\x20)                                   # WebP, AVI
      | ftyp(?:avi[fs]|hei[cfmsx]|mif1|msf1|hevc|isom|iso[2-9]|mp4[12v]|M4[VP]\x20|qt\x20\x20
              |3g[p2][0-9a-z]|dash|crx\x20|jp2\x20|jpx\x20|jxl\x20|f4v\x20|avc1|mmp4)
      | \x1aE\xdf\xa3[\s\S]{1,12}?B\x86\x81\x01                           # Matroska, WebM
      | \x00\x00\x00\x0c(?:jP\x20\x20|JXL\x20)\r\n\x87\n                   # JPEG 2000, XL
      | \xffO\xffQ\x00                                                 # JPEG 2000 stream
      | \xd7\xcd\xc6\x9a\x00\x00                                          # WMF (placeable)
      | \x01\x00\x00\x00[\s\S]{36}\x20EMF                               # EMF
      | 0\x26\xb2\x75\x8e\x66\xcf\x11                                    # ASF (WMV)
      | FLV\x01[\x01\x04\x05]\x00\x00\x00\x09                              # Flash video
      | 8BPS\x00[\x01\x02]                                               # Photoshop
      | qoif\x00\x00                                                   # QOI
      | II\*\x00[\s\S]{2}\x00\x00|MM\x00\*\x00\x00                          # TIFF, camera raw
    """,
    re.VERBOSE,
)
# Weaker signatures, only trusted at the very start of a buffer.
_MEDIA_HEAD = re.compile(
    rb"BM[\s\S]{4}\x00\x00\x00\x00[\s\S]{4}[\x0c\x28\x38\x40\x6c\x7c]\x00\x00\x00"  # BMP
    rb"|\x00\x00[\x01\x02]\x00[\x01-\xff]\x00"  # ICO, CUR
)
# Encoded runs that may carry a picture: base64 (standard or URL-safe) and hexadecimal.
# (A picture needs more than 64 characters of base64 or 48 bytes of hex to show anything.)
_BASE64_RUN = re.compile(
    rb"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{64,}={0,2}|(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{64,}={0,2}"
)
_HEX_RUN = re.compile(rb"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[ \t]*+){48,}")
_LINE_BREAK = re.compile(rb"(?<![ \t])[ \t]*+(?:\r?\n|\\r\\n|\\n)[ \t>]*+")
_ENCODED_CONTAINERS = (
    b"PK\x03\x04",  # zip
    b"%PDF-",
    b"\x1f\x8b\x08",  # gzip
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"BZh91AY&SY",
    b"\xfd7zXZ\x00",
    b"\x28\xb5\x2f\xfd",  # zstd
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # OLE
)


def _is_media_head(data: bytes, *, sniff: bool = True) -> bool:
    """True if data begins like a picture or a video. ``sniff=False`` leaves out the
    ``filetype`` guess, some of whose signatures are too short to trust on a few random
    bytes (a decoded hash, say)."""
    if sniff and data:
        kind = filetype.guess(data[:8192])
        if kind is not None and kind.mime.split("/")[0] in ("image", "video"):
            return True
    return bool(_MEDIA_MAGIC.match(data[:128]) or _MEDIA_HEAD.match(data[:32]))


def _decoded_is_media(decoded: bytes, *, strict: bool) -> bool:
    if _MEDIA_MAGIC.search(decoded) or _SVG.search(decoded) or _DATA_URI.search(decoded):
        return True
    if strict:
        return False
    # An encoded archive or document may hold a picture where no signature shows; a statement
    # has no reason to carry one written out as text.
    return _is_media_head(decoded, sniff=len(decoded) >= 256) or decoded.startswith(
        _ENCODED_CONTAINERS
    )


def _encoded_media(data: bytes, *, strict: bool = False) -> bool:
    """True if a base64 or hex run in data decodes to a picture or a video (or to a text or
    an archive that may hold one, e.g. base64 of an SVG or of a zip)."""
    joined = _LINE_BREAK.sub(b"", data)
    for match in _BASE64_RUN.finditer(joined):
        run = match.group().rstrip(b"=")
        altchars = b"-_" if (b"-" in run or b"_" in run) else b"+/"
        # A run may start with a few stray characters: every alignment is tried, on the
        # head of the run (cheap), and on the whole of a long run.
        for shift in range(4):
            chunk = run[shift:] if shift == 0 or len(run) >= 256 else run[shift : shift + 64]
            try:
                decoded = base64.b64decode(
                    chunk[: len(chunk) // 4 * 4], altchars=altchars, validate=True
                )
            except (binascii.Error, ValueError):
                continue
            if _decoded_is_media(decoded, strict=strict):
                return True
    for match in _HEX_RUN.finditer(data):
        digits = re.sub(rb"\s", b"", match.group())
        for shift in (0, 1):
            chunk = digits[shift:]
            decoded = bytes.fromhex(chunk[: len(chunk) // 2 * 2].decode("ascii"))
            if _decoded_is_media(decoded, strict=strict):
                return True
    return False


def _contains_media(data: bytes, *, strict: bool = False) -> bool:
    """True if data is, or visibly contains, a picture or a video: by its own signature, by a
    signature at any offset, or as SVG, a data: URI, a text picture format (netpbm, XPM,
    XBM, terminal graphics) or a base64 or hex encoding of any of them.

    ``strict`` is for binary data (decoded PDF streams, which hold fonts and hex-coded text):
    only the distinctive signatures count there, and the text picture formats are not sought."""
    if strict:
        return bool(
            _MEDIA_MAGIC.search(data)
            or _SVG.search(data)
            or _DATA_URI.search(data)
            or _encoded_media(data, strict=True)
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return bool(
        _is_media_head(data)
        or _MEDIA_MAGIC.search(data)
        or _SVG.search(data)
        or _DATA_URI.search(data)
        or _NETPBM.search(data)
        or _XPM.search(data)
        or _XBM.search(data)
        or _TERMINAL_GRAPHICS.search(data)
        or _encoded_media(data)
    )


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
    """Refuses a file that is itself a picture or a video (judged by how it begins)."""
    head = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if _is_media_head(head) or _SVG.search(head[:4096]) or _DATA_URI.search(head[:4096]):
        raise DocumentRefused(IMAGE_REFUSED_MESSAGE, code="image")


def _embedded() -> DocumentRefused:
    return DocumentRefused(EMBEDDED_IMAGE_MESSAGE, code="embedded_image")


# --- PDF ---------------------------------------------------------------------------------------

PDF_DAMAGED_MESSAGE = "This PDF could not be read; it may be damaged. Save it again and retry."
PDF_TOO_COMPLEX_MESSAGE = (
    "This PDF is too large or too complex to check. Attach a shorter, text-only version."
)
PDF_ENCRYPTED_MESSAGE = (
    "This PDF is protected by a password, so it cannot be checked. Save it without a password "
    "and try again."
)
# Names that only pictures, videos and attached files carry.
_PDF_IMAGE_FILTERS = {"/DCTDecode", "/DCT", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode", "/CCF"}
_PDF_MEDIA_SUBTYPES = {"/Image", "/FileAttachment", "/Movie", "/Screen", "/RichMedia", "/3D"}
_PDF_MEDIA_TYPES = {"/EmbeddedFile", "/Filespec", "/RichMediaContent", "/MediaClip", "/Rendition"}
_PDF_MEDIA_KEYS = {"/EmbeddedFiles", "/EF", "/RF", "/AF", "/RichMediaContent", "/Alternates"}
# Seen in the raw bytes, whatever the cross-reference table says (old revisions, loose objects).
_PDF_RAW_MARKERS = re.compile(
    rb"/Subtype\s*/Image\b|/(?:DCT|JPX|JBIG2)Decode\b|/EmbeddedFiles?\b|/FileAttachment\b"
)
# An inline image: the operator BI and the first key of its dictionary (BI /W 8 /H 8 ... ID).
_PDF_INLINE_IMAGE = re.compile(rb"(?<![^\s)\]>}])BI(?:\s|%[^\r\n]*+)*+/\w")


def _pdf_value(obj, key):
    """obj[key] resolved, or None (pypdf's ``get`` does not resolve indirect references)."""
    try:
        return obj[key] if key in obj else None  # noqa: SIM401 - [] resolves references
    except (KeyError, TypeError):
        return None


def _pdf_inspect(obj, budget: list[int], depth: int = 0) -> None:
    """Refuses if obj, or a dictionary or array written directly inside it, is or holds a
    picture, a video or an attached file. Indirect references are not followed: every
    indirect object of the file is inspected on its own."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

    if depth > 64:
        raise DocumentRefused(PDF_TOO_COMPLEX_MESSAGE, code="too_complex")
    if isinstance(obj, DictionaryObject):
        if _PDF_MEDIA_KEYS.intersection(obj.keys()):
            raise _embedded()
        if _pdf_value(obj, "/Subtype") in _PDF_MEDIA_SUBTYPES:
            raise _embedded()
        if _pdf_value(obj, "/Type") in _PDF_MEDIA_TYPES or _pdf_value(obj, "/S") == "/MR":
            raise _embedded()
        filters = _pdf_value(obj, "/Filter")
        filters = list(filters) if isinstance(filters, ArrayObject) else [filters]
        if _PDF_IMAGE_FILTERS.intersection(str(f) for f in filters if f is not None):
            raise _embedded()
        if isinstance(obj, StreamObject):
            data = obj.get_data()
            budget[0] -= len(data)
            if budget[0] < 0:
                raise DocumentRefused(PDF_TOO_COMPLEX_MESSAGE, code="too_complex")
            if _PDF_INLINE_IMAGE.search(data) or _contains_media(data, strict=True):
                raise _embedded()
        children = obj.values()
    elif isinstance(obj, ArrayObject):
        children = obj
    else:
        return
    for child in children:
        if not isinstance(child, IndirectObject):
            _pdf_inspect(child, budget, depth + 1)


def _check_pdf(data: bytes) -> CheckedDocument:
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject

    if _PDF_RAW_MARKERS.search(data) or _MEDIA_MAGIC.search(data):
        raise _embedded()
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentRefused(PDF_ENCRYPTED_MESSAGE, code="encrypted")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise DocumentRefused(PDF_TOO_COMPLEX_MESSAGE, code="too_complex")
        references = {(idnum, gen) for gen, table in reader.xref.items() for idnum in table}
        references.update((idnum, 0) for idnum in reader.xref_objStm)
        if len(references) > MAX_PDF_OBJECTS:
            raise DocumentRefused(PDF_TOO_COMPLEX_MESSAGE, code="too_complex")
        budget = [MAX_PDF_DECODED_BYTES]
        _pdf_inspect(reader.trailer, budget)
        for idnum, generation in sorted(references):
            _pdf_inspect(reader.get_object(IndirectObject(idnum, generation, reader)), budget)
        for page in reader.pages:
            if len(page.images) > 0:
                raise _embedded()
    except DocumentRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to read is a refusal, never a 500
        raise DocumentRefused(PDF_DAMAGED_MESSAGE, code="damaged") from exc
    return CheckedDocument("application/pdf", "pdf")


# --- Word (.docx) ------------------------------------------------------------------------------


def _zip_has_hidden_bytes(data: bytes, archive: zipfile.ZipFile, members) -> bool:
    """True if the archive holds bytes that belong to no listed member (data smuggled between
    entries, before the first one, or around the central directory)."""
    position = 0
    slack = 0
    for member in sorted(members, key=lambda m: m.header_offset):
        start = member.header_offset
        if not 0 <= start - position <= slack:
            return True
        header = data[start : start + 30]
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            return True
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        position = start + 30 + name_length + extra_length + member.compress_size
        # A data descriptor (crc and sizes, with or without its signature) may follow.
        slack = 24 if member.flag_bits & 0x08 else 0
    if not 0 <= archive.start_dir - position <= slack:
        return True
    directory = sum(
        46
        + len(m.orig_filename.encode("utf-8" if m.flag_bits & 0x800 else "cp437"))
        + len(m.extra)
        + len(m.comment)
        for m in members
    )
    tail = len(data) - archive.start_dir - directory - 22 - len(archive.comment)
    return tail not in (0, 76)  # 76: the zip64 end records


def _docx_part_text(content: bytes) -> bytes | None:
    """The part as UTF-8 bytes if it is text (XML parts are UTF-8 or UTF-16), else None."""
    try:
        if content.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = content.decode("utf-16")
        else:
            text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    return text.encode("utf-8")


def _check_docx(data: bytes) -> CheckedDocument:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = [m.filename for m in members]
            if "[Content_Types].xml" not in names or "word/document.xml" not in names:
                raise DocumentRefused(UNSUPPORTED_MESSAGE, code="unsupported")
            if len(members) > MAX_DOCX_MEMBERS or len(set(names)) != len(names):
                raise DocumentRefused(UNSUPPORTED_MESSAGE, code="unsupported")
            if sum(m.file_size for m in members) > MAX_DOCX_EXPANDED_BYTES:
                raise DocumentRefused(UNSUPPORTED_MESSAGE, code="unsupported")
            files = [m for m in members if not m.is_dir()]
            if any(m.file_size or m.compress_size > 2 for m in members if m.is_dir()):
                raise _embedded()  # a "folder" entry that carries bytes
            if any(not DOCX_ALLOWED_PARTS.match(m.filename) for m in files):
                raise _embedded()
            if _zip_has_hidden_bytes(data, archive, members):
                raise _embedded()
            if archive.comment and _contains_media(archive.comment):
                raise _embedded()
            budget = MAX_DOCX_EXPANDED_BYTES
            for member in files:
                with archive.open(member) as fh:
                    content = fh.read(budget + 1)
                budget -= len(content)
                if budget < 0:
                    raise DocumentRefused(UNSUPPORTED_MESSAGE, code="unsupported")
                text = _docx_part_text(content)
                if text is None or _contains_media(text):
                    raise _embedded()
    except DocumentRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken or exotic zip is a refusal, never a 500
        raise DocumentRefused(UNSUPPORTED_MESSAGE, code="unsupported") from exc
    return CheckedDocument(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
    )


# --- Plain text --------------------------------------------------------------------------------

# Rich text pictures and objects; PostScript (a program that can paint pictures, not a text).
_RTF_PICTURE = re.compile(rb"\\(?:pict|shppict|nonshppict|objdata|objemb|result)\b")


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
    if _contains_media(data):
        raise DocumentRefused(IMAGE_REFUSED_MESSAGE, code="image")
    body = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if body.startswith(b"{\\rtf") and _RTF_PICTURE.search(data):
        raise _embedded()
    if body.startswith(b"%!"):
        raise DocumentRefused(UNSUPPORTED_MESSAGE, code="unsupported")
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


class OversizeUpload(InMemoryUploadedFile):
    """Stands in for an upload that was larger than the limit; its bytes were discarded."""

    oversize = True


def request_max_bytes() -> int:
    """The largest body a form with one document can need: the document at its limit and the
    form's other fields at theirs (DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    return max_document_bytes() + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class BoundedMemoryUploadHandler(FileUploadHandler):
    """Keeps each uploaded file in memory up to the document limit and discards the rest
    as it streams in. Nothing is ever written to a temporary file. A body announced larger
    than any valid form could be is refused before a byte of it is read."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > request_max_bytes():
            # Django answers this with handler400 (ncii_cases.error_views: a 413 page).
            raise RequestDataTooBig(
                f"The request body ({content_length} bytes) is larger than any valid form."
            )
        return None

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
