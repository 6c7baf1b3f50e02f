"""Behind the district's TLS proxy, sign-in lockouts and the access log use the client's
address from X-Forwarded-For, believed only from trusted proxies (TRUSTED_PROXIES, CIDRs) and
read from the right past them; never the proxy's own address, never an address a client
chose. Lockouts also count failures per username alone, so guessing from rotating addresses is
limited."""

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
def behind_the_proxy(settings):
    settings.TRUSTED_PROXIES = ["172.18.0.0/16", "10.0.0.0/8"]


def via(client, username, password, client_address, peer=PROXY):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=peer,
        HTTP_X_FORWARDED_FOR=client_address,
    )


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "expected"),
    [
        ([], PROXY, "203.0.113.9", PROXY),  # no trusted proxy: the header is the client's words
        (["172.18.0.0/16"], PROXY, "", PROXY),  # did not pass a proxy: its address stands
        (["172.18.0.0/16"], PROXY, "203.0.113.9", "203.0.113.9"),
        (["172.18.0.0/16"], PROXY, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # forged left entry
        # two proxies, the inner one (10.0.0.2) trusted too: skipped from the right
        (["172.18.0.0/16", "10.0.0.0/8"], PROXY, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        # a client that reaches the application directly is the client, whatever it says
        (["172.18.0.0/16"], "198.51.100.1", "10.0.0.9", "198.51.100.1"),
        # every entry a trusted proxy: the leftmost is the nearest address known
        (["10.0.0.0/8", "172.18.0.0/16"], PROXY, "10.0.0.3, 10.0.0.2", "10.0.0.3"),
        (["172.18.0.0/16"], PROXY, "not-an-address", PROXY),
        (["172.18.0.5"], PROXY, "2001:db8::1", "2001:db8::1"),  # a single address, IPv6 client
    ],
)
def test_the_client_address_is_read_past_the_trusted_proxies(
    settings, trusted, peer, forwarded, expected
):
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip_address(request) == expected
    assert client_ip(request) == expected  # the access log asks the same function


def test_behind_the_proxy_lockout_is_per_username_and_client_address(
    client, coordinator, behind_the_proxy
):
    # Given failures for one username from one client, all through the same proxy
    for _ in range(settings.AXES_FAILURE_LIMIT):
        via(client, "coordinator", "wrong-password", "203.0.113.9")
    # When the same client tries the right password, Then it is paused
    assert via(client, "coordinator", PASSWORD, "203.0.113.9").status_code == 429
    # And the same username from another client, through the same proxy, still signs in
    response = via(client, "coordinator", PASSWORD, "198.51.100.7")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login_verify"))


def test_rotating_forwarded_addresses_from_an_untrusted_peer_lock_the_username(
    client, coordinator, behind_the_proxy
):
    # Given an attacker who reaches the application directly (not a trusted proxy) and sends
    # a new X-Forwarded-For with each of twenty wrong passwords
    attacker = "198.51.100.66"
    for n in range(20):
        via(client, "coordinator", "wrong-password", f"203.0.113.{n}", peer=attacker)
    # Then every failure counted against the attacker's own address, and the account is paused
    assert via(client, "coordinator", PASSWORD, "203.0.113.200", peer=attacker).status_code == 429
    entries = AccessEvent.objects.filter(action="sign_in_failed")
    assert set(entries.values_list("ip_address", flat=True)) == {attacker}


def test_guessing_spread_over_many_real_addresses_locks_the_username(
    client, coordinator, behind_the_proxy, settings
):
    # Given twenty wrong passwords from twenty different clients, through the trusted proxy
    assert settings.AXES_USERNAME_FAILURE_LIMIT == 20
    statuses = [
        via(client, "coordinator", "wrong-password", f"203.0.113.{n}").status_code
        for n in range(20)
    ]
    # Then the twentieth failure pauses the username ...
    assert statuses == [200] * 19 + [429]
    # ... from any address, even with the right password
    assert via(client, "coordinator", PASSWORD, "192.0.2.99").status_code == 429
    assert AccessEvent.objects.filter(action="sign_in_locked").exists()
    # And another account is not affected
    assert via(client, "other", "wrong-password", "192.0.2.99").status_code == 200


def test_nineteen_spread_failures_do_not_lock_the_username(client, coordinator, behind_the_proxy):
    for n in range(19):
        via(client, "coordinator", "wrong-password", f"203.0.113.{n}")
    response = via(client, "coordinator", PASSWORD, "192.0.2.99")
    assert response.status_code == 302


def test_behind_the_proxy_the_access_log_names_the_client(
    client, coordinator, case, behind_the_proxy
):
    login_verified(client, coordinator)
    url = reverse("ncii_cases:case_detail", args=[case.pk])
    client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    entry = AccessEvent.objects.order_by("pk").last()
    assert entry.path == url and entry.ip_address == "203.0.113.9"


def _production(code: str, tmp_path, **extra):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    }
    env.pop("TRUSTED_PROXIES", None)
    env.pop("TRUSTED_PROXY_COUNT", None)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_trusts_a_proxy_on_the_same_host_by_default_and_reads_the_environment(
    tmp_path,
):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(','.join(s.TRUSTED_PROXIES), s.AXES_CLIENT_IP_CALLABLE)"
    )
    for extra, expected in (
        ({}, "127.0.0.1/32,::1/128"),
        ({"TRUSTED_PROXIES": "10.1.0.0/16,192.0.2.10"}, "10.1.0.0/16,192.0.2.10"),
    ):
        result = _production(code, tmp_path, **extra)
        assert result.stdout.split() == [expected, "ncii_cases.network.client_ip_address"], (
            result.stderr
        )


def test_the_old_proxy_count_setting_stops_the_start_with_a_clear_message(tmp_path):
    result = _production("import django; django.setup()", tmp_path, TRUSTED_PROXY_COUNT="1")
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT is no longer read" in result.stderr
    assert "TRUSTED_PROXIES" in result.stderr


def test_a_malformed_trusted_proxy_entry_is_a_clear_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "proxy.example.org"]
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1")
    with pytest.raises(ImproperlyConfigured, match="proxy.example.org"):
        client_ip_address(request)
