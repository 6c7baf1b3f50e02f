"""Account actions that touch security: ending a user's sessions, deactivating accounts, and
telling the account by e-mail when its password changes.

Changes to the user row are kept by its history (simple-history), with who made them.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone


def user_sessions_end(*, user) -> int:
    """Deletes every unexpired session signed in as the user; returns how many ended."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def user_deactivate(*, actor, user) -> int:
    """Deactivates the account and ends its sessions at once; returns how many ended."""
    user.is_active = False
    if getattr(actor, "pk", None):
        user._history_user = actor
    user.save(update_fields=["is_active"])
    return user_sessions_end(user=user)


class PasswordChangeNotice:
    """A password "validator" that validates nothing: Django calls its ``password_changed``
    after every save of a new password (``set_password`` then ``save``: the admin's password
    form, ``manage.py changepassword``, a shell), so the account is told by e-mail on every
    path. The e-mail holds no secret (``two_factor.account_change_notify``)."""

    def validate(self, password, user=None):
        return None

    def password_changed(self, password, user=None):
        from .two_factor import account_change_notify

        if user is not None and getattr(user, "pk", None):
            account_change_notify(user=user, change="password")

    def get_help_text(self):
        return "The account's owner is told by e-mail whenever its password changes."
