"""Each role's home in a real browser, on the demo district: it shows that role's content,
axe-core finds no WCAG 2.1 AA violation, and every link it shows (the navigation included)
reaches a page: none answers 404 or 403. On a 360 px wide phone no home is wider than the
screen."""

from urllib.parse import urlsplit

import pytest

from tests.browser.helpers import AxeChecked, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# username of the demo, and what its home shows
HOMES = {
    "coordinator": ["Your queue", "Due today", "Cases per school and stage", "Open a new case"],
    "schooladmin": ["Your queue", "Due today", "Cases per school and stage"],
    "investigator": ["Your caseload", "Your open cases and what is due on them"],
    "counselor": ["Your caseload", "Your open cases and what is due on them"],
    "auditor": ["Audit overview", "Latest recorded actions", "Latest access-log entries"],
    "itadmin": ["Accounts and settings", "Roster imports", "Waiting to set up a second factor"],
    "teacher": ["Your reports", "Report a concern"],
}


def _links(page, base_url: str) -> list[str]:
    """The distinct same-site links of the page, without fragments."""
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    seen = []
    for href in hrefs:
        url = href.split("#", 1)[0]
        if url.startswith(base_url) and url not in seen:
            seen.append(url)
    return seen


def test_each_roles_home_shows_its_content_passes_axe_and_links_nowhere_broken(
    live_server, demo, chromium
):
    check = AxeChecked()
    for username, expected in HOMES.items():
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        page = check.watch(context.new_page())
        page.set_default_timeout(20000)
        try:
            sign_in(page, live_server.url, username, check)
            text = page.inner_text("main")
            for words in expected:
                assert words in text, (username, words)
            nav = page.inner_text("header")
            if username == "itadmin":
                assert "Roster import" in nav
            links = _links(page, live_server.url)
            assert links, username
            for url in links:
                response = page.request.get(url, max_redirects=5)
                assert response.status not in (403, 404), (username, url, response.status)
                assert response.status < 500, (username, url, response.status)
            # The home again (the requests above may have changed nothing it shows).
            page.goto(f"{live_server.url}/")
            check(page)
            assert urlsplit(page.url).path == "/"
            # On a 360 px phone the home fits the screen: wide tables scroll in their own box.
            page.set_viewport_size({"width": 360, "height": 800})
            page.reload()
            check(page)  # axe at 360 px too (reflow, WCAG 1.4.10)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, (username, width)
        finally:
            context.close()
    assert len(check.pages) >= 5 * len(HOMES)
    assert check.unchecked() == []
