"""Session security: sessions of deactivated users end, idle and absolute timeouts, and a
verified second factor before any page but the sign-in steps.

Install after ``django_otp.middleware.OTPMiddleware`` and ``MessageMiddleware``.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

LAST_ACTIVITY_KEY = "ncii_last_activity"
LOGIN_AT_KEY = "ncii_login_at"


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


class SessionSecurityMiddleware:
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
            logout(request)
            messages.info(
                request,
                "You were signed out after a period without activity, to protect the records. "
                "Please sign in again.",
            )
            return _login_redirect(request)
        if now - login_at > settings.SESSION_COOKIE_AGE:
            logout(request)
            messages.info(request, "Your session reached its time limit. Please sign in again.")
            return _login_redirect(request)
        request.session[LAST_ACTIVITY_KEY] = now
        request.session.setdefault(LOGIN_AT_KEY, now)
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """Every signed-in user (every role reads or manages something sensitive, and the admin
    is guarded too) must have passed the code step before any page but these."""

    EXEMPT_NAMES = ("login", "login_verify", "login_enroll", "logout", "ncii_cases:healthz")

    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt_paths = None

    def _exempt(self, path: str) -> bool:
        if self._exempt_paths is None:
            self._exempt_paths = {reverse(name) for name in self.EXEMPT_NAMES}
        return path in self._exempt_paths or path.startswith(settings.STATIC_URL)

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not self._exempt(request.path):
            url = reverse("login_verify")
            if request.method == "GET":
                url += "?" + urlencode({"next": request.get_full_path()})
            return redirect(url)
        return self.get_response(request)


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
