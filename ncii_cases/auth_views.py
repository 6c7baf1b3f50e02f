"""Signing in: a password step (django-axes counts failures per username and address), then a
code from an authenticator app (django-otp TOTP) or a one-time recovery code. A user without
an authenticator enrolls one right after the password step and gets recovery codes, shown once.
"""

import base64

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp import match_token

from .forms import TokenForm
from .services.two_factor import (
    recovery_codes_create,
    totp_device_confirm,
    totp_device_pending,
    user_has_authenticator,
)

RECOVERY_SESSION_KEY = "ncii_recovery_codes_once"


def _next_url(request, default="/") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _with_next(name: str, next_url: str) -> str:
    url = reverse(name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url and next_url != "/" else url


class PasswordLoginView(auth_views.LoginView):
    """The first step. Success leads to the code step, never straight to a page."""

    template_name = "registration/login.html"
    redirect_authenticated_user = False

    def get_success_url(self):
        return _with_next("login_verify", _next_url(self.request))


@sensitive_post_parameters("token")
@never_cache
@login_required
def login_verify(request):
    """The second step: a code from the authenticator app or a recovery code."""
    next_url = _next_url(request)
    if request.user.is_verified():
        return redirect(next_url)
    if not user_has_authenticator(request.user):
        return redirect(_with_next("login_enroll", next_url))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            request.session.cycle_key()
            otp_login(request, device)
            return redirect(next_url)
        form.add_error(
            "token",
            "That code did not work. Codes change every 30 seconds; try the newest one, "
            "or a recovery code.",
        )
    return render(request, "registration/otp_verify.html", {"form": form, "next": next_url})


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@sensitive_post_parameters("token")
@never_cache
@login_required
def login_enroll(request):
    """Sets up an authenticator app for a user who has none, then shows recovery codes."""
    next_url = _next_url(request)
    if user_has_authenticator(request.user):
        return redirect(_with_next("login_verify", next_url))
    device = totp_device_pending(user=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_device_confirm(device=device, token=form.cleaned_data["token"]):
            request.session.cycle_key()
            otp_login(request, device)
            request.session[RECOVERY_SESSION_KEY] = recovery_codes_create(user=request.user)
            return redirect(_with_next("recovery_codes", next_url))
        form.add_error("token", "That code did not match. Check the app and try the newest one.")
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": next_url,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "config_url": device.config_url,
        # The SVG is generated here from our own data: no script, no external fetch, and the
        # account's name is drawn as QR modules (path geometry), never written as text.
        "qr_svg": mark_safe(_qr_svg(device.config_url)),  # noqa: S308  # nosec B308, B703
    }
    return render(request, "registration/otp_enroll.html", context)


@never_cache
@login_required
def recovery_codes(request):
    """Shows new recovery codes once; a verified user can replace them with a new set."""
    next_url = _next_url(request)
    if request.method == "POST":
        request.session[RECOVERY_SESSION_KEY] = recovery_codes_create(user=request.user)
        return redirect(_with_next("recovery_codes", next_url))
    codes = request.session.pop(RECOVERY_SESSION_KEY, None)
    if codes is None:
        messages.info(
            request, "Recovery codes are shown only once. You can replace them with a new set."
        )
    return render(request, "registration/recovery_codes.html", {"codes": codes, "next": next_url})
