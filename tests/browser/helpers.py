"""Helpers of the browser tests: signing in with both factors, and checking each page with
axe-core against the WCAG 2.1 AA rules."""

from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ncii_cases.management.commands.seed_demo import demo_password

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_axe = Axe()


class AxeChecked:
    """Runs axe on every page it is given and remembers what it checked; with ``watch`` it
    also remembers every page a tab loaded, so that a test can assert that none was left
    unchecked (``unchecked``)."""

    def __init__(self):
        self.pages: list[str] = []
        self.visited: list[str] = []

    def __call__(self, page) -> None:
        page.wait_for_load_state("load")
        results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
        self.pages.append(page.url)

    def watch(self, page):
        """Remembers each document ``page`` loads (a file download is no document)."""
        page.on("load", lambda loaded: self.visited.append(loaded.url))
        return page

    def unchecked(self) -> list[str]:
        """The documents loaded in a watched tab that axe never checked."""
        return [url for url in dict.fromkeys(self.visited) if url not in self.pages]


def current_code(username: str) -> str:
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:0{device.digits}d}"


def sign_in(page, base_url: str, username: str, check) -> None:
    """Signs the demo user in through both steps, as a person would."""
    page.goto(f"{base_url}/login/")
    check(page)
    page.fill("#id_username", username)
    page.fill("#id_password", demo_password(username))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/login/verify/**")
    check(page)
    page.fill("#id_token", current_code(username))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{base_url}/")
    check(page)  # the home the sign-in lands on
    assert get_user_model().objects.filter(username=username).exists()


def case_page_link(scope, name, *, exact: bool = True, nth: int = 0, role: str = "link"):
    """The link (or other ``role``) named ``name`` in ``scope`` (a page or a locator) on the
    case page, the ``nth`` of them, after choosing the tab of the section that holds it (with
    JavaScript the sections are tabs, and a person chooses the tab before the link in it)."""
    link = scope.get_by_role(role, name=name, exact=exact, include_hidden=True).nth(nth)
    panel = link.evaluate(
        "el => { const p = el.closest('[role=tabpanel]'); return p && p.hidden ? p.id : ''; }"
    )
    if panel:
        page = scope if hasattr(scope, "goto") else scope.page
        page.locator(f"#tab-{panel}").click()
    return link
