"""Reading PDFs in tests: the text of each page, with pypdf."""

import io

from pypdf import PdfReader


def pdf_pages_text(content: bytes) -> list[str]:
    """The text of each page, with runs of whitespace made single spaces."""
    reader = PdfReader(io.BytesIO(content))
    return [" ".join(page.extract_text().split()) for page in reader.pages]
