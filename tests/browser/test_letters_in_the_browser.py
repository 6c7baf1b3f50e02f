"""Letters from templates in Chromium: on the demo's group-chat case the coordinator opens the
case's letters from the Notices section, prepares the notice of allegations to the
respondent, sees it rendered from the shipped template, changes one line for this letter,
previews the change, sends it and downloads the PDF, whose text is the letter as sent; then
opens the district's templates and one template's editor. Every page is checked with
axe-core."""

import subprocess

import pytest

from ncii_cases.models import Case, CaseEvent, Letter
from tests.browser.helpers import AxeChecked, case_page_link, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TITLE = "Group chat 'nudify' images of ninth graders"
SHIPPED = "You will have enough time to prepare before any interview or meeting."
EDITED = "We will agree the time of any interview or meeting with you and your advisor."


def test_the_coordinator_previews_edits_sends_and_downloads_a_letter(
    live_server, demo, tab, private_root, screenshots
):
    page, base, check = tab, live_server.url, AxeChecked()
    case = Case.objects.get(title=TITLE)
    sign_in(page, base, "coordinator", check)
    page.goto(f"{base}{case.get_absolute_url()}")
    check(page)
    case_page_link(page, "Letters from templates: prepare, preview and send").click()
    check(page)
    allegations = page.locator("h3", has_text="Notice of allegations").locator(
        "xpath=following-sibling::ul[1]"
    )
    allegations.get_by_role("link").filter(has_text="(respondent)").first.click()
    check(page)
    preview = page.locator(".letter-preview").inner_text()
    assert "presumed not responsible" in preview and SHIPPED in preview

    body = page.locator("#id_body")
    body.fill(body.input_value().replace(SHIPPED, EDITED))
    page.get_by_role("button", name="Preview my changes").click()
    check(page)
    assert EDITED in page.locator(".letter-preview").inner_text()
    assert not Letter.objects.exists()
    page.screenshot(path=str(screenshots / "letter-preview.png"), full_page=True)

    with page.expect_navigation(timeout=60000):
        page.get_by_role("button", name="Send: keep the letter and its PDF").click()
    check(page)
    letter = Letter.objects.get(case=case)
    assert page.url.endswith(f"/cases/{case.pk}/letters/{letter.pk}/")
    assert letter.edited and EDITED in letter.body and SHIPPED not in letter.body
    assert "The letter to" in page.locator("main").inner_text()
    assert CaseEvent.objects.filter(case=case, event_type="letter_sent").count() == 1

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the PDF").click()
    content = open(download_info.value.path(), "rb").read()  # noqa: SIM115
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()
    assert " ".join(text.split()) == " ".join(letter.text.split())

    page.goto(f"{base}/letters/templates/")
    check(page)
    page.get_by_role("link", name="No-contact directive").last.click()
    check(page)
    assert "What the letter may use" in page.locator("main").inner_text()
    assert len(check.pages) >= 9
