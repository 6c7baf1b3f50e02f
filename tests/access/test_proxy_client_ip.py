"""Behind the district's TLS proxy, sign-in lockouts and the access log use the client's
address from X-Forwarded-For (as many entries from the right as there are trusted proxies),
never the proxy's own address."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from ncii_cases.access_log import client_ip
from ncii_cases.models import AccessEvent
from ncii_cases.network import client_ip_address
from tests.access.helpers import login_verified

PASSWORD = "correct-horse-battery-staple"
PROXY = "172.18.0.5"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def via_proxy(client, username, password, client_address):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=client_address,
    )


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.9", PROXY),  # no trusted proxy: the header is the client's own words
        (1, "", PROXY),  # did not pass the proxy: its address stands
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a forged left entry is ignored
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "203.0.113.9", PROXY),  # too short for two proxies
        (1, "not-an-address", PROXY),
    ],
)
def test_the_client_address_is_read_behind_the_trusted_proxies(
    settings, count, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip_address(request) == expected
    assert client_ip(request) == expected  # the access log asks the same function


def test_behind_the_proxy_lockout_is_per_username_and_client_address(
    client, coordinator, behind_one_proxy
):
    # Given failures for one username from one client, all through the same proxy
    for _ in range(settings.AXES_FAILURE_LIMIT):
        via_proxy(client, "coordinator", "wrong-password", "203.0.113.9")
    # When the same client tries the right password, Then it is paused
    assert via_proxy(client, "coordinator", PASSWORD, "203.0.113.9").status_code == 429
    # And the same username from another client, through the same proxy, still signs in
    response = via_proxy(client, "coordinator", PASSWORD, "198.51.100.7")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login_verify"))


def test_behind_the_proxy_the_access_log_names_the_client(
    client, coordinator, case, behind_one_proxy
):
    login_verified(client, coordinator)
    url = reverse("ncii_cases:case_detail", args=[case.pk])
    client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    entry = AccessEvent.objects.order_by("pk").last()
    assert entry.path == url and entry.ip_address == "203.0.113.9"


def test_production_trusts_one_proxy_by_default_and_reads_the_environment(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.TRUSTED_PROXY_COUNT, s.AXES_CLIENT_IP_CALLABLE)"
    )
    base = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    }
    base.pop("TRUSTED_PROXY_COUNT", None)
    for extra, expected in (({}, "1"), ({"TRUSTED_PROXY_COUNT": "2"}, "2")):
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**base, **extra},
            capture_output=True,
            text=True,
        )
        assert result.stdout.split() == [expected, "ncii_cases.network.client_ip_address"], (
            result.stderr
        )
