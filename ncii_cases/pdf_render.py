"""Rendering the project's own documents to PDF with WeasyPrint, locked down: the low-level
renderer every PDF goes through (``html_pdf_build``), and the two documents of case work that
need nothing else, a takedown notice (``notice_pdf_render``) and a letter from a template
(``letter_pdf_render``). The case summary, its watermark and the other reports are built
above, in ``reporting.pdf``, on ``html_pdf_build``; nothing here reads the database.

WeasyPrint fetches every URL a document names (stylesheets, fonts, images) through a URL
fetcher; its default one opens file://, http(s)://, data: URLs and follows redirects, which
would let text in a document read local files or reach internal services. The fetcher here
serves only the project's own static assets under the private scheme ``nciistatic:`` (such
as ``nciistatic:css/pdf.css``), found by the staticfiles finders inside STATICFILES_DIRS,
and refuses everything else. Fonts and CSS are bundled in ``static/``; user text reaches the
template as data and is escaped by Django's autoescaping.
"""

import mimetypes
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Letters only: collectstatic's hashing storage leaves URLs of such a scheme alone in pdf.css.
SCHEME = "nciistatic"
PREFIX = f"{SCHEME}:"
# What a document may load: stylesheets and fonts, nothing else (no images).
ASSET_TYPES = {".css": "text/css", ".ttf": "font/ttf", ".otf": "font/otf", ".woff2": "font/woff2"}
MAX_ASSET_BYTES = 5 * 1024 * 1024
# Tagged PDF for screen readers (PDF/UA-1, ISO 14289-1): a structure tree of headings,
# paragraphs, lists and tables with header cells, the document language and its title.
PDF_VARIANT = "pdf/ua-1"


class AssetRefused(ValueError):
    """A document named a URL that the PDF renderer does not serve."""


def static_asset_path(url: str) -> Path:
    """Returns the file behind an ``nciistatic:`` URL, or raises AssetRefused for any other
    URL, any path that is not a plain relative path to an allowed kind of file, and any file
    outside the project's static folders."""
    if not isinstance(url, str) or not url.startswith(PREFIX):
        raise AssetRefused(f"Only {PREFIX} URLs are served to the PDF renderer.")
    relative = url[len(PREFIX) :]
    if (
        not relative
        or any(ch in relative for ch in "?#%\\\x00:")
        or relative.startswith("/")
        or any(part in ("", ".", "..") for part in relative.split("/"))
    ):
        raise AssetRefused("Not a plain path to a static asset.")
    suffix = PurePosixPath(relative).suffix.lower()
    if suffix not in ASSET_TYPES:
        raise AssetRefused("The PDF renderer loads only stylesheets and fonts.")
    found = finders.find(relative)
    if not found:
        raise AssetRefused("No such static asset.")
    path = Path(found).resolve()
    roots = [Path(d).resolve() for d in settings.STATICFILES_DIRS]
    if not any(path.is_relative_to(root) for root in roots) or not path.is_file():
        raise AssetRefused("Not one of the project's own static assets.")
    if path.stat().st_size > MAX_ASSET_BYTES:
        raise AssetRefused("Static asset too large.")
    return path


class StaticOnlyURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that answers ``nciistatic:`` URLs from the project's static
    assets and raises AssetRefused for everything else: it opens no file:// URL, makes no
    network request and follows no redirect (it has no HTTP handler at all)."""

    def __init__(self):
        super().__init__(timeout=1, allowed_protocols=(SCHEME,), allow_redirects=False)
        # No handler may ever open anything: this fetcher reads files itself.
        self.handlers = []
        self.handle_open = {}
        self.handle_error = {}
        self.process_request = {}
        self.process_response = {}

    def fetch(self, url, headers=None):
        path = static_asset_path(url)
        content_type = ASSET_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path)[0]
        return URLFetcherResponse(
            url, path.read_bytes(), headers={"Content-Type": content_type or "text/plain"}
        )

    def open(self, url, data=None, timeout=None):
        full_url = getattr(url, "full_url", url)
        return self.fetch(full_url)


@dataclass(frozen=True)
class RenderedPdf:
    """A rendered PDF: its bytes and its number of pages."""

    content: bytes
    pages: int


def html_pdf_build(html: str) -> RenderedPdf:
    """Renders a document of the project's own templates to a tagged PDF (PDF/UA-1) through
    the locked-down fetcher: it may load ``nciistatic:`` stylesheets and fonts and nothing
    else. Returns the bytes and the page count."""
    document = HTML(string=html, url_fetcher=StaticOnlyURLFetcher()).render(
        pdf_variant=PDF_VARIANT, pdf_tags=True
    )
    content = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)
    return RenderedPdf(content=content, pages=len(document.pages))


def notice_pdf_render(letter) -> bytes:
    """Renders a takedown notice letter (``ncii_cases.services.takedown_notices.NoticeLetter``)
    to PDF bytes through the same locked-down fetcher: a pure function, no image, no request.
    The PDF prints the letter's sections and nothing else, so its text is the paste-in text."""
    html = render_to_string(
        "ncii_cases/takedown_notice_pdf.html",
        {"letter": letter, "stylesheet": f"{PREFIX}css/notice.css"},
    )
    return html_pdf_build(html).content


def letter_paragraphs(body: str) -> list[str]:
    """The body's paragraphs (separated by blank lines), each keeping its line breaks."""
    return [p.strip("\n") for p in body.replace("\r\n", "\n").split("\n\n") if p.strip()]


def letter_pdf_render(*, subject: str, body: str, language: str) -> bytes:
    """Renders a letter from a template (``ncii_cases.services.letters``) to PDF bytes through
    the locked-down fetcher: the subject as its heading and the body's paragraphs, nothing
    else, so its text is the letter's stored text. ``language``: the document's language
    (en, es), for screen readers. A pure function: no database, no request, no image."""
    html = render_to_string(
        "ncii_cases/letters/letter_pdf.html",
        {
            "subject": subject,
            "paragraphs": letter_paragraphs(body),
            "language": language,
            "stylesheet": f"{PREFIX}css/notice.css",
        },
    )
    return html_pdf_build(html).content
