"""seed_demo gives every demo user an authenticator and printed one-time recovery codes, so a
first run can sign in; a rerun creates no second device and reprints the unused codes."""

import io
import re

from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ncii_cases.management.commands.seed_demo import USERS, demo_password


def seed() -> str:
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("seed_demo", "--size", "0", stdout=out)
    return out.getvalue()


def printed_codes(out: str, username: str) -> list[str]:
    lines = out.splitlines()
    start = next(
        i
        for i, line in enumerate(lines)
        if line.strip().startswith(f"{username} ") and "key" in line
    )
    codes_line = lines[start + 2]
    return codes_line.split("recovery codes:")[1].split()


def test_every_demo_user_gets_an_authenticator_and_five_recovery_codes(db):
    out = seed()
    for username, *_ in USERS:
        assert TOTPDevice.objects.filter(user__username=username, confirmed=True).count() == 1
        assert len(printed_codes(out, username)) == 5
    assert re.search(r"otpauth://totp/NCII%20case%20manager%3Acoordinator\?secret=", out)


def test_a_rerun_creates_no_device_and_reprints_the_unused_codes(db):
    first = seed()
    second = seed()
    assert TOTPDevice.objects.count() == len(USERS)
    assert StaticDevice.objects.count() == len(USERS)
    assert printed_codes(first, "auditor") == printed_codes(second, "auditor")


def test_new_codes_are_made_only_when_none_is_left(db):
    first = printed_codes(seed(), "auditor")
    StaticToken.objects.filter(device__user__username="auditor").delete()
    second = printed_codes(seed(), "auditor")
    assert len(second) == 5 and not set(first) & set(second)


def test_a_first_run_can_sign_in_with_a_printed_code(db, client):
    out = seed()
    code = printed_codes(out, "coordinator")[0]
    client.post(
        reverse("login"), {"username": "coordinator", "password": demo_password("coordinator")}
    )
    response = client.post(reverse("login_verify"), {"token": code})
    assert response.status_code == 302
    assert client.get(reverse("ncii_cases:home")).status_code == 200
