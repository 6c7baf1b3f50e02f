#!/usr/bin/env python3
"""Saves the README's screenshots (docs/screens/*.png) from the demo's fictional data: a fresh
SQLite demo (``seed_demo --size N``) served on a free loopback port, the demo coordinator
signed in with both factors, and Debian's Chromium at 1366 px and 390 px wide.

Shots: the case page, the queue, the case page's to-do panel (an element shot), a letter
preview (the case's letters page, a kind and a recipient, the compose page's preview) and the
analytics page. The to-do panel and the letter preview are found by the constants below; when
a page has no such element or link, that shot is skipped with a warning (the others are still
taken) and the script still exits 0.

Usage: ``scripts/screens.sh [--size N] [--out DIR]`` (or this file with the venv's python).
"""

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_browser import ROOT, DemoServer, launch, log, sign_in  # noqa: E402

WIDTHS = (1366, 390)
HEIGHT = {1366: 900, 390: 844}
# The case shown: the demo's scenario S1, at interim actions (measures, takedowns, reports).
CASE_TITLE = "Group chat 'nudify' images of ninth graders"
# The case page's to-do panel for the current stage (an element screenshot).
TODO_PANEL_SELECTOR = "section#todo"
# The letter previewed: the case's letters page (relative to the case page's URL), the kind's
# heading there, the recipient's link under it, and the compose page's preview section.
LETTERS_PATH = "letters/"
LETTER_KIND = "Notice of allegations"
LETTER_RECIPIENT_LINK = re.compile(r"^To ")
LETTER_PREVIEW_SELECTOR = "main"
QUEUE_PATH = "/"
ANALYTICS_PATH = "/reporting/analytics/"


def shoot(page, path: Path, *, element=None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if element is not None:
        element.screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=True)
    log(f"  saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def case_url(page, base: str) -> str:
    """The case page of ``CASE_TITLE``: the queue row naming it, searched by its words when
    it is not on the first page, and the row's link."""
    page.goto(f"{base}{QUEUE_PATH}")
    rows = page.get_by_role("row").filter(has_text=CASE_TITLE)
    if not rows.count():
        page.get_by_label(re.compile(r"^Reference or name")).fill("nudify")
        page.get_by_role("button", name="Show cases").click()
        page.wait_for_load_state("load")
        rows = page.get_by_role("row").filter(has_text=CASE_TITLE)
    rows.first.get_by_role("link").first.click()
    page.wait_for_load_state("load")
    return page.url.split("#")[0]


def letter_preview(page, case_page_url: str):
    """The compose page of the first recipient offered for ``LETTER_KIND`` on the case's
    letters page, opened as a person does (the kind's heading, the "To …" link under it); the
    locator of its ``LETTER_PREVIEW_SELECTOR`` element, or None when the letters page offers
    no recipient for that kind."""
    page.goto(f"{case_page_url.rstrip('/')}/{LETTERS_PATH}")
    page.wait_for_load_state("load")
    heading = page.get_by_role("heading", name=LETTER_KIND, exact=True)
    if not heading.count():
        return None
    recipients = heading.first.locator(
        "xpath=following-sibling::ul[contains(@class, 'letter-recipients')][1]"
    ).get_by_role("link", name=LETTER_RECIPIENT_LINK)
    if not recipients.count():
        return None
    recipients.first.click()
    page.wait_for_load_state("load")
    preview = page.locator(LETTER_PREVIEW_SELECTOR)
    return preview.first if preview.count() else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=None, help="Generated cases (seed_demo).")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    size = args.size
    if size is None:
        from_default = re.search(
            r"DEFAULT_SIZE = (\d+)",
            (ROOT / "ncii_cases" / "management" / "demo_generated.py").read_text(),
        )
        size = int(from_default.group(1))
    missing = []
    with DemoServer(size=size) as server, sync_playwright() as playwright:
        browser = launch(playwright)
        signed_in = None  # one sign-in (a TOTP code is accepted once), its session reused
        for width in WIDTHS:
            log(f"At {width} px:")
            context = browser.new_context(
                viewport={"width": width, "height": HEIGHT[width]}, storage_state=signed_in
            )
            page = context.new_page()
            page.set_default_timeout(60000)
            if signed_in is None:
                sign_in(page, server, "coordinator")
                signed_in = context.storage_state()
            page.goto(f"{server.url}{QUEUE_PATH}")
            shoot(page, args.out / f"queue-{width}.png")
            url = case_url(page, server.url)
            shoot(page, args.out / f"case-page-{width}.png")
            panel = page.locator(TODO_PANEL_SELECTOR)
            if panel.count():
                shoot(page, args.out / f"todo-panel-{width}.png", element=panel.first)
            else:
                missing.append(f"to-do panel ({TODO_PANEL_SELECTOR}) at {width} px")
            preview = letter_preview(page, url)
            if preview is not None:
                shoot(page, args.out / f"letter-preview-{width}.png", element=preview)
            else:
                missing.append(f"letter preview ({LETTER_KIND}, {LETTERS_PATH}) at {width} px")
            page.goto(f"{server.url}{ANALYTICS_PATH}")
            page.wait_for_load_state("load")
            shoot(page, args.out / f"analytics-{width}.png")
            context.close()
        browser.close()
    for what in missing:
        log(f"WARNING: skipped the {what}: not on the page yet.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
