"""The review of a redacted summary in a real browser, as a coordinator does it: request it
from the case, see the marks, redact a flagged name with one click, approve, download; the
released PDF read back names no party. axe-core checks the review page (WCAG 2.1 AA)."""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.utils import timezone
from pypdf import PdfReader

from ncii_cases import choices as c
from ncii_cases.models import User
from ncii_cases.services.cases import PartyInput, case_intake
from tests.browser.helpers import AxeChecked, case_page_link, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARRATIVE = (
    "The student said the photo was shared in the group chat. Sam Rivera saw it. "
    "Ms. Okonkwo took the phone to the office."
)


def test_a_coordinator_reviews_and_releases_a_redacted_summary(
    live_server, demo, tab, private_root, screenshots
):
    coordinator = User.objects.get(username="coordinator")
    case = case_intake(
        actor=coordinator,
        school=coordinator.district.schools.first(),
        title="Photo shared in a group chat",
        narrative=NARRATIVE,
        reported_at=timezone.now() - dt.timedelta(hours=1),
        reported_by_name="the teacher",
        # Typed into the intake's free text for people not known by name.
        people=[
            PartyInput(
                role=c.PartyRole.DEPICTED,
                description="Sam Rivera, 8th grade",
                is_minor=True,
                affiliation=c.Affiliation.STUDENT,
            )
        ],
    )
    page, check = tab, AxeChecked()
    sign_in(page, live_server.url, "coordinator", check)

    # Request: from the case page's PDF section
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    case_page_link(page, "Prepare a redacted summary for release", role="button").click()
    page.wait_for_url(re.compile(r".*/redaction/\d+/$"))
    check(page)
    preview = page.locator(".preview-body")
    assert preview.locator("mark.redaction-name").first.inner_text() == "Complainant"
    assert "Sam" not in preview.inner_text() and "Rivera" not in preview.inner_text()
    assert "The student said the photo was shared in the group chat." in preview.inner_text()
    assert preview.locator("mark.candidate", has_text="Okonkwo").count() >= 1

    # Mark a candidate: one click redacts it everywhere
    page.get_by_role("button", name="Redact Okonkwo").click()
    page.wait_for_load_state("load")
    assert "Nothing is left to decide." in page.content()
    assert "Okonkwo" not in page.locator(".preview-body").inner_text()
    page.screenshot(path=str(screenshots / "redaction-review.png"), full_page=True)
    check(page)

    # Approve: the PDF is made, and listed on the case page
    page.get_by_role("button", name="Approve and release the redacted PDF").click()
    page.wait_for_load_state("load")
    assert "approved for release" in page.content()
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    with page.expect_download() as download_info:
        case_page_link(page, "Download PDF").click()
    content = Path(download_info.value.path()).read_bytes()

    # The released file names no party and keeps the ordinary words
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    for identifier in ("Sam", "Rivera", "Okonkwo"):
        assert not re.search(identifier, text, re.IGNORECASE), identifier
    assert "Complainant saw it" in text and "the teacher" in text
    assert "Ms. [withheld] took the phone" in text
    assert "/StructTreeRoot" in reader.trailer["/Root"]
