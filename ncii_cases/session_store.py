"""The session engine (``SESSION_ENGINE = "ncii_cases.session_store"``): Django's database
sessions, kept in ``models.AccountSession`` with the id of the account each is signed in
as, so that ending an account's sessions is one indexed query
(``services.accounts.user_sessions_end``)."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    """Saves ``AccountSession`` rows; each save writes the signed-in account's id."""

    @classmethod
    def get_model_class(cls):
        from .models import AccountSession

        return AccountSession

    def create_model_instance(self, data):
        """The row to save (Django's), with ``account_id`` from ``data[SESSION_KEY]``: an
        integer, or None when nobody is signed in (or the value is not an id)."""
        row = super().create_model_instance(data)
        try:
            row.account_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            row.account_id = None
        return row
