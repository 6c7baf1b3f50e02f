"""Signing in with a district's OpenID Connect provider (docs/sso.md).

``sso_start`` sends the browser to the provider with a fresh state, nonce and PKCE challenge
(mozilla-django-oidc's request view, set up for the provider), remembered in this session.
``sso_callback`` takes the provider's answer once: the state must be one this session started,
at most SSO_STATE_MAX_AGE_SECONDS ago, and is forgotten at first use (a replayed answer is
refused); then the code is exchanged and the ID token checked (``ncii_cases.sso``), the
account found (``services.sso``) and the session started. The second factor: a provider's
multi-factor sign-in counts only when the district trusts it (``trust_provider_mfa``) and the
token says so (``amr``); otherwise the application's own code step follows, as after a
password.

Every outcome is in the access log (``signin_events.sso_sign_in_record``): ``sign_in_sso``,
``sign_in`` (when the provider's MFA counts), ``sso_account_linked``, ``sso_account_created``,
``sign_in_sso_failed`` (something went wrong on the way) and ``sign_in_sso_refused`` (the
sign-in worked but this application refuses it), with the provider and a reason code.
"""

import time
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib import auth
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET
from django_otp import login as otp_login
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from .auth_views import _with_next
from .models import SsoProvider
from .services.sso import SsoRefused, sso_account_for_claims, sso_mfa_device
from .signin_events import sso_sign_in_record
from .sso import (
    DistrictOidcBackend,
    SsoFailed,
    provider_asserts_mfa,
    provider_metadata,
    provider_settings,
)

# This session's started sign-ins: state -> provider id (mozilla-django-oidc keeps the nonce
# and the PKCE verifier of each state in "oidc_states").
SSO_STATES_KEY = "ncii_sso_states"
BACKEND = "ncii_cases.sso.DistrictOidcBackend"


def sso_providers_for_sign_in():
    """The enabled providers, for the sign-in page's buttons."""
    return SsoProvider.objects.filter(enabled=True).select_related("district")


class _ProviderRequestView(OIDCAuthenticationRequestView):
    """mozilla-django-oidc's authorization request, for one provider."""

    def __init__(self, provider, metadata):
        self.provider = provider
        self._settings = provider_settings(provider, metadata)
        self.OIDC_OP_AUTH_ENDPOINT = self._settings["OIDC_OP_AUTHORIZATION_ENDPOINT"]
        self.OIDC_RP_CLIENT_ID = self._settings["OIDC_RP_CLIENT_ID"]

    def get_settings(self, attr, *args):
        if attr in self._settings:
            return self._settings[attr]
        return super().get_settings(attr, *args)

    def get_extra_params(self, request):
        params = {"prompt": "select_account"}
        if self.provider.kind == SsoProvider.Kind.GOOGLE:
            # Google's account chooser offers only accounts of this Workspace domain ("hd");
            # the domain is checked again in the ID token (services.sso).
            domains = self.provider.domains
            params["hd"] = domains[0] if len(domains) == 1 else "*"
        return params


def _failure_page(request, message: str, status: int):
    return render(request, "registration/sso_problem.html", {"problem": message}, status=status)


@never_cache
@require_GET
def sso_start(request, slug):
    """Sends the browser to the provider's sign-in page."""
    provider = sso_providers_for_sign_in().filter(slug=slug).first()
    if provider is None:
        raise Http404("No such sign-in.")
    try:
        metadata = provider_metadata(provider)
    except SsoFailed as error:
        sso_sign_in_record(
            request, action="sign_in_sso_failed", provider=provider, reason=error.reason
        )
        return _failure_page(request, str(error), status=503)
    response = _ProviderRequestView(provider, metadata).get(request)
    state = parse_qs(urlsplit(response.url).query)["state"][0]
    started = request.session.get(SSO_STATES_KEY, {})
    # Keep the started sign-ins of this session within mozilla-django-oidc's own limit.
    started = {s: p for s, p in started.items() if s in request.session.get("oidc_states", {})}
    started[state] = provider.pk
    request.session[SSO_STATES_KEY] = started
    return response


def _take_state(request, state: str):
    """Removes the started sign-in of ``state`` from the session and returns (its nonce and
    verifier, its provider), or (None, None) when this session did not start it, it was used
    already, or it is too old."""
    flows = request.session.get("oidc_states") or {}
    started = request.session.get(SSO_STATES_KEY) or {}
    flow = flows.pop(state, None) if state else None
    provider_id = started.pop(state, None) if state else None
    request.session["oidc_states"] = flows
    request.session[SSO_STATES_KEY] = started
    # Saved now: a second request with the same state, even at once, finds nothing.
    request.session.save()
    if flow is None or provider_id is None:
        return None, None
    if time.time() - flow.get("added_on", 0) > settings.SSO_STATE_MAX_AGE_SECONDS:
        return None, None
    provider = SsoProvider.objects.filter(pk=provider_id, enabled=True).first()
    return (flow, provider) if provider is not None else (None, None)


@sensitive_variables()  # an error report shows none of the code, nonce or claims
@never_cache
@require_GET
def sso_callback(request):
    """The provider's answer (the redirect URI registered with the provider)."""
    flow, provider = _take_state(request, request.GET.get("state", ""))
    if flow is None:
        sso_sign_in_record(request, action="sign_in_sso_failed", provider=None, reason="state")
        return _failure_page(
            request,
            _(
                "This sign-in was already used, has expired, or was started in another browser. "
                "Start again from the sign-in page."
            ),
            status=400,
        )
    if request.GET.get("error") or not request.GET.get("code"):
        sso_sign_in_record(
            request, action="sign_in_sso_failed", provider=provider, reason="provider_error"
        )
        return _failure_page(
            request,
            _("The sign-in service did not sign you in. Start again from the sign-in page."),
            status=400,
        )
    try:
        backend = DistrictOidcBackend(provider, provider_metadata(provider))
        claims = backend.claims_for_code(
            request,
            code=request.GET["code"],
            nonce=flow["nonce"],
            code_verifier=flow["code_verifier"],
        )
    except SsoFailed as error:
        sso_sign_in_record(
            request, action="sign_in_sso_failed", provider=provider, reason=error.reason
        )
        return _failure_page(request, str(error), status=400)
    try:
        account = sso_account_for_claims(provider=provider, claims=claims)
    except SsoRefused as error:
        sso_sign_in_record(
            request,
            action="sign_in_sso_refused",
            provider=provider,
            reason=error.reason,
            user=error.user,
        )
        return _failure_page(request, str(error), status=403)
    # Checked by mozilla-django-oidc at the start (same host only).
    next_url = request.session.pop("oidc_login_next", None) or "/"
    user = account.user
    auth.login(request, user, backend=BACKEND)
    if account.how != "matched":
        sso_sign_in_record(
            request,
            action=f"sso_account_{account.how}",
            provider=provider,
            reason="",
            user=user,
            allowed=True,
        )
    sso_sign_in_record(
        request, action="sign_in_sso", provider=provider, reason="", user=user, allowed=True
    )
    if provider.trust_provider_mfa and provider_asserts_mfa(claims):
        otp_login(request, sso_mfa_device(user=user, provider=provider))
        sso_sign_in_record(
            request,
            action="sign_in",
            provider=provider,
            reason="provider_mfa",
            user=user,
            allowed=True,
        )
        return redirect(next_url)
    # The application's own second factor, as after a password.
    return redirect(_with_next("login_verify", next_url))
