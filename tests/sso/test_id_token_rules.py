"""The checks of an ID token and of its claims, one rule per test (ncii_cases.sso and
ncii_cases.services.sso), on tokens signed here with a key made by the test. The whole flow
against a running provider is in test_sso_sign_in.py."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from ncii_cases.models import SsoProvider
from ncii_cases.services.sso import sso_domain_problem
from ncii_cases.sso import DistrictOidcBackend, SsoFailed, provider_asserts_mfa

ISSUER = "https://login.example.test/tenant/v2.0"
CLIENT = "our-client-id"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def backend():
    provider = SsoProvider(issuer=ISSUER, client_id=CLIENT, client_secret="s")  # noqa: S106
    metadata = {
        "authorization_endpoint": f"{ISSUER}/authorize",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/keys",
    }
    return DistrictOidcBackend(provider, metadata)


def token(**changes):
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": CLIENT, "sub": "s1", "iat": now, "exp": now + 300}
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, KEY, algorithm="RS256")


def test_a_good_token_gives_its_claims():
    assert backend()._verify_jws(token(), KEY.public_key())["sub"] == "s1"


@pytest.mark.parametrize(
    "changes,reason",
    [
        ({"aud": "someone-else"}, "audience"),
        ({"aud": [CLIENT, "someone-else"]}, "audience"),  # several audiences, no azp
        ({"iss": "https://other.example.test"}, "issuer"),
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"exp": None}, "token"),  # no expiry at all
        ({"sub": None}, "token"),
    ],
)
def test_a_token_failing_a_check_is_refused(changes, reason):
    with pytest.raises(SsoFailed) as error:
        backend()._verify_jws(token(**changes), KEY.public_key())
    assert error.value.reason == reason


def test_several_audiences_pass_only_with_our_client_as_authorized_party():
    claims = backend()._verify_jws(
        token(aud=[CLIENT, "someone-else"], azp=CLIENT), KEY.public_key()
    )
    assert claims["azp"] == CLIENT


def test_a_token_signed_by_another_key_is_refused():
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(SsoFailed) as error:
        backend()._verify_jws(token(), other.public_key())
    assert error.value.reason == "signature"


def test_a_token_with_a_shared_secret_algorithm_is_refused():
    forged = jwt.encode(
        {"iss": ISSUER, "aud": CLIENT, "sub": "s1", "iat": 1, "exp": 2**40},
        "a-guessed-secret-that-is-long-enough-for-hs256",
        algorithm="HS256",
    )
    with pytest.raises(SsoFailed) as error:
        backend()._verify_jws(forged, KEY.public_key())
    assert error.value.reason == "algorithm"


@pytest.mark.parametrize(
    "amr,asserted",
    [
        (["pwd", "mfa"], True),  # Microsoft Entra ID after its multi-factor step
        (["pwd"], False),  # a password alone
        (["hwk"], True),
        (["otp", "pwd"], True),
        ("mfa", True),
        (None, False),  # Google sends no amr
        ([], False),
    ],
)
def test_provider_mfa_is_read_from_amr(amr, asserted):
    assert provider_asserts_mfa({} if amr is None else {"amr": amr}) is asserted


@pytest.mark.parametrize(
    "kind,claims,problem",
    [
        ("other", {"email": "a@district.test"}, None),
        ("other", {"email": "A@District.TEST"}, None),
        ("other", {"email": "a@elsewhere.test"}, "domain"),
        ("other", {"email": "a@sub.district.test"}, "domain"),  # subdomains are not included
        ("other", {}, "no_email"),
        ("google", {"email": "a@district.test", "hd": "district.test"}, None),
        ("google", {"email": "a@district.test"}, "domain"),  # a consumer Google account
        ("google", {"email": "a@district.test", "hd": "elsewhere.test"}, "domain"),
        ("entra", {"email": "a@district.test", "tid": "t"}, None),
    ],
)
def test_the_district_domains_bound_who_signs_in(kind, claims, problem):
    provider = SsoProvider(kind=kind, allowed_domains="district.test, staff.district.test")
    assert sso_domain_problem(provider, claims) == problem
