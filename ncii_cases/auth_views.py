"""Signing in: a password step (django-axes counts failures per username and address, and per
username), then a code from an authenticator app (django-otp TOTP) or a one-time recovery code.

A user without an authenticator sets one up only through a one-time link e-mailed to the
account's own address (``services.two_factor``): the password alone leads to a page that
explains this and offers to send the link, and to nothing else. The link, opened and followed
by the password step, leads to the set-up page; recovery codes are shown once after it. Making
new recovery codes asks for the password again.

Every step is in the access log: ``sign_in_password``, ``sign_in``, ``second_factor_failed``,
``enrollment_link_sent``, ``enrollment_link_refused``, ``second_factor_enrolled``,
``recovery_codes_regenerated`` / ``recovery_codes_refused`` and ``sign_out`` (failures and
lockouts of the password step: ``ncii_cases.signin_events``). Logged paths never carry the
query string (it can hold a ``next`` address) nor a link's token.
"""

import base64

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token

from .access_log import access_record
from .forms import TokenForm
from .services.two_factor import (
    UNCONFIRMED_ADDRESS,
    EnrollmentAddressUnconfirmed,
    EnrollmentLinkInvalid,
    account_change_notify,
    enrollment_address_unconfirmed,
    enrollment_link_check,
    enrollment_link_create,
    enrollment_link_no_email_text,
    enrollment_link_problem,
    enrollment_link_recently_sent,
    recovery_codes_create,
    second_factor_reset_approve,
    second_factor_reset_cancel,
    second_factor_resets_for_user,
    totp_device_enroll,
    totp_device_pending,
    user_has_authenticator,
)

RECOVERY_SESSION_KEY = "ncii_recovery_codes_once"
# The enrollment link this (password-only) session opened: its id, never its token.
ENROLL_LINK_SESSION_KEY = "ncii_enrollment_link"
LINK_LOG_PATH = "/login/enroll/link/"  # the logged path of the link page, without the token


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


def _base_url(request) -> str:
    return request.build_absolute_uri("/")


def _recorder(request):
    """The access-log writer the account services call: (action, allowed, district id)."""

    def record(action: str, allowed: bool, district_id) -> None:
        access_record(
            request, action=action, allowed=allowed, path=request.path, district_id=district_id
        )

    return record


SSO_ONLY = "sso_only"


class PasswordSignInForm(AuthenticationForm):
    """The password step, refused (after the password matched) for an account whose district
    signs in only with single sign-on (``services.sso.password_sign_in_allowed``)."""

    def confirm_login_allowed(self, user):
        from .services.sso import password_sign_in_allowed

        super().confirm_login_allowed(user)
        if not password_sign_in_allowed(user):
            self.refused_user = user
            raise ValidationError(
                _(
                    "Your district signs in with single sign-on only. Use the sign-in button of "
                    "your district below."
                ),
                code=SSO_ONLY,
            )


class PasswordLoginView(auth_views.LoginView):
    """The first step. Success leads to the code step, never straight to a page. The page
    also offers the single sign-on providers (``sso_views``)."""

    template_name = "registration/login.html"
    redirect_authenticated_user = False
    form_class = PasswordSignInForm

    def get_context_data(self, **kwargs):
        from .sso_views import sso_providers_for_sign_in

        context = super().get_context_data(**kwargs)
        context["sso_providers"] = list(sso_providers_for_sign_in())
        form = context.get("form")
        context["sso_only"] = bool(form is not None and form.has_error("__all__", SSO_ONLY))
        # Opened through a set-up link (``login_enroll_link``): after the password comes the
        # set-up of an authenticator, not a code from one the reader does not have yet.
        context["enrolling"] = ENROLL_LINK_SESSION_KEY in self.request.session
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        access_record(self.request, action="sign_in_password", allowed=True, path=self.request.path)
        return response

    def form_invalid(self, form):
        refused = getattr(form, "refused_user", None)
        if refused is not None:
            access_record(
                self.request,
                action="sign_in_password_refused",
                allowed=False,
                path=self.request.path,
                user=refused,
            )
        return super().form_invalid(form)

    def get_success_url(self):
        return _with_next("login_verify", _next_url(self.request))


@require_POST
def logout_view(request):
    """Signs out (a POST from the sign-out button) and records it."""
    if request.user.is_authenticated:
        access_record(request, action="sign_out", allowed=True, path=request.path)
    logout(request)
    return redirect(resolve_url(settings.LOGOUT_REDIRECT_URL))


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
            access_record(request, action="sign_in", allowed=True, path=request.path)
            return redirect(next_url)
        access_record(request, action="second_factor_failed", allowed=False, path=request.path)
        form.add_error(
            "token",
            _(
                "That code did not work. Codes change every 30 seconds; try the newest one, "
                "or a recovery code."
            ),
        )
    return render(request, "registration/otp_verify.html", {"form": form, "next": next_url})


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def _session_link(request):
    """The enrollment link this session opened, if it is the user's and still usable."""
    from .models import EnrollmentLink

    link_id = request.session.get(ENROLL_LINK_SESSION_KEY)
    if link_id is None:
        return None, ""
    link = EnrollmentLink.objects.select_related("user").filter(pk=link_id).first()
    if link is None or link.user_id != request.user.pk:
        request.session.pop(ENROLL_LINK_SESSION_KEY, None)
        return None, ""
    problem = enrollment_link_problem(link)
    if problem:
        request.session.pop(ENROLL_LINK_SESSION_KEY, None)
        return None, problem
    return link, ""


def _enrollment_needed(request, next_url: str, problem: str = ""):
    """The page a password-only session reaches: why it goes no further, and a button that
    e-mails a set-up link to the account's own address."""
    user = request.user
    if request.method == "POST" and request.POST.get("send_link"):
        if enrollment_link_recently_sent(user=user):
            messages.info(
                request,
                _(
                    "A set-up link was sent a few minutes ago. Check your e-mail (and its junk "
                    "folder) before asking for another."
                ),
            )
        else:
            try:
                enrollment_link_create(user=user, actor=user, base_url=_base_url(request))
            except ValueError as error:
                if isinstance(error, EnrollmentAddressUnconfirmed):
                    access_record(
                        request, action="enrollment_link_refused", allowed=False, path=request.path
                    )
                messages.error(request, str(error))
            else:
                access_record(
                    request, action="enrollment_link_sent", allowed=True, path=request.path
                )
                messages.success(
                    request,
                    _(
                        "We sent a set-up link to the e-mail address of your account. Open it on "
                        "this device within %(hours)s hours."
                    )
                    % {"hours": settings.ENROLLMENT_LINK_HOURS},
                )
        return redirect(_with_next("login_enroll", next_url))
    context = {
        "next": next_url,
        "problem": problem,
        "has_email": bool(user.email),
        "no_email": enrollment_link_no_email_text(user),
        # Held back until a coordinator confirms the address (the page says so at once,
        # rather than after a click)
        "address_unconfirmed": _(UNCONFIRMED_ADDRESS)
        if user.email and enrollment_address_unconfirmed(user)
        else "",
    }
    return render(request, "registration/enrollment_needed.html", context)


@sensitive_post_parameters("token")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def login_enroll(request):
    """Sets up an authenticator app for a user who has none, only with an enrollment link
    opened in this session; then shows recovery codes. Without a link: an explanation and a
    button that e-mails one."""
    next_url = _next_url(request)
    if user_has_authenticator(request.user):
        return redirect(_with_next("login_verify", next_url))
    link, problem = _session_link(request)
    if link is None:
        return _enrollment_needed(request, next_url, problem)
    device = totp_device_pending(user=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            enrolled = totp_device_enroll(
                link_id=link.pk, user=request.user, device=device, token=form.cleaned_data["token"]
            )
        except EnrollmentLinkInvalid as error:
            request.session.pop(ENROLL_LINK_SESSION_KEY, None)
            access_record(
                request, action="enrollment_link_refused", allowed=False, path=request.path
            )
            return _enrollment_needed(request, next_url, str(error))
        if enrolled:
            request.session.pop(ENROLL_LINK_SESSION_KEY, None)
            request.session.cycle_key()
            otp_login(request, device)
            access_record(request, action="second_factor_enrolled", allowed=True, path=request.path)
            request.session[RECOVERY_SESSION_KEY] = recovery_codes_create(user=request.user)
            return redirect(_with_next("recovery_codes", next_url))
        access_record(request, action="second_factor_failed", allowed=False, path=request.path)
        form.add_error("token", _("That code did not match. Check the app and try the newest one."))
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


@sensitive_variables("token")
@never_cache
@require_http_methods(["GET"])
def login_enroll_link(request, token):
    """The link from the enrollment e-mail. A usable link is remembered by this session (its
    id) and leads to the password step, then to the set-up page; a used, replaced or expired
    link says so and what to do. The link does not sign anybody in by itself."""
    try:
        link = enrollment_link_check(token=token)
    except EnrollmentLinkInvalid as error:
        account = getattr(error, "link", None)
        access_record(
            request,
            action="enrollment_link_refused",
            allowed=False,
            path=LINK_LOG_PATH,
            user=account.user if account is not None else None,
        )
        context = {"problem": str(error)}
        return render(request, "registration/enrollment_link_invalid.html", context, status=410)
    user = request.user
    if user.is_authenticated and user.pk != link.user_id:
        access_record(request, action="enrollment_link_refused", allowed=False, path=LINK_LOG_PATH)
        problem = _(
            "This set-up link belongs to another account than the one signed in here. Sign "
            "out first, then open the link again."
        )
        return render(
            request, "registration/enrollment_link_invalid.html", {"problem": problem}, status=403
        )
    request.session[ENROLL_LINK_SESSION_KEY] = link.pk
    if user.is_authenticated:
        return redirect("login_enroll")
    messages.info(
        request,
        _(
            "Sign in with your password, or your district's single sign-on, to set up your "
            "authenticator app."
        ),
    )
    # After the password step (or a single sign-on: the session keeps the link), the code
    # step finds no authenticator and sends the session to the set-up page, which finds it.
    return redirect("login")


@sensitive_post_parameters("password")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request):
    """Shows new recovery codes once; a verified user can replace them with a new set after
    typing their password again."""
    next_url = _next_url(request)
    error = ""
    if request.method == "POST":
        if request.user.check_password(request.POST.get("password", "")):
            request.session[RECOVERY_SESSION_KEY] = recovery_codes_create(user=request.user)
            account_change_notify(user=request.user, change="recovery_codes")
            access_record(
                request, action="recovery_codes_regenerated", allowed=True, path=request.path
            )
            return redirect(_with_next("recovery_codes", next_url))
        access_record(request, action="recovery_codes_refused", allowed=False, path=request.path)
        error = _("That password did not match. Your recovery codes were not changed.")
    codes = request.session.pop(RECOVERY_SESSION_KEY, None)
    if codes is None and not error:
        messages.info(
            request, _("Recovery codes are shown only once. You can replace them with a new set.")
        )
    context = {"codes": codes, "next": next_url, "error": error}
    status = 400 if error else 200
    return render(request, "registration/recovery_codes.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def second_factor_resets(request):
    """Second-factor resets waiting for a second person: the ones the user may approve or
    cancel, and the ones the user asked for."""
    if request.method == "POST":
        record = _recorder(request)
        try:
            reset_id = int(request.POST.get("reset", ""))
        except ValueError as error:
            raise Http404("No such reset.") from error
        try:
            if request.POST.get("decision") == "approve":
                reset = second_factor_reset_approve(
                    actor=request.user,
                    reset_id=reset_id,
                    base_url=_base_url(request),
                    record=record,
                )
                if enrollment_address_unconfirmed(reset.user):
                    messages.warning(
                        request,
                        _(
                            "The second factor was removed and the account's owner was told by "
                            "e-mail. No set-up link was sent: the account reads cases and nobody "
                            "has confirmed its e-mail address. Confirm it on the account in "
                            "Accounts; the owner then asks for a link when signing in."
                        ),
                    )
                else:
                    messages.success(
                        request,
                        _(
                            "The second factor was removed. The account's owner was told by "
                            "e-mail and sent a link to set up a new one."
                        ),
                    )
            else:
                second_factor_reset_cancel(actor=request.user, reset_id=reset_id, record=record)
                messages.info(request, _("The reset was cancelled; nothing changed."))
        except PermissionDenied as error:
            raise Http404("No such reset.") from error
        return redirect("second_factor_resets")
    resets = second_factor_resets_for_user(user=request.user)
    return render(request, "registration/second_factor_resets.html", resets)
