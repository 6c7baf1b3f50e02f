"""What a person sees when the server fails: a database that cannot be reached answers 503
with Retry-After (it is temporary, e.g. PostgreSQL restarting), any other error a plain 500
page; neither shows a traceback or needs the database to render."""

import pytest
from django.db import InterfaceError, OperationalError
from django.urls import reverse

from tests.access.helpers import login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, coordinator):
    login_verified(client, coordinator)
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("server closed the connection unexpectedly"),
        InterfaceError("connection already closed"),
    ],
)
def test_a_lost_database_connection_answers_503_with_retry_after(
    signed_in, case, monkeypatch, error
):
    def lost(**kwargs):
        raise error

    monkeypatch.setattr("ncii_cases.views.selectors.case_detail_for_user", lost)

    response = signed_in.get(reverse("ncii_cases:case_detail", args=[case.pk]))

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    body = response.content.decode()
    assert "Temporarily unavailable" in body
    assert "Traceback" not in body and str(error) not in body


def test_any_other_error_answers_a_plain_500_page(signed_in, case, monkeypatch):
    def broken(**kwargs):
        raise ValueError("an internal detail that must not be shown")

    monkeypatch.setattr("ncii_cases.views.selectors.case_detail_for_user", broken)

    response = signed_in.get(reverse("ncii_cases:case_detail", args=[case.pk]))

    assert response.status_code == 500
    assert not response.has_header("Retry-After")
    body = response.content.decode()
    assert "Server error" in body
    assert "internal detail" not in body and "Traceback" not in body


def _session_save_fails_with(monkeypatch, error):
    """The database goes away after the view, while the session middleware saves the
    session (the idle clock changes it on every request), as Django's backend meets it."""
    from django.contrib.sessions.backends.base import UpdateError
    from django.contrib.sessions.backends.db import SessionStore

    def save(self, must_create=False):
        try:
            raise error
        except type(error):
            raise UpdateError  # noqa: B904 (as Django does: the database error is its context)

    monkeypatch.setattr(SessionStore, "save", save)


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("server closed the connection unexpectedly"),
        InterfaceError("connection already closed"),
    ],
)
def test_a_database_lost_while_saving_the_session_answers_503_not_400(
    signed_in, case, monkeypatch, error
):
    _session_save_fails_with(monkeypatch, error)
    response = signed_in.get(reverse("ncii_cases:case_detail", args=[case.pk]))
    assert response.status_code == 503
    assert response["Retry-After"] == "10"


def test_a_session_deleted_meanwhile_still_answers_400(signed_in, case, monkeypatch):
    from django.db import DatabaseError

    # What Django's backend raises when the session row is gone (signed out in another tab).
    _session_save_fails_with(monkeypatch, DatabaseError("Forced update did not affect any rows."))
    response = signed_in.get(reverse("ncii_cases:case_detail", args=[case.pk]))
    assert response.status_code == 400
