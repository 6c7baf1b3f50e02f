"""Pictures and videos hidden inside documents, or written out as text, are refused.

Every file here is generated at run time from plain colours and made-up bytes; no picture is
kept in the repository. Each refused case was once accepted; each accepted case is an
ordinary statement that must not be mistaken for a picture."""

import base64
import gzip
import io
import zipfile
import zlib

import pytest

from ncii_cases.uploads import DocumentRefused, check_document
from tests.ncii_cases.test_evidence_uploads import docx, png_plain_color

REFUSED_CODES = {"image", "embedded_image"}


def jpeg_plain_color() -> bytes:
    """A minimal JFIF header and the start of a baseline JPEG: the bytes a sniffer sees."""
    quant = b"\xff\xdb\x00\x43\x00" + bytes([1] * 64)
    frame = b"\xff\xc0\x00\x11\x08\x00\x08\x00\x08\x03\x01\x11\x00\x02\x11\x00\x03\x11\x00"
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + quant
        + frame
        + b"\x00" * 200
        + b"\xff\xd9"
    )


JPEG = jpeg_plain_color()
PNG = png_plain_color()
RGB_PIXELS = bytes((200, 30, 30)) * 4  # 2 x 2, one colour


# --- PDF builders ---------------------------------------------------------------------------


def _pdf(build) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    build(writer, page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stream(writer, data: bytes, **entries):
    from pypdf.generic import NameObject, StreamObject

    stream = StreamObject()
    stream.set_data(data)
    for key, value in entries.items():
        stream[NameObject(f"/{key}")] = value
    return writer._add_object(stream)


def _image_xobject(writer):
    from pypdf.generic import NameObject, NumberObject

    return _stream(
        writer,
        zlib.compress(RGB_PIXELS),
        Type=NameObject("/XObject"),
        Subtype=NameObject("/Image"),
        Width=NumberObject(2),
        Height=NumberObject(2),
        ColorSpace=NameObject("/DeviceRGB"),
        BitsPerComponent=NumberObject(8),
        Filter=NameObject("/FlateDecode"),
    )


def _text_resources():
    from pypdf.generic import DictionaryObject, NameObject

    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    return DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})


def _set_contents(writer, page, content: bytes, resources=None):
    from pypdf.generic import NameObject

    page[NameObject("/Contents")] = _stream(writer, content)
    if resources is not None:
        page[NameObject("/Resources")] = resources


def pdf_with_attachment() -> bytes:
    return _pdf(lambda writer, page: writer.add_attachment("photo.jpg", JPEG))


def pdf_with_file_attachment_annotation() -> bytes:
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    def build(writer, page):
        embedded = _stream(writer, zlib.compress(JPEG), Filter=NameObject("/FlateDecode"))
        filespec = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Filespec"),
                NameObject("/F"): TextStringObject("photo.jpg"),
                NameObject("/EF"): DictionaryObject({NameObject("/F"): embedded}),
            }
        )
        annotation = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/FileAttachment"),
                NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (10, 10, 30, 30)]),
                NameObject("/FS"): writer._add_object(filespec),
            }
        )
        page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])

    return _pdf(build)


def pdf_with_image_in_annotation_appearance() -> bytes:
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

    def build(writer, page):
        appearance = _stream(
            writer,
            b"q 20 0 0 20 0 0 cm /Im1 Do Q",
            Type=NameObject("/XObject"),
            Subtype=NameObject("/Form"),
            BBox=ArrayObject([NumberObject(n) for n in (0, 0, 20, 20)]),
            Resources=DictionaryObject(
                {
                    NameObject("/XObject"): DictionaryObject(
                        {NameObject("/Im1"): _image_xobject(writer)}
                    )
                }
            ),
        )
        annotation = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Stamp"),
                NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (10, 10, 30, 30)]),
                NameObject("/AP"): DictionaryObject({NameObject("/N"): appearance}),
            }
        )
        page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])

    return _pdf(build)


def pdf_with_image_in_nested_form() -> bytes:
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

    def build(writer, page):
        inner = _stream(
            writer,
            b"q 20 0 0 20 0 0 cm /Im1 Do Q",
            Type=NameObject("/XObject"),
            Subtype=NameObject("/Form"),
            BBox=ArrayObject([NumberObject(n) for n in (0, 0, 20, 20)]),
            Resources=DictionaryObject(
                {
                    NameObject("/XObject"): DictionaryObject(
                        {NameObject("/Im1"): _image_xobject(writer)}
                    )
                }
            ),
        )
        outer = _stream(
            writer,
            b"/Fm2 Do",
            Type=NameObject("/XObject"),
            Subtype=NameObject("/Form"),
            BBox=ArrayObject([NumberObject(n) for n in (0, 0, 20, 20)]),
            Resources=DictionaryObject(
                {NameObject("/XObject"): DictionaryObject({NameObject("/Fm2"): inner})}
            ),
        )
        resources = DictionaryObject(
            {NameObject("/XObject"): DictionaryObject({NameObject("/Fm1"): outer})}
        )
        _set_contents(writer, page, b"q /Fm1 Do Q", resources)

    return _pdf(build)


def pdf_with_inline_image() -> bytes:
    content = b"q 20 0 0 20 10 10 cm\nBI /W 2 /H 2 /CS /RGB /BPC 8\nID " + RGB_PIXELS + b"\nEI\nQ\n"
    return _pdf(lambda writer, page: _set_contents(writer, page, content))


def pdf_with_inline_image_in_form() -> bytes:
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

    def build(writer, page):
        form = _stream(
            writer,
            zlib.compress(b"BI /W 2 /H 2 /CS /RGB /BPC 8 ID " + RGB_PIXELS + b" EI"),
            Type=NameObject("/XObject"),
            Subtype=NameObject("/Form"),
            Filter=NameObject("/FlateDecode"),
            BBox=ArrayObject([NumberObject(n) for n in (0, 0, 20, 20)]),
        )
        resources = DictionaryObject(
            {NameObject("/XObject"): DictionaryObject({NameObject("/Fm1"): form})}
        )
        _set_contents(writer, page, b"/Fm1 Do", resources)

    return _pdf(build)


def pdf_with_page_image() -> bytes:
    from pypdf.generic import DictionaryObject, NameObject

    def build(writer, page):
        resources = DictionaryObject(
            {NameObject("/XObject"): DictionaryObject({NameObject("/Im1"): _image_xobject(writer)})}
        )
        _set_contents(writer, page, b"q 20 0 0 20 0 0 cm /Im1 Do Q", resources)

    return _pdf(build)


def text_pdf_with_words() -> bytes:
    from pypdf.generic import NameObject

    content = (
        b"BT /F1 12 Tf 20 150 Td (Statement: the FBI and a student ID; the image data was an "
        b"svg, a data: link, BI ID EI.) Tj ET"
    )

    def build(writer, page):
        _set_contents(writer, page, zlib.compress(content), _text_resources())
        page["/Contents"].get_object()[NameObject("/Filter")] = NameObject("/FlateDecode")

    return _pdf(build)


def escaped(pdf: bytes) -> bytes:
    """The image's /Subtype written with a #-escape, which a byte search does not see but a
    PDF reader decodes (pypdf rebuilds the shifted cross-reference offsets)."""
    assert pdf.count(b"/Subtype /Image") == 1
    return pdf.replace(b"/Subtype /Image", b"/Subtype/Im#61ge")


# --- DOCX builders --------------------------------------------------------------------------


def zip_of(members: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def docx_with_hidden_bytes() -> bytes:
    """JPEG bytes smuggled between two zip entries, listed in no directory."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        out.write(JPEG)
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return out.getvalue()


OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 9000

B64_JPEG = base64.b64encode(JPEG).decode()
B64_PNG = base64.b64encode(PNG).decode()


def wrapped(text: str, width: int) -> str:
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


SVG_DOC = b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9" fill="red"/></svg>'

REFUSED = {
    # PDF
    "pdf-embedded-file": pdf_with_attachment(),
    "pdf-file-attachment-annotation": pdf_with_file_attachment_annotation(),
    "pdf-annotation-appearance-image": pdf_with_image_in_annotation_appearance(),
    "pdf-nested-form-image": pdf_with_image_in_nested_form(),
    "pdf-inline-image": pdf_with_inline_image(),
    "pdf-inline-image-in-form": pdf_with_inline_image_in_form(),
    "pdf-page-image-name-escaped": escaped(pdf_with_page_image()),
    "pdf-annotation-image-name-escaped": escaped(pdf_with_image_in_annotation_appearance()),
    "pdf-nested-form-image-name-escaped": escaped(pdf_with_image_in_nested_form()),
    "pdf-jpeg-appended": text_pdf_with_words() + JPEG,
    # DOCX
    "docx-ole-object-with-jpeg": docx({"word/embeddings/oleObject1.bin": OLE_HEADER + JPEG}),
    "docx-nested-zip-with-jpeg": docx({"word/embeddings/pkg.zip": zip_of({"a.jpg": JPEG})}),
    "docx-nested-zip-named-xml": docx({"word/extra.xml": zip_of({"a.jpg": JPEG})}),
    "docx-compressed-svg": docx({"word/embeddings/drawing.svgz": gzip.compress(SVG_DOC)}),
    "docx-emf-outside-media": docx(
        {"word/drawing1.emf": b"\x01\x00\x00\x00" + b"\x00" * 36 + b" EMF" + b"\x00" * 40}
    ),
    "docx-wmf-in-custom-xml": docx({"customXml/item9.wmf": b"\xd7\xcd\xc6\x9a\x00\x00" * 8}),
    "docx-raw-jpeg-in-xml-part": docx({"word/extra.xml": JPEG}),
    "docx-svg-in-xml-part": docx({"word/extra.xml": SVG_DOC}),
    "docx-base64-jpeg-in-xml": docx(
        {"customXml/item1.xml": f'<?xml version="1.0"?><photo>{B64_JPEG}</photo>'}
    ),
    "docx-base64-png-wrapped-in-xml": docx(
        {"word/footnotes.xml": f"<?xml version='1.0'?><w:t>{wrapped(B64_PNG, 60)}</w:t>"}
    ),
    "docx-thumbnail": docx({"docProps/thumbnail.jpeg": JPEG}),
    "docx-hidden-bytes-between-entries": docx_with_hidden_bytes(),
    "docx-folder-entry-with-bytes": docx({"word/media/": JPEG}),
    # Text picture formats
    "netpbm-p1": b"P1\n2 2\n0 1\n1 0\n",
    "netpbm-p2": b"P2\n# a comment\n2 2\n255\n0 10 20 30\n",
    "netpbm-p3": b"P3\n2 2\n255\n255 0 0  255 0 0\n255 0 0  255 0 0\n",
    "netpbm-p4": b"P4\n8 2\n\x0f\x0f",
    "netpbm-p5": b"P5 2 2 255\nAAAA",
    "netpbm-p6": b"P6\n1 1\n255\n\x10\x20\x30",
    "netpbm-after-prose": b"My statement.\nP3\n1 1\n255\n200 30 30\n",
    "xpm": b'/* XPM */\nstatic char *x[] = {"1 1 1 1", "a c #FF0000", "a"};\n',
    "xbm": b"#define x_width 8\n#define x_height 1\nstatic char x_bits[] = {0xff};\n",
    # Encoded pictures
    "base64-png": B64_PNG.encode(),
    "base64-jpeg": B64_JPEG.encode(),
    "base64-jpeg-wrapped-76": wrapped(B64_JPEG, 76).encode(),
    "base64-png-in-prose": b"Here it is: " + B64_PNG.encode() + b" as sent.",
    "base64-png-urlsafe": base64.urlsafe_b64encode(PNG),
    "base64-png-shifted": b"xy" + B64_PNG.encode(),
    "base64-svg": base64.b64encode(SVG_DOC),
    "hex-png": PNG.hex().encode(),
    "hex-jpeg-spaced": " ".join(f"{b:02x}" for b in JPEG).encode(),
    # SVG and data: URIs
    "svg-namespace-prefix": b'<s:svg xmlns:s="http://www.w3.org/2000/svg"><s:rect/></s:svg>',
    "svg-mid-text": b"Notes follow.\n" * 400 + SVG_DOC,
    "html-data-uri-spaced": b'<html><img src="DATA: Image/PNG;base64,AAAA"></html>',
    "html-data-uri-video": b"<video src='data:video/mp4;base64,AAAA'></video>",
    "sixel": b"\x1bPq#0;2;100;0;0#0~~~~\x1b\\",
}


@pytest.mark.parametrize("data", list(REFUSED.values()), ids=list(REFUSED))
def test_a_hidden_or_encoded_picture_is_refused(data):
    with pytest.raises(DocumentRefused) as info:
        check_document(data)
    assert info.value.code in REFUSED_CODES


def word_document(body: str) -> bytes:
    return zip_of(
        {
            "[Content_Types].xml": '<?xml version="1.0"?><Types/>',
            "_rels/.rels": '<?xml version="1.0"?><Relationships/>',
            "docProps/core.xml": '<?xml version="1.0"?><cp:coreProperties/>',
            "docProps/app.xml": '<?xml version="1.0"?><Properties/>',
            "word/_rels/document.xml.rels": '<?xml version="1.0"?><Relationships/>',
            "word/styles.xml": '<?xml version="1.0"?><w:styles/>',
            "word/settings.xml": '<?xml version="1.0"?><w:settings><w:rsids><w:rsidRoot '
            'w:val="00A1B2C3"/></w:rsids></w:settings>',
            "word/theme/theme1.xml": '<?xml version="1.0"?><a:theme name="Office"/>',
            "word/fontTable.xml": '<?xml version="1.0"?><w:fonts/>',
            "word/document.xml": '<?xml version="1.0"?><w:document><w:body><w:p><w:r><w:t>'
            + body
            + "</w:t></w:r></w:p></w:body></w:document>",
        }
    )


PROSE = (
    "Witness statement, 3 March. I saw the messages on Monday in the P3 group chat. The image "
    "was described to me; nobody showed me any picture. Someone said the data was saved as an "
    "svg file or a data: link on a website, and that the video was deleted. Student ID 4471, "
    "code aGVsbG8=, reference /home/office/statements/2026/march, hash "
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08. "
    "#define is not something I know about. data: images and video: none were kept."
)

ACCEPTED = {
    "pdf-text": (text_pdf_with_words(), "application/pdf"),
    "docx-text": (
        word_document(PROSE.replace("&", "&amp;")),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "docx-minimal": (
        docx(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "txt-prose": (PROSE.encode(), "text/plain"),
    "txt-prose-bom-crlf": (("\ufeff" + PROSE.replace(". ", ".\r\n")).encode(), "text/plain"),
    "txt-long": ((PROSE + "\n").encode() * 2000, "text/plain"),
}


@pytest.mark.parametrize(("data", "content_type"), list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_an_ordinary_statement_is_accepted(data, content_type):
    assert check_document(data).content_type == content_type


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\n1 0 obj <</Type /Catalog", b"%PDF-1.4\n" + b"\xde\xad" * 50],
    ids=["truncated", "garbage"],
)
def test_a_damaged_pdf_is_refused_not_crashed_on(data):
    with pytest.raises(DocumentRefused) as info:
        check_document(data)
    assert info.value.code == "damaged"


def test_a_docx_with_a_part_beyond_the_expanded_limit_is_refused(monkeypatch):
    monkeypatch.setattr("ncii_cases.uploads.MAX_DOCX_EXPANDED_BYTES", 1000)
    with pytest.raises(DocumentRefused) as info:
        check_document(docx({"word/styles.xml": "<w:styles/>" + " " * 2000}))
    assert info.value.code == "unsupported"


def test_one_document_per_request():
    from django.conf import settings

    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 1
