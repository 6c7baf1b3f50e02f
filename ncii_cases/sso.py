"""The OpenID Connect side of single sign-on, on mozilla-django-oidc: a provider's discovery
document, the token exchange (authorization code with PKCE) and the checks of the ID token.

Checked for every sign-in: the state (``sso_views``: one use, unexpired, in this browser's
session), the nonce, the signature against the provider's published keys (JWKS, RS256), the
issuer, the audience (our client id; ``azp`` too when there are several), the expiry and
issue time. mozilla-django-oidc checks the signature and the nonce; the issuer, audience and
times are checked here (its own decoding leaves the audience out). What an ID token's claims
mean for an account (domains, links, creation, MFA) is ``services.sso``.

Nothing here writes to the database.
"""

from urllib.parse import urljoin

import jwt
import requests
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from requests.exceptions import RequestException

# Clock difference allowed between us and the provider when checking exp/iat (seconds).
LEEWAY_SECONDS = 60
SIGNING_ALGORITHM = "RS256"  # what Google and Microsoft Entra ID sign ID tokens with
# RFC 8176 authentication method references that mean more than a password was used:
# "mfa" (multiple factors) and "mca" (multiple channels), or a second factor itself (a one-time
# code, a hardware or software key, a text or call). Microsoft Entra ID sends "mfa" after its
# multi-factor step (and "pwd" alone after a password only); Google sends no "amr" at all, so
# a Google sign-in never counts as multi-factor here (docs/sso.md).
MFA_METHODS = frozenset({"mfa", "mca", "otp", "hwk", "swk", "sms", "tel", "sc", "fido"})
CALLBACK_URL_NAME = "sso_callback"


class SsoFailed(Exception):
    """A sign-in that failed on the way (provider unreachable, bad token). ``reason`` is a
    short code for the access log; ``str(error)`` is for the person."""

    def __init__(self, reason: str, message: str = ""):
        super().__init__(
            message
            or "Single sign-on did not complete. Try again; if it keeps failing, tell your "
            "district IT team."
        )
        self.reason = reason


def provider_asserts_mfa(claims: dict) -> bool:
    """Whether the ID token says the person used more than a password (``amr``, RFC 8176)."""
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    return bool(MFA_METHODS & {str(m).lower() for m in amr})


def provider_metadata(provider) -> dict:
    """The provider's discovery document (``<issuer>/.well-known/openid-configuration``),
    cached for SSO_DISCOVERY_CACHE_SECONDS. Raises ``SsoFailed`` when it cannot be read or
    names another issuer than the one configured."""
    key = f"ncii:sso:metadata:{provider.pk}:{provider.issuer}"
    metadata = cache.get(key)
    if metadata is not None:
        return metadata
    url = urljoin(provider.issuer.rstrip("/") + "/", ".well-known/openid-configuration")
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        metadata = response.json()
    except (RequestException, ValueError) as error:
        raise SsoFailed(
            "discovery",
            _(
                "The sign-in service could not be reached. Try again in a few minutes, or sign in "
                "another way."
            ),
        ) from error
    if metadata.get("issuer") != provider.issuer:
        raise SsoFailed("issuer")
    missing = [
        k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not metadata.get(k)
    ]
    if missing:
        raise SsoFailed("discovery")
    cache.set(key, metadata, settings.SSO_DISCOVERY_CACHE_SECONDS)
    return metadata


def provider_settings(provider, metadata: dict) -> dict:
    """The mozilla-django-oidc settings of one provider (instead of the global settings)."""
    return {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": metadata["authorization_endpoint"],
        "OIDC_OP_TOKEN_ENDPOINT": metadata["token_endpoint"],
        "OIDC_OP_USER_ENDPOINT": metadata.get("userinfo_endpoint", ""),
        "OIDC_OP_JWKS_ENDPOINT": metadata["jwks_uri"],
        "OIDC_RP_CLIENT_ID": provider.client_id,
        "OIDC_RP_CLIENT_SECRET": provider.secret(),
        "OIDC_RP_SIGN_ALGO": SIGNING_ALGORITHM,
        "OIDC_RP_SCOPES": provider.scopes,
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
        "OIDC_VERIFY_KID": True,
        "OIDC_AUTHENTICATION_CALLBACK_URL": CALLBACK_URL_NAME,
        "OIDC_REDIRECT_FIELD_NAME": "next",
        "OIDC_ALLOW_UNSECURED_JWT": False,
        "OIDC_RP_IDP_SIGN_KEY": None,
    }


class DistrictOidcBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, set up for one district's provider. In
    AUTHENTICATION_BACKENDS only so that the sessions it starts keep their user
    (``get_user``, which refuses deactivated accounts); ``authenticate`` answers nothing, so
    no password sign-in and no other caller reaches it. ``sso_views`` calls
    ``claims_for_code``."""

    def __init__(self, provider=None, metadata: dict | None = None):
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()
        self.provider = provider
        self._settings = provider_settings(provider, metadata) if provider is not None else {}
        for name in (
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
            "OIDC_RP_CLIENT_ID",
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_RP_IDP_SIGN_KEY",
        ):
            setattr(self, name, self._settings.get(name))
        self.OIDC_RP_SIGN_ALGO = SIGNING_ALGORITHM

    def get_settings(self, attr, *args):
        if attr in self._settings:
            return self._settings[attr]
        return import_from_settings(attr, *args)

    def authenticate(self, request, **kwargs):
        return None

    def get_user(self, user_id):
        return ModelBackend.get_user(self, user_id)

    def _verify_jws(self, payload, key):
        """Checks the signature (the library's algorithm check first), then the issuer,
        audience and times of the ID token."""
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != SIGNING_ALGORITHM:
            raise SsoFailed("algorithm")
        try:
            claims = jwt.decode(
                payload,
                key,
                algorithms=[SIGNING_ALGORITHM],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.provider.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "sub", "exp", "iat"]},
            )
        except jwt.InvalidAudienceError as error:
            raise SsoFailed("audience") from error
        except jwt.InvalidIssuerError as error:
            raise SsoFailed("issuer") from error
        except jwt.ExpiredSignatureError as error:
            raise SsoFailed("expired") from error
        except jwt.InvalidSignatureError as error:
            raise SsoFailed("signature") from error
        except jwt.PyJWTError as error:
            raise SsoFailed("token") from error
        audience = claims["aud"]
        # Several audiences: the token must have been issued to us (OIDC Core 3.1.3.7).
        several = isinstance(audience, list) and len(audience) > 1
        if several and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SsoFailed("audience")
        return claims

    @sensitive_variables("payload", "token_info", "id_token")
    def claims_for_code(self, request, *, code: str, nonce: str, code_verifier: str) -> dict:
        """Exchanges the authorization code (with the PKCE verifier) for tokens and returns
        the checked claims of the ID token. Raises ``SsoFailed``."""
        payload = {
            "client_id": self.OIDC_RP_CLIENT_ID,
            "client_secret": self.OIDC_RP_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.build_absolute_uri(reverse(CALLBACK_URL_NAME)),
            "code_verifier": code_verifier,
        }
        try:
            token_info = self.get_token(payload)
        except (RequestException, ValueError) as error:
            raise SsoFailed("token_exchange") from error
        id_token = token_info.get("id_token")
        if not id_token:
            raise SsoFailed("no_id_token")
        try:
            return self.verify_token(id_token, nonce=nonce)
        except SuspiciousOperation as error:
            # The library's nonce and key checks.
            raise SsoFailed("nonce" if "Nonce" in str(error) else "signature") from error
        except (RequestException, ValueError, KeyError, jwt.PyJWTError) as error:
            raise SsoFailed("signature") from error
