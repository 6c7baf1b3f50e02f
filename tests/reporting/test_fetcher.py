"""The PDF renderer is locked down: its URL fetcher serves the project's own stylesheets and
fonts and nothing else, and text typed into a case is printed as text."""

import datetime as dt
import http.server
import threading

import pytest
from weasyprint import HTML

from ncii_cases.models import Case
from ncii_cases.pdf_render import AssetRefused, StaticOnlyURLFetcher
from reporting.pdf import summary_pdf_render
from reporting.summary import case_summary_for_user
from tests.reporting.pdftext import pdf_pages_text


@pytest.fixture
def fetcher():
    return StaticOnlyURLFetcher()


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.org/style.css",
        "data:text/css,body{color:red}",
        "ftp://example.org/x.css",
        "/etc/passwd",
        "css/pdf.css",
        "nciistatic:../../config/settings/base.py",
        "nciistatic:css/../../config/settings/base.py",
        "nciistatic:/etc/passwd",
        "nciistatic:%2e%2e/config/settings/base.py",
        "nciistatic:css\\..\\..\\manage.py",
        "nciistatic:js/htmx.min.js",  # not a stylesheet or a font
        "nciistatic:css/missing.css",
        "nciistatic:file:///etc/passwd",
    ],
)
def test_fetcher_refuses_everything_but_bundled_css_and_fonts(fetcher, url):
    with pytest.raises(AssetRefused):
        fetcher(url)


def test_fetcher_serves_the_bundled_stylesheet_and_fonts(fetcher):
    css = fetcher("nciistatic:css/pdf.css")
    assert b"@page" in css.read() and css.content_type == "text/css"
    font = fetcher.fetch("nciistatic:fonts/DejaVuSans.ttf")
    assert len(font.read()) > 100_000


class Redirector(http.server.BaseHTTPRequestHandler):
    requests = 0

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).requests += 1
        self.send_response(302)
        self.send_header("Location", "file:///etc/passwd")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def redirect_server():
    Redirector.requests = 0
    server = http.server.HTTPServer(("127.0.0.1", 0), Redirector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_fetcher_never_contacts_a_server_that_redirects_to_a_local_file(fetcher, redirect_server):
    url = f"http://127.0.0.1:{redirect_server.server_port}/style.css"
    with pytest.raises(AssetRefused):
        fetcher(url)
    with pytest.raises(AssetRefused):
        fetcher.open(url)
    # A whole document naming it renders without fetching it either.
    html = f'<link rel="stylesheet" href="{url}"><img src="{url}"><p>Hello</p>'
    pdf = HTML(string=html, url_fetcher=fetcher).write_pdf()
    assert pdf.startswith(b"%PDF")
    assert Redirector.requests == 0


def test_a_document_naming_local_files_renders_without_them(fetcher):
    html = (
        '<link rel="stylesheet" href="file:///etc/passwd">'
        '<p>Before</p><img src="file:///etc/passwd"><iframe src="file:///etc/passwd"></iframe>'
        '<object data="file:///etc/passwd"></object><p>After</p>'
    )
    text = " ".join(pdf_pages_text(HTML(string=html, url_fetcher=fetcher).write_pdf()))
    assert "Before" in text and "After" in text and "root:" not in text


def test_markup_typed_into_a_narrative_is_printed_as_text(case, coordinator):
    typed = "<img src=file:///etc/passwd> <script>alert(1)</script> <b>bold?</b>"
    Case.objects.filter(pk=case.pk).update(narrative=f"Reported: {typed}", title="<i>T</i>")
    summary = case_summary_for_user(user=coordinator, pk=case.pk, profile="internal")
    pdf = summary_pdf_render(
        summary, generated_by=coordinator, generated_at=dt.datetime(2026, 3, 9, tzinfo=dt.UTC)
    )
    text = " ".join(pdf_pages_text(pdf))
    assert "Reported: <img src=file:///etc/passwd> <script>alert(1)</script>" in text
    assert "<b>bold?</b>" in text and "<i>T</i>" in text
    assert "root:" not in text


def test_the_pdf_stylesheet_survives_collectstatic_with_hashed_names(tmp_path, settings):
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        },
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    collected = (tmp_path / "static" / "css" / "pdf.css").read_text()
    assert '@import url("nciistatic:css/pdf_base.css");' in collected
    base = (tmp_path / "static" / "css" / "pdf_base.css").read_text()
    assert 'url("nciistatic:fonts/DejaVuSans.ttf")' in base
