"""Session security: sessions of deactivated users end, idle and absolute timeouts (polls do not
count as activity), a verified second factor before any page but the sign-in steps, htmx
requests sent to sign in by a full-page redirect, and no response kept by any cache.

``SessionMiddleware`` replaces Django's (a lost database during the session's save answers
503, not 400). Order in MIDDLEWARE: ``NoStoreMiddleware`` early (it marks every response,
errors included); ``HtmxSignInRedirectMiddleware`` before ``SessionSecurityMiddleware`` and
``TwoFactorRequiredMiddleware``, which come after ``django_otp.middleware.OTPMiddleware`` and
``MessageMiddleware``.
"""

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_htmx.http import HttpResponseClientRedirect

from .access_log import is_poll
from .error_views import database_unavailable_in_chain, database_unavailable_response

LAST_ACTIVITY_KEY = "ncii_last_activity"
LOGIN_AT_KEY = "ncii_login_at"


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, except that a session save that fails because the
    database is unreachable (a PostgreSQL restart between the view and the response) answers
    503 "try again shortly" instead of Django's 400 "session was deleted before the request
    completed", which would wrongly tell the person their session ended. A session that was
    really deleted meanwhile (signed out in another tab) still answers 400."""

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except SessionInterrupted as error:
            if database_unavailable_in_chain(error):
                return database_unavailable_response()
            raise


def session_stamp_login(sender, request, user, **kwargs):
    """Receiver of ``user_logged_in``: starts the idle and the absolute clocks."""
    now = time.time()
    request.session[LOGIN_AT_KEY] = now
    request.session[LAST_ACTIVITY_KEY] = now


def _login_redirect(request):
    url = reverse("login")
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    return redirect(url)


def _session_end(request, *, action: str, text: str):
    from .access_log import access_record

    access_record(request, action=action, allowed=True, path=request.path)
    logout(request)
    messages.info(request, text)
    return _login_redirect(request)


class SessionSecurityMiddleware:
    """Ends the session of a deactivated account, after ``SESSION_IDLE_TIMEOUT_SECONDS``
    without activity and ``SESSION_COOKIE_AGE`` seconds after sign-in. A poll never resets
    the idle clock (a case page left open times out like any other)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            if SESSION_KEY in request.session:
                # The account was deactivated or removed: its session ends here.
                request.session.flush()
            return self.get_response(request)
        now = time.time()
        last = request.session.get(LAST_ACTIVITY_KEY, now)
        login_at = request.session.get(LOGIN_AT_KEY, now)
        if now - last > settings.SESSION_IDLE_TIMEOUT_SECONDS:
            return _session_end(
                request,
                action="sign_out_idle",
                text="You were signed out after a period without activity, to protect the "
                "records. Please sign in again.",
            )
        if now - login_at > settings.SESSION_COOKIE_AGE:
            return _session_end(
                request,
                action="sign_out_time_limit",
                text="Your session reached its time limit. Please sign in again.",
            )
        if not is_poll(request):
            request.session[LAST_ACTIVITY_KEY] = now
        request.session.setdefault(LOGIN_AT_KEY, now)
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """Every signed-in user (every role reads or manages something sensitive, and the admin
    is guarded too) must have passed the code step before any page but these."""

    # set_language only keeps a language cookie: the switch works on the sign-in steps too.
    EXEMPT_NAMES = (
        "login",
        "login_verify",
        "login_enroll",
        "logout",
        "ncii_cases:healthz",
        "set_language",
        "sso_callback",
    )

    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt_paths = None
        self._link_prefix = None
        self._sso_prefix = None

    def _exempt(self, path: str) -> bool:
        if self._exempt_paths is None:
            self._exempt_paths = {reverse(name) for name in self.EXEMPT_NAMES}
            # The enrollment link (/login/enroll/<token>/) opens to a password-only session.
            self._link_prefix = reverse("login_enroll_link", args=["token"]).removesuffix("token/")
            # A single sign-on may start from a session that passed the password step only.
            self._sso_prefix = reverse("sso_start", args=["slug"]).removesuffix("slug/")
        return (
            path in self._exempt_paths
            or path.startswith(self._link_prefix)
            or path.startswith(self._sso_prefix)
            or path.startswith(settings.STATIC_URL)
        )

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not self._exempt(request.path):
            url = reverse("login_verify")
            if request.method == "GET":
                url += "?" + urlencode({"next": request.get_full_path()})
            return redirect(url)
        return self.get_response(request)


class HtmxSignInRedirectMiddleware:
    """An htmx request that is sent to sign in (session expired or absent, second factor not
    passed) gets ``HX-Redirect`` to the sign-in page, so that the whole page goes there instead
    of the sign-in form being swapped into part of the page. ``next`` is the page the person
    was on (``HX-Current-URL``) when it is of this site."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._sign_in_paths = None

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("HX-Request") != "true" or response.status_code not in (301, 302):
            return response
        if self._sign_in_paths is None:
            self._sign_in_paths = {
                resolve_url(settings.LOGIN_URL),
                reverse("login"),
                reverse("login_verify"),
            }
        location = response.get("Location", "")
        if location.split("?", 1)[0] not in self._sign_in_paths:
            return response
        target = location.split("?", 1)[0]
        page = request.headers.get("HX-Current-URL", "")
        if page and url_has_allowed_host_and_scheme(
            page, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            parts = urlsplit(page)
            page_path = parts.path + (f"?{parts.query}" if parts.query else "")
            target += "?" + urlencode({"next": page_path})
        redirect_response = HttpResponseClientRedirect(target)
        for cookie in response.cookies.values():
            redirect_response.cookies[cookie.key] = cookie
        return redirect_response


class NoStoreMiddleware:
    """Every response of the application says ``Cache-Control: no-store, private``: pages,
    partials, PDFs and CSVs carry case data or audit data, and a page kept by a browser or a
    shared cache could be read by the next person at the computer. Static files are served
    before this (WhiteNoise) and keep their long cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_cache_control(response, no_store=True, private=True)
        return response


TIME_ZONE_KEY = "ncii_time_zone"
# The district's zone is kept in the session and read again from the database this often
# (seconds), so that a change of the district's setting reaches signed-in users within minutes
# without a query on every request.
TIME_ZONE_RECHECK_SECONDS = 300


def session_remember_time_zone(sender, request, user, **kwargs):
    """Receiver of ``user_logged_in``: keeps the user's district time zone in the session."""
    if user.district_id is not None and hasattr(request, "session"):
        request.session[TIME_ZONE_KEY] = [user.district_id, user.district.time_zone, time.time()]


def _district_time_zone_name(request, user) -> str | None:
    from .models import District

    session = getattr(request, "session", None)
    saved = session.get(TIME_ZONE_KEY) if session is not None else None
    now = time.time()
    if saved and saved[0] == user.district_id and now - saved[2] < TIME_ZONE_RECHECK_SECONDS:
        return saved[1]
    name = District.objects.filter(pk=user.district_id).values_list("time_zone", flat=True).first()
    if session is not None:
        session[TIME_ZONE_KEY] = [user.district_id, name, now]
    return name


class DistrictTimeZoneMiddleware:
    """Activates the signed-in user's district time zone for the request, so that every form
    input is read, and every time shown, in the district's zone (not the server's
    settings.TIME_ZONE). Users without a district keep the server's zone.

    Install after ``AuthenticationMiddleware`` and ``SessionMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils import timezone

        from .school_calendar import zone_named

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.district_id is not None:
            timezone.activate(zone_named(_district_time_zone_name(request, user)))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
