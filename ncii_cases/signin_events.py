"""Access-log entries for what happens at the password step outside our views: a failed
sign-in (Django's ``user_login_failed``) and a lockout (django-axes' ``user_locked_out``).

Each entry names the account the typed username belongs to, so it is filed in that account's
district, where its auditor reads it; a username that matches no account is not written down
(it may be a password typed into the wrong box) and the entry is installation-level (no
district). Paths are logged without their query string.
"""

from django.contrib.auth import get_user_model


def _account(username):
    if not username:
        return None
    model = get_user_model()
    return model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()


def _record(request, *, action: str, username) -> None:
    from .access_log import access_record

    if request is None:
        return
    account = _account(username)
    access_record(request, action=action, allowed=False, path=request.path, user=account)


def sign_in_failed(sender, credentials, request=None, **kwargs):
    """Receiver of ``user_login_failed``: a wrong password, or an attempt while locked."""
    model = get_user_model()
    _record(request, action="sign_in_failed", username=credentials.get(model.USERNAME_FIELD))


def sign_in_locked(sender, request=None, username=None, **kwargs):
    """Receiver of django-axes' ``user_locked_out``: the username (and address) is paused."""
    _record(request, action="sign_in_locked", username=username)


def signals_connect() -> None:
    """Connects the receivers (from ``NciiCasesConfig.ready``)."""
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_login_failed

    user_login_failed.connect(sign_in_failed, dispatch_uid="ncii_sign_in_failed")
    user_locked_out.connect(sign_in_locked, dispatch_uid="ncii_sign_in_locked")


def sso_sign_in_record(request, *, action: str, provider, reason: str, user=None, allowed=False):
    """Records one step of a single sign-on (``sso_views``) in the access log: filed in the
    provider's district, the path without its query string (it holds the code and state),
    followed by the provider's short name and the reason code."""
    from .access_log import access_record

    path = request.path
    if provider is not None:
        path += f" provider={provider.slug}"
    if reason:
        path += f" reason={reason}"
    access_record(
        request,
        action=action,
        allowed=allowed,
        path=path,
        user=user,
        district_id=provider.district_id if provider is not None else None,
    )
