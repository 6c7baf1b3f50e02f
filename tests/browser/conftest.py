"""Browser tests: real Chromium (Debian's) driven by Playwright against pytest-django's live
server, with axe-core checking every page against WCAG 2.1 AA. Never ``playwright install``:
the browser is the system's."""

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test.utils import override_settings

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def async_unsafe_allowed(monkeypatch):
    """Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    test itself (seeding, reading a TOTP key) are safe because nothing else uses that loop.
    Set for browser tests only, so that no other test (nor a subprocess) inherits it."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def live_server():
    """pytest-django's live server, started with a MEDIA_URL: the project sets none (private
    files are never served by URL), and Django's test server cannot start its media handler
    without one. Nothing is served under it."""
    from pytest_django.live_server_helper import LiveServer

    with override_settings(MEDIA_URL="/private-files-are-not-served/"):
        server = LiveServer(os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost")
    yield server
    server.stop()


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    from tests.reachable import chromium_path

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=chromium_path() or "/usr/bin/chromium", args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


@pytest.fixture
def tab(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def demo(transactional_db):
    """The demo district of ``seed_demo``, on the catalogs the migrations seeded (written
    back after every transactional test's flush: ``tests.conftest.pytest_runtest_teardown``)."""
    with override_settings(DEBUG=True):
        call_command("seed_demo", "--size", "0", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
