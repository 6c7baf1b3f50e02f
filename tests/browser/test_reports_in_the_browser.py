"""Reports from anyone in a real browser: a public report with its tracking code and
passphrase, a coordinator's message answered by the reporter, a counselor's staff report, and
the coordinator promoting one report and merging the other into the same case. axe-core checks
every page (WCAG 2.1 AA); the reporter's status page never shows case content.

The public pages are driven by the words in ``TEXT``, one run per language (the reporter's
browser asks for it by Accept-Language): English and Spanish."""

import re

import pytest

from ncii_cases.models import Case, IncomingReport
from tests.browser.helpers import AxeChecked, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {
        "school": "Which school is it about, if you know?",
        "what": "What happened?",
        "anonymous": "Send this report without my name",
        "passphrase": "Choose a passphrase",
        "again": "Type the passphrase again",
        "send": "Send the report",
        "see_now": "See your report now",
        "leave": "Leave this page safely",
        "code": "Tracking code",
        "pass": "Passphrase",
        "open": "Open my report",
        "message": "Your message",
        "send_message": "Send the message",
        "received": "Received",
        "handled": "Being handled",
    },
    "es": {
        "school": "¿De qué escuela se trata, si lo sabes?",
        "what": "¿Qué pasó?",
        "anonymous": "Enviar este reporte sin mi nombre",
        "passphrase": "Elige una frase de acceso",
        "again": "Escribe la frase de acceso otra vez",
        "send": "Enviar el reporte",
        "see_now": "Ver tu reporte ahora",
        "leave": "Salir de esta página de forma segura",
        "code": "Código de seguimiento",
        "pass": "Frase de acceso",
        "open": "Abrir mi reporte",
        "message": "Tu mensaje",
        "send_message": "Enviar el mensaje",
        "received": "Recibido",
        "handled": "En trámite",
    },
}
PASSPHRASE = "green lantern harbor"


def public_report(page, base, check, t: dict) -> str:
    """Sends an anonymous report from the public page and returns the tracking code shown."""
    page.goto(f"{base}/report/riverbend/")
    check(page)
    assert "911" in page.content() and "1-800-843-5678" in page.content()
    page.get_by_label(t["school"]).select_option(label="Riverbend High School")
    page.get_by_label(t["what"]).fill("A picture of a student was shared in a group chat.")
    page.get_by_label(t["anonymous"]).check()
    page.get_by_label(t["passphrase"]).fill(PASSPHRASE)
    page.get_by_label(t["again"]).fill(PASSPHRASE)
    page.get_by_role("button", name=t["send"]).click()
    page.wait_for_url("**/report/riverbend/sent/")
    check(page)
    code = page.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", code)
    page.get_by_role("link", name=t["see_now"]).click()
    page.wait_for_url("**/report/follow/status/")
    check(page)
    assert t["received"] in page.locator("#report-status").inner_text()
    page.get_by_role("button", name=t["leave"]).click()
    page.wait_for_url("**/report/follow/")
    return code


def follow(page, base, check, code: str, t: dict) -> None:
    page.goto(f"{base}/report/follow/")
    check(page)
    page.get_by_label(t["code"]).fill(code.lower())
    page.get_by_label(t["pass"]).fill(PASSPHRASE)
    page.get_by_role("button", name=t["open"]).click()
    page.wait_for_url("**/report/follow/status/")
    check(page)


@pytest.mark.parametrize("language", sorted(TEXT))
def test_reports_from_the_public_and_staff_reach_one_case(live_server, demo, chromium, language):
    t = TEXT[language]
    base = live_server.url
    check = AxeChecked()
    reporter = chromium.new_context(locale=language).new_page()
    staff = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    coordinator = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()

    # An anonymous public report, with its tracking code and passphrase.
    code = public_report(reporter, base, check, t)
    public = IncomingReport.objects.get(source="public")
    assert public.code_display == code

    # A counselor's staff report: "New report" leads to the staff form.
    sign_in(staff, base, "counselor", check)
    staff.get_by_role("link", name="New report").click()
    staff.wait_for_url("**/reports/new/")
    check(staff)
    assert "Do not copy, forward" in staff.content()
    staff.get_by_label("What happened?").fill("A student told me an image of them is shared.")
    staff.get_by_role("button", name="Send the report").click()
    staff.wait_for_url("**/reports/mine/*/")
    check(staff)
    receipt = staff.locator("#receipt-reference").inner_text().strip()
    staff_report = IncomingReport.objects.get(source="staff")
    assert receipt == staff_report.code_display
    assert "Received" in staff.locator("#report-status").inner_text()

    # The coordinator writes to the public reporter, then promotes the staff report and merges
    # the public one into the same case.
    sign_in(coordinator, base, "coordinator", check)
    coordinator.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Incoming reports"
    ).click()
    coordinator.wait_for_url("**/reports/incoming/")
    check(coordinator)
    coordinator.get_by_role("link", name=code).click()
    check(coordinator)
    coordinator.get_by_label("Your message").fill("Thank you. Do you know which app it was?")
    coordinator.get_by_role("button", name="Send to the reporter").click()
    coordinator.wait_for_load_state("load")

    follow(reporter, base, check, code, t)
    assert "Do you know which app it was?" in reporter.content()
    reporter.get_by_label(t["message"]).fill("It was a photo-sharing app.")
    reporter.get_by_role("button", name=t["send_message"]).click()
    reporter.wait_for_load_state("load")
    assert "It was a photo-sharing app." in reporter.content()

    coordinator.goto(f"{base}/reports/incoming/{staff_report.pk}/")
    check(coordinator)
    coordinator.get_by_label("School of the new case").select_option(label="Riverbend High School")
    coordinator.get_by_label("Short label").fill("Image shared in a group chat")
    coordinator.get_by_role("button", name="Open a case from this report").click()
    coordinator.wait_for_url("**/cases/*/")
    case = Case.objects.get(incoming_reports=staff_report)
    assert "opened this case from the incoming report" in coordinator.content()

    coordinator.goto(f"{base}/reports/incoming/{public.pk}/")
    assert "It was a photo-sharing app." in coordinator.content()
    coordinator.get_by_label("Case of the same incident").select_option(value=str(case.pk))
    coordinator.get_by_role("button", name="Add to this case").click()
    coordinator.wait_for_url(f"**/cases/{case.pk}/")
    assert "added the incoming report" in coordinator.content()
    public.refresh_from_db()
    assert public.case_id == case.pk

    # The reporter sees "being handled" and nothing of the case.
    reporter.reload()
    check(reporter)
    assert t["handled"] in reporter.locator("#report-status").inner_text()
    for secret in (case.reference, case.title):
        assert secret not in reporter.content()
    staff.goto(f"{base}/reports/mine/")
    check(staff)
    assert "Being handled" in staff.content() and case.reference not in staff.content()
