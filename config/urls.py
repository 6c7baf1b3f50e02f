from django.contrib import admin
from django.urls import include, path

from ncii_cases import auth_views as signin
from ncii_cases import sso_views
from ncii_cases.views import admin_login, admin_view_on_site, favicon
from reporting import views_public

urlpatterns = [
    # Asked by browsers and tools that ignore the pages' icon link (templates/base.html).
    path("favicon.ico", favicon, name="favicon"),
    path("login/", signin.PasswordLoginView.as_view(), name="login"),
    path("login/verify/", signin.login_verify, name="login_verify"),
    path("login/enroll/", signin.login_enroll, name="login_enroll"),
    path("login/enroll/link/<str:token>/", signin.login_enroll_link, name="login_enroll_link"),
    path("login/recovery-codes/", signin.recovery_codes, name="recovery_codes"),
    path("logout/", signin.logout_view, name="logout"),
    # Single sign-on (OpenID Connect): the provider's answer, then the start per provider.
    path("login/sso/callback/", sso_views.sso_callback, name="sso_callback"),
    path("login/sso/<slug:slug>/", sso_views.sso_start, name="sso_start"),
    path(
        "account/second-factor-resets/",
        signin.second_factor_resets,
        name="second_factor_resets",
    ),
    # One sign-in for the whole site, the admin included (password, then a code).
    path("admin/login/", admin_login, name="admin_login"),
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin_view_on_site,
        name="admin_view_on_site",
    ),
    path("admin/", admin.site.urls),
    path("reporting/", include("reporting.urls")),
    # The language switch (Django's set_language: POST language + next; keeps a cookie).
    path("i18n/", include("django.conf.urls.i18n")),
    # A district's public pages: no sign-in, no case data.
    path("policy/<slug:district>/", views_public.policy_page, name="public_policy"),
    path(
        "policy/<slug:district>/handout.pdf",
        views_public.policy_handout,
        name="public_policy_handout",
    ),
    path("", include("ncii_cases.urls")),
]

# A database that is restarting answers 503 with Retry-After instead of a bare 500.
handler500 = "ncii_cases.error_views.server_error"
# A body far larger than any form (an oversize upload) is refused unread with a 413 page.
handler400 = "ncii_cases.error_views.bad_request"
