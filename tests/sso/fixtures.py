"""The test OpenID Connect provider as a fixture, and helpers to sign in through it.

``oidc_provider`` starts tests/sso/provider as its own process on a free port of 127.0.0.1,
with its own SQLite database and an RS256 key generated here, and stops it at the end of the
session. Its people (``PEOPLE``) carry the claims each test needs; nothing of the token
exchange is mocked: the application calls the provider's discovery, token and key endpoints
over HTTP.
"""

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "ncii-case-manager"
CLIENT_SECRET = "test-only-client-secret-0123456789"  # noqa: S105  # nosec B105
OTHER_CLIENT_ID = "another-application"
DOMAIN = "district.test"
PASSWORD = "provider-password"  # noqa: S105  # nosec B105


def _person(email, *, verified=True, amr=None, **extra):
    claims = {"email": email, "email_verified": verified, "given_name": "Sam", "family_name": "Lee"}
    if amr is not None:
        claims["amr"] = amr
    claims.update(extra)
    return {"password": PASSWORD, "claims": claims}


# The provider's people, by provider username. "sub" is fixed so that tests can link accounts.
PEOPLE = {
    "coordinator": _person(f"coordinator@{DOMAIN}", amr=["pwd"], sub="sub-coordinator"),
    "coordinator-mfa": _person(
        f"coordinator.mfa@{DOMAIN}", amr=["pwd", "mfa"], sub="sub-coordinator-mfa"
    ),
    "newcomer": _person(f"newcomer@{DOMAIN}", amr=["pwd"], sub="sub-newcomer"),
    "existing": _person(f"existing@{DOMAIN}", sub="sub-existing"),
    "unverified": _person(f"unverified@{DOMAIN}", verified=False, sub="sub-unverified"),
    "stranger": _person("someone@elsewhere.test", sub="sub-stranger"),
    # A token issued for another application (a token substitution): wrong audience.
    "wrong-audience": _person(f"coordinator@{DOMAIN}", sub="sub-coordinator", aud=OTHER_CLIENT_ID),
}


@dataclass(frozen=True)
class Provider:
    base_url: str
    issuer: str
    client_id: str
    client_secret: str


def _private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """A running OpenID Connect provider (django-oauth-toolkit) on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("oidc-provider")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    config = {
        "database": str(folder / "provider.sqlite3"),
        "issuer": f"{base_url}/o",
        "private_key": _private_key_pem(),
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [
                    "http://testserver/login/sso/callback/",
                    "http://127.0.0.1/login/sso/callback/",
                    "http://localhost/login/sso/callback/",
                ],
            }
        ],
        "users": PEOPLE,
    }
    config_path = folder / "config.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tests.sso.provider.settings",
        SSO_TEST_PROVIDER_CONFIG=str(config_path),
        PYTHONPATH=str(ROOT),
    )
    log = (folder / "provider.log").open("w")
    process = subprocess.Popen(  # noqa: S603  # nosec B603
        [sys.executable, "-m", "tests.sso.provider.serve", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    discovery = f"{base_url}/o/.well-known/openid-configuration"
    deadline = time.monotonic() + 90
    try:
        while True:
            if process.poll() is not None:
                output = (folder / "provider.log").read_text()
                raise RuntimeError(f"The test provider stopped: {output}")
            try:
                if requests.get(discovery, timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("The test provider did not start within 90 seconds.")
            time.sleep(0.3)
        yield Provider(base_url, config["issuer"], CLIENT_ID, CLIENT_SECRET)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def provider_session(provider: Provider, username: str) -> requests.Session:
    """A browser-like session signed in at the provider as ``username``."""
    session = requests.Session()
    page = session.get(f"{provider.base_url}/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{provider.base_url}/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, "the provider refused its own test person"
    return session


def provider_answer(client, provider: Provider, slug: str, username: str, next_url=None) -> str:
    """Starts a single sign-on in the Django test ``client`` and has the provider sign
    ``username`` in; returns the callback address the provider sends the browser to (path
    and query), not yet opened."""
    from django.urls import reverse

    start = reverse("sso_start", args=[slug])
    if next_url:
        start += f"?next={next_url}"
    response = client.get(start)
    assert response.status_code == 302, response.content
    session = provider_session(provider, username)
    answer = session.get(response["Location"], allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith("http://testserver/login/sso/callback/"), location
    return location.removeprefix("http://testserver")
