"""The district's public policy page, the family handout and the Spanish translation.

No sign-in, no case data; English and Spanish, chosen by the browser (Accept-Language) or by
the language switch (a cookie); an unknown district is a 404."""

import importlib
import io

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from pypdf import PdfReader

from ncii_cases.management.commands.compile_translations import (
    REPORTER_FACING_SOURCES,
    catalogs,
    incomplete_entries,
    is_reporter_facing,
)
from ncii_cases.models import AccessEvent, CaseEvent
from policies.models import Resource
from policies.public_text import PUBLIC_DEFINITION_SLUGS, SHIPPED_TEXT
from reporting.handout import public_report_path
from tests.reporting.pdftext import pdf_pages_text

SEED = importlib.import_module("policies.migrations.0002_seed_policy_catalogs")
HOTLINE = "1-800-843-5678"
# The selector's four reads (district, policy version, definitions, resources); an anonymous
# visitor has no session row to read.
PAGE_QUERIES = 4


@pytest.fixture
def contact_district(district):
    district.coordinator_name = "Jordan Avery"
    district.coordinator_title = "Title IX Coordinator"
    district.coordinator_email = "titleix@riverbend-test.example.org"
    district.coordinator_phone = "(555) 010-2000"
    district.coordinator_office = "District Office, Room 2, 1 Main Street"
    district.save()
    return district


def policy_url(district):
    return reverse("public_policy", kwargs={"district": district.slug})


def handout_url(district):
    return reverse("public_policy_handout", kwargs={"district": district.slug})


# --- The translation catalog -------------------------------------------------------------


def test_every_reporter_facing_entry_is_translated_and_none_is_fuzzy():
    """The public pages, the staff report form, the messages, the handout and the error pages
    are complete in Spanish; staff screens may keep an empty msgstr (English shows)."""
    found = catalogs()
    assert [p.parent.parent.name for p in found] == ["es"]
    for po_path in found:
        assert incomplete_entries(po_path) == [], po_path
        po = polib.pofile(str(po_path))
        assert not po.metadata_is_fuzzy
        assert po.metadata["Language"] == "es"
        reporter_facing = [e for e in po if is_reporter_facing(e)]
        assert len(reporter_facing) > 200
        assert all(e.translated() for e in reporter_facing)


def test_each_reporter_facing_source_exists_and_has_catalog_entries():
    """A renamed or moved file would silently drop out of the completeness check."""
    po = polib.pofile(str(settings.BASE_DIR / "locale/es/LC_MESSAGES/django.po"))
    referenced = {path for e in po for path, _line in e.occurrences}
    for pattern in REPORTER_FACING_SOURCES:
        files = [
            p.relative_to(settings.BASE_DIR).as_posix() for p in settings.BASE_DIR.glob(pattern)
        ]
        assert files, pattern
        assert any(f in referenced for f in files), pattern


def test_every_public_page_template_is_reporter_facing():
    """A template built on the public layout is covered by the completeness check."""
    templates = settings.BASE_DIR / "templates"
    public = [
        p.relative_to(settings.BASE_DIR).as_posix()
        for p in templates.rglob("*.html")
        if "reports/public_base.html" in p.read_text(encoding="utf-8")
    ]
    assert public
    for path in public:
        entry = polib.POEntry(msgid="x", occurrences=[(path, "")])
        assert is_reporter_facing(entry), path


def test_the_shipped_catalog_text_is_the_seeded_wording_and_translated():
    """public_text repeats the seeded rows the public pages show; a change of the seed that is
    not carried over would leave the Spanish page in English."""
    seeded = {d["slug"]: d for d in SEED.DEFINITIONS}
    expected = set()
    for slug in PUBLIC_DEFINITION_SLUGS:
        expected |= {seeded[slug]["term"], seeded[slug]["text"]}
    for r in SEED.RESOURCES:
        if not r["is_placeholder"]:
            expected |= {r["name"], r["description"]}
    expected.add("Title IX Coordinator")
    assert set(SHIPPED_TEXT) == expected
    po = polib.pofile(str(settings.BASE_DIR / "locale/es/LC_MESSAGES/django.po"))
    for text in SHIPPED_TEXT:
        entry = po.find(text)
        assert entry is not None and entry.translated(), text


def test_languages_are_english_and_spanish_and_the_locale_middleware_follows_the_session():
    assert [code for code, _ in settings.LANGUAGES] == ["en", "es"]
    middleware = settings.MIDDLEWARE
    locale = middleware.index("django.middleware.locale.LocaleMiddleware")
    assert middleware.index("ncii_cases.middleware.SessionMiddleware") < locale
    assert locale < middleware.index("django.middleware.common.CommonMiddleware")


# --- The policy page ---------------------------------------------------------------------


def test_the_policy_page_in_english_has_the_definitions_contact_report_link_and_resources(
    client, contact_district, django_assert_max_num_queries
):
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(policy_url(contact_district), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Synthetic NCII" in body and "Authentic NCII" in body
    assert f'href="{public_report_path(district_slug=contact_district.slug)}"' in body
    assert 'href="/report/riverbend-test/"' in body
    for text in ("Jordan Avery", "titleix@riverbend-test.example.org", "(555) 010-2000"):
        assert text in body
    for text in (HOTLINE, "takeitdown.ncmec.org", "report.cybertip.org", "stopncii.org", "988"):
        assert text in body
    assert "Placeholder" not in body  # unfilled district contacts are never shown
    assert f'href="{handout_url(contact_district)}"' in body
    assert "no-store" in response["Cache-Control"]
    assert "Accept-Language" in response["Vary"]
    # A public page reads and records nothing of a case: no timeline or access-log row.
    assert not CaseEvent.objects.exists() and not AccessEvent.objects.exists()


def test_the_policy_page_follows_a_spanish_browser(client, contact_district):
    response = client.get(policy_url(contact_district), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")
    assert response.status_code == 200
    assert response["Content-Language"] == "es"
    body = response.content.decode()
    assert '<html lang="es">' in body
    # Strings of the template and the seeded catalog rows, from the compiled catalog.
    assert "Cómo reportar" in body
    assert "Imágenes íntimas sintéticas" in body
    assert "Línea de ayuda del NCMEC, las 24 horas" in body
    assert "Coordinador/a de Título IX" in body
    assert "How to report" not in body
    assert HOTLINE in body and "Jordan Avery" in body


def test_a_district_own_wording_is_shown_as_written(client, district):
    Resource.objects.create(
        district=district,
        slug="district-counseling",
        name="Riverbend counseling line",
        kind=Resource.Kind.COUNSELING,
        phone="(555) 010-3000",
        description="Counselors answer on school days from 7 to 5.",
    )
    body = client.get(policy_url(district), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Riverbend counseling line" in body and "(555) 010-3000" in body


def test_an_unknown_district_is_a_404(client, district):
    assert client.get(reverse("public_policy", kwargs={"district": "nowhere"})).status_code == 404
    response = client.get(reverse("public_policy_handout", kwargs={"district": "nowhere"}))
    assert response.status_code == 404


def test_without_a_coordinator_contact_the_page_says_where_to_ask(client, district):
    district.coordinator_title = ""
    district.save()
    body = client.get(policy_url(district)).content.decode()
    assert "Ask the front office of any school for the Title IX coordinator" in body


def test_the_policy_page_is_read_only(client, district):
    assert client.post(policy_url(district)).status_code == 405


# --- The language switch -----------------------------------------------------------------


def test_the_switch_is_a_plain_form_and_sets_the_language_without_javascript(client, district):
    url = policy_url(district)
    body = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'action="{reverse("set_language")}"' in body
    assert 'name="language" value="es"' in body and f'name="next" value="{url}"' in body
    response = client.post(reverse("set_language"), {"language": "es", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    # The cookie wins over the browser's language from now on.
    body = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="es">' in body and "Cómo reportar" in body


def test_the_switch_never_redirects_to_another_site(client, district):
    response = client.post(
        reverse("set_language"), {"language": "es", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_staff_layout_has_the_switch_and_its_marked_strings(client, coordinator):
    from tests.access.helpers import login_verified

    login_verified(client, coordinator)
    body = client.get(reverse("ncii_cases:home"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert f'action="{reverse("set_language")}"' in body
    assert "Cerrar sesión" in body


# --- The family handout ------------------------------------------------------------------


def handout_pdf(client, district, language):
    response = client.get(handout_url(district), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    return response


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["How to report", "Help outside the district", "Title IX Coordinator"]),
        ("es", ["Cómo reportar", "Ayuda fuera del distrito", "Coordinador/a de Título IX"]),
    ],
)
def test_the_handout_is_one_page_with_hotline_report_link_and_contact(
    client, contact_district, language, words, django_assert_max_num_queries
):
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = handout_pdf(client, contact_district, language)
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = pdf_pages_text(response.content)[0]
    assert HOTLINE in text
    assert "http://testserver/report/riverbend-test/" in text
    for contact in ("Jordan Avery", "titleix@riverbend-test.example.org", "(555) 010-2000"):
        assert contact in text
    for word in words:
        assert word in text
    assert f"family-handout-{language}.pdf" in response["Content-Disposition"]


def test_the_handout_stays_one_page_with_the_longest_contact_fields(client, district):
    district.coordinator_name = "N" * 200
    district.coordinator_title = "T" * 200
    district.coordinator_office = ("Room 9, District Office Building, " * 10)[:300]
    district.coordinator_email = "coordinator@" + "d" * 60 + ".example.org"
    district.coordinator_phone = "9" * 40
    district.save()
    for language in ("en", "es"):
        content = handout_pdf(client, district, language).content
        assert len(PdfReader(io.BytesIO(content)).pages) == 1, language


def test_the_handout_is_cached_per_content_and_a_contact_change_makes_a_new_one(
    client, contact_district, monkeypatch
):
    from reporting import handout

    renders = []
    real = handout.html_pdf_build
    monkeypatch.setattr(handout, "html_pdf_build", lambda html: renders.append(1) or real(html))
    first = handout_pdf(client, contact_district, "en").content
    assert handout_pdf(client, contact_district, "en").content == first
    assert len(renders) == 1
    handout_pdf(client, contact_district, "es")
    assert len(renders) == 2  # another language, another PDF
    contact_district.coordinator_phone = "(555) 010-9999"
    contact_district.save()
    changed = handout_pdf(client, contact_district, "en").content
    assert len(renders) == 3
    assert "(555) 010-9999" in pdf_pages_text(changed)[0]


def test_compile_translations_builds_a_catalog_python_gettext_reads(tmp_path, settings):
    """What scripts/setup.sh does on a fresh machine (no .mo, maybe no GNU gettext)."""
    import gettext
    import shutil

    from django.core.management import call_command

    folder = tmp_path / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(settings.BASE_DIR / "locale/es/LC_MESSAGES/django.po", folder / "django.po")
    settings.LOCALE_PATHS = [tmp_path]
    call_command("compile_translations", "--check", verbosity=0)
    # Readable by the user the web process runs as, not only by whoever compiled it.
    assert (folder / "django.mo").stat().st_mode & 0o777 == 0o644
    catalog = gettext.translation("django", localedir=tmp_path, languages=["es"])
    assert catalog.gettext("How to report") == "Cómo reportar"
    assert catalog.gettext("Synthetic NCII") == "Imágenes íntimas sintéticas"


def _catalog_with(tmp_path, settings, *entries):
    folder = tmp_path / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "es"}
    for entry in entries:
        po.append(entry)
    po.save(str(folder / "django.po"))
    settings.LOCALE_PATHS = [tmp_path]
    return folder


def test_compile_translations_check_names_an_untranslated_reporter_facing_entry(tmp_path, settings):
    from django.core.management import CommandError, call_command

    _catalog_with(
        tmp_path,
        settings,
        polib.POEntry(
            msgid="Send the report",
            msgstr="",
            occurrences=[("templates/ncii_cases/reports/public_report.html", "")],
        ),
    )
    with pytest.raises(CommandError, match="Send the report"):
        call_command("compile_translations", "--check", verbosity=0)


def test_compile_translations_check_names_a_fuzzy_staff_entry(tmp_path, settings):
    from django.core.management import CommandError, call_command

    entry = polib.POEntry(
        msgid="Record the report",
        msgstr="Registrar la denuncia",
        occurrences=[("templates/ncii_cases/intake.html", "")],
        flags=["fuzzy"],
    )
    _catalog_with(tmp_path, settings, entry)
    with pytest.raises(CommandError, match="Record the report"):
        call_command("compile_translations", "--check", verbosity=0)


def test_an_untranslated_staff_entry_passes_the_check_and_shows_in_english(tmp_path, settings):
    import gettext

    from django.core.management import call_command

    folder = _catalog_with(
        tmp_path,
        settings,
        polib.POEntry(
            msgid="Record the report",
            msgstr="",
            occurrences=[("templates/ncii_cases/intake.html", "")],
        ),
        polib.POEntry(
            msgid="How to report",
            msgstr="Cómo reportar",
            occurrences=[("templates/reporting/public_policy.html", "")],
        ),
    )
    call_command("compile_translations", "--check", verbosity=0)
    assert (folder / "django.mo").exists()
    catalog = gettext.translation("django", localedir=tmp_path, languages=["es"])
    assert catalog.gettext("Record the report") == "Record the report"
    assert catalog.gettext("How to report") == "Cómo reportar"
