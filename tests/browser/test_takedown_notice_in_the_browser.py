"""The TAKE IT DOWN Act notice in Chromium: on the demo case whose minor has a Take It Down
request and a platform request for Snapchat, the board says which row carries the 48-hour
clock; the coordinator prepares the platform's notice, previews it, saves it, and downloads
the PDF. Every page is checked with axe-core. (The board's prompt for a missing platform
request: tests/ncii_cases/test_takedown_notices.py.)"""

import io
import re

import pytest
from pypdf import PdfReader

from ncii_cases.models import Case, TakedownNotice
from tests.browser.helpers import AxeChecked, case_page_link, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TITLE = "Group chat 'nudify' images of ninth graders"


def test_the_platform_notice_from_the_board_in_the_browser(
    live_server, demo, tab, private_root, screenshots
):
    page, base, check = tab, live_server.url, AxeChecked()
    case = Case.objects.get(title=TITLE)
    sign_in(page, base, "coordinator", check)
    page.goto(f"{base}{case.get_absolute_url()}")
    check(page)
    board = page.locator("#takedown-board").inner_text()
    # The demo's Take It Down row runs no clock; its platform's own request (sent) runs one.
    assert "No legal clock: a hash service is not a notice under the Act" in board
    assert "No legal clock runs yet" not in board
    assert "runs only on a covered platform's own route" in board

    case_page_link(page, "Prepare the notice to Snapchat").click()
    check(page)
    page.fill("#id_authorized_by_name", "Robin Guardian")
    page.get_by_role("button", name="Preview the letter").click()
    check(page)
    preview = page.locator(".notice-preview").inner_text()
    assert "Snapchat group chat of about 30 ninth graders" in preview
    assert "Robin Guardian" not in preview
    page.screenshot(path=str(screenshots / "takedown-notice-preview.png"), full_page=True)
    with page.expect_navigation(timeout=60000):
        page.get_by_role("button", name="Save the notice").click()
    # The case page itself, not the notice page under it.
    assert re.search(rf"{re.escape(case.get_absolute_url())}(#.*)?$", page.url), (
        page.url,
        page.locator(".form-errors, .errorlist, [role=alert]").all_inner_texts(),
    )
    check(page)
    assert "The notice to Snapchat is saved" in page.locator("main").inner_text()
    page.locator("#takedowns-h").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "takedown-board-with-notice.png"), full_page=True)

    notice = TakedownNotice.objects.get(case=case)
    with page.expect_download() as download_info:
        case_page_link(page, "PDF of the notice to Snapchat").click()
    content = open(download_info.value.path(), "rb").read()  # noqa: SIM115
    text = " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())
    assert " ".join(notice.text.split()).startswith(text[:200])
