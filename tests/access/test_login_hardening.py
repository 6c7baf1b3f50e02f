"""Sign-in hardening: lockout per username and address, a second factor before any case page,
recovery codes that work once, idle and absolute timeouts, deactivated accounts, CSP, and a
clean ``check --deploy`` with the production settings."""

import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ncii_cases.middleware import LAST_ACTIVITY_KEY, LOGIN_AT_KEY
from ncii_cases.models import AccessEvent
from ncii_cases.services.accounts import user_deactivate
from ncii_cases.services.two_factor import recovery_codes_create
from tests.access.helpers import login_verified

PASSWORD = "correct-horse-battery-staple"  # the factories' password
ROOT = Path(__file__).resolve().parents[2]


def password_step(client, username, password=PASSWORD, ip="10.0.0.1", next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data, REMOTE_ADDR=ip)


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def authenticator(coordinator):
    return TOTPDevice.objects.create(user=coordinator, name="Authenticator app", confirmed=True)


# --- Lockout (django-axes) --------------------------------------------------------------------


def test_repeated_failures_lock_the_username_from_that_address(client, coordinator):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(client, "coordinator", "wrong-password")
    response = password_step(client, "coordinator")  # even the right password
    assert response.status_code == 429
    assert b"Sign-in paused" in response.content
    assert "_auth_user_id" not in client.session


def test_a_locked_username_can_still_sign_in_from_another_address(client, coordinator):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(client, "coordinator", "wrong-password", ip="10.0.0.1")
    response = password_step(client, "coordinator", ip="10.0.0.2")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login_verify"))


def test_fewer_failures_than_the_limit_do_not_lock(client, coordinator):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert password_step(client, "coordinator", "wrong-password").status_code == 200
    assert password_step(client, "coordinator").status_code == 302


# --- Two factors ------------------------------------------------------------------------------


def test_a_password_alone_opens_no_case_page(client, coordinator, case, authenticator):
    password_step(client, "coordinator")
    url = reverse("ncii_cases:case_detail", args=[case.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login_verify')}?next=%2Fcases%2F{case.pk}%2F"
    # The page itself never ran: only the password step is in the log (the personas' role
    # entries are from setting them up).
    actions = AccessEvent.objects.exclude(action="role_change").values_list("action", flat=True)
    assert list(actions) == ["sign_in_password"]
    for name in ("ncii_cases:home", "reporting:audit_review", "admin:index"):
        assert client.get(reverse(name)).status_code == 302


def test_password_then_code_opens_the_case(client, coordinator, case, authenticator):
    url = reverse("ncii_cases:case_detail", args=[case.pk])
    response = password_step(client, "coordinator", next_url=url)
    assert response["Location"] == f"{reverse('login_verify')}?next=%2Fcases%2F{case.pk}%2F"
    response = client.post(
        reverse("login_verify"), {"token": current_code(authenticator), "next": url}
    )
    assert response.status_code == 302 and response["Location"] == url
    assert client.get(url).status_code == 200


def test_a_wrong_code_is_refused_calmly(client, coordinator, authenticator):
    password_step(client, "coordinator")
    response = client.post(reverse("login_verify"), {"token": "000000"})
    assert response.status_code == 200
    assert b"That code did not work" in response.content
    assert client.get(reverse("ncii_cases:home")).status_code == 302


def test_the_admin_also_needs_the_second_factor(client, it_admin):
    TOTPDevice.objects.create(user=it_admin, name="Authenticator app", confirmed=True)
    password_step(client, "itadmin")
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith("/login/verify/")


def test_a_user_without_an_authenticator_enrolls_by_link_and_gets_recovery_codes_once(
    client, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    password_step(client, "coordinator")
    response = client.get(reverse("login_verify"))
    assert response.status_code == 302 and response["Location"] == reverse("login_enroll")
    # The password alone reaches an explanation, never a set-up page
    page = client.get(reverse("login_enroll"))
    assert page.status_code == 200 and b"otpauth://" not in page.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("login_enroll"), {"send_link": "1"})
    (link,) = re.findall(r"https?://\S+/login/enroll/link/\S+/", mailoutbox[-1].body)
    assert client.get(link).status_code == 302
    page = client.get(reverse("login_enroll"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "otpauth://totp/" in body
    assert "<script" not in body and "style=" not in body
    device = TOTPDevice.objects.get(user=coordinator, confirmed=False)
    response = client.post(reverse("login_enroll"), {"token": current_code(device)})
    assert response.status_code == 302 and response["Location"] == reverse("recovery_codes")
    device.refresh_from_db()
    assert device.confirmed
    codes = list(StaticToken.objects.filter(device__user=coordinator).values_list("token", flat=1))
    assert len(codes) == 5
    shown = client.get(reverse("recovery_codes")).content.decode()
    assert all(code in shown for code in codes)
    again = client.get(reverse("recovery_codes")).content.decode()
    assert not any(code in again for code in codes)
    assert client.get(reverse("ncii_cases:home")).status_code == 200


def test_a_recovery_code_works_once(client, coordinator, authenticator):
    code = recovery_codes_create(user=coordinator)[0]
    password_step(client, "coordinator")
    response = client.post(reverse("login_verify"), {"token": code})
    assert response.status_code == 302
    assert client.get(reverse("ncii_cases:home")).status_code == 200
    client.post(reverse("logout"))
    password_step(client, "coordinator")
    response = client.post(reverse("login_verify"), {"token": code})
    assert response.status_code == 200 and b"That code did not work" in response.content
    assert StaticToken.objects.filter(device__user=coordinator).count() == 4


# --- Session timeouts and deactivation --------------------------------------------------------


def age_session(client, key, seconds):
    session = client.session
    session[key] = time.time() - seconds
    session.save()


def test_idle_sessions_end_after_the_configured_time(client, coordinator, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 30 * 60
    login_verified(client, coordinator)
    assert client.get(reverse("ncii_cases:home")).status_code == 200
    age_session(client, LAST_ACTIVITY_KEY, 29 * 60)
    assert client.get(reverse("ncii_cases:home")).status_code == 200  # activity resets it
    age_session(client, LAST_ACTIVITY_KEY, 31 * 60)
    response = client.get(reverse("ncii_cases:home"), follow=True)
    assert response.redirect_chain[0][0].startswith("/login/")
    assert b"signed out after a period without activity" in response.content
    assert client.get(reverse("ncii_cases:home")).status_code == 302


def test_the_idle_limit_is_configurable(client, coordinator, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 60
    login_verified(client, coordinator)
    client.get(reverse("ncii_cases:home"))
    age_session(client, LAST_ACTIVITY_KEY, 90)
    assert client.get(reverse("ncii_cases:home")).status_code == 302


def test_sessions_end_at_the_absolute_limit_even_when_active(client, coordinator):
    login_verified(client, coordinator)
    client.get(reverse("ncii_cases:home"))
    age_session(client, LOGIN_AT_KEY, settings.SESSION_COOKIE_AGE + 1)
    assert client.get(reverse("ncii_cases:home")).status_code == 302


def test_deactivating_a_user_ends_their_sessions(client, coordinator, it_admin):
    login_verified(client, coordinator)
    assert client.get(reverse("ncii_cases:home")).status_code == 200
    assert user_deactivate(actor=it_admin, user=coordinator).sessions == 1
    assert client.get(reverse("ncii_cases:home")).status_code == 302


def test_a_user_deactivated_behind_the_apps_back_is_signed_out_on_the_next_request(
    client, coordinator
):
    login_verified(client, coordinator)
    type(coordinator).objects.filter(pk=coordinator.pk).update(is_active=False)
    assert client.get(reverse("ncii_cases:home")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_deactivating_in_the_admin_ends_the_sessions(client, coordinator, it_admin):
    from django.test import Client

    login_verified(client, coordinator)
    admin_client = Client()
    login_verified(admin_client, it_admin)
    page = admin_client.get(reverse("admin:ncii_cases_user_change", args=[coordinator.pk]))
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "groups": [g.pk for g in coordinator.groups.all()],
            "schools": [],
            "user_permissions": [],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": coordinator.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": coordinator.date_joined.strftime("%H:%M:%S"),
        }
    )
    data.pop("is_active")
    response = admin_client.post(
        reverse("admin:ncii_cases_user_change", args=[coordinator.pk]), data
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    coordinator.refresh_from_db()
    assert not coordinator.is_active
    assert client.get(reverse("ncii_cases:home")).status_code == 302


# --- Content-Security-Policy and deployment settings ------------------------------------------


def test_pages_carry_a_strict_content_security_policy(client, coordinator):
    login_verified(client, coordinator)
    policy = client.get(reverse("ncii_cases:home"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy


def test_no_template_has_inline_script_or_style():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)", text) or re.search(r"\sstyle=", text):
            offenders.append(str(path))
        if re.search(r"\son[a-z]+=", text):
            offenders.append(f"{path} (inline event handler)")
    assert offenders == []


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "AUDIT_HMAC_KEY": secrets.token_hex(32),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_make_cookies_secure_and_send_hsts(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS >= 31536000,"
        " s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_HTTPONLY)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.split() == ["True"] * 5, result.stderr
