"""Sessions carry the account they are signed in as (``AccountSession.account_id``, the
session engine ``ncii_cases.session_store``), so ending an account's sessions is one indexed
query: it decoded every session of the installation per account before, which a roster
import repeated for each leaver."""

import importlib

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoDatabaseStore
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ncii_cases.models import AccountSession
from ncii_cases.services.accounts import user_sessions_end
from tests.access.helpers import login_verified
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("ncii_cases.migrations.0034_account_sessions")


def _signed_in_session(user):
    store = importlib.import_module(settings.SESSION_ENGINE).SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store.create()
    return store


def test_a_sign_in_writes_the_account_on_its_session_and_a_sign_out_removes_it(district):
    user = UserFactory(district=district)
    client = Client()
    login_verified(client, user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    row = AccountSession.objects.get(session_key=key)
    assert row.account_id == user.pk
    assert row.get_decoded()["_auth_user_id"] == str(user.pk)
    anonymous = importlib.import_module(settings.SESSION_ENGINE).SessionStore()
    anonymous["language"] = "es"
    anonymous.create()
    assert AccountSession.objects.get(session_key=anonymous.session_key).account_id is None


def test_an_accounts_sessions_end_in_queries_that_do_not_grow_with_the_others(district):
    """Only the account's sessions end, whatever else is signed in, and in the same number
    of queries with 2 or 40 other sessions."""
    leaver, stayer = UserFactory(district=district), UserFactory(district=district)
    mine = [_signed_in_session(leaver) for _ in range(2)]
    expired = _signed_in_session(leaver)
    AccountSession.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timezone.timedelta(minutes=1)
    )
    counts = []
    for others in (2, 40):
        theirs = [_signed_in_session(stayer) for _ in range(others)]
        with CaptureQueriesContext(connection) as queries:
            ended = user_sessions_end(user=leaver)
        counts.append(len(queries))
        assert AccountSession.objects.filter(account_id=stayer.pk).count() >= len(theirs)
        if others == 2:
            assert ended == len(mine)  # the expired one is removed, not counted
        else:
            assert ended == 0
        assert not AccountSession.objects.filter(account_id=leaver.pk).exists()
        mine = []
    assert counts[0] == counts[1]


def test_the_upgrade_copies_the_sessions_that_have_not_expired_with_their_account(district):
    """Migration 0034 keeps everyone signed in: the live sessions of ``django_session`` are
    copied with their account's id; an expired one, or one this installation cannot read,
    is left behind."""
    from django.apps import apps
    from django.contrib.sessions.models import Session

    user = UserFactory(district=district)
    live = DjangoDatabaseStore()
    live["_auth_user_id"] = str(user.pk)
    live.create()
    anonymous = DjangoDatabaseStore()
    anonymous["language"] = "es"
    anonymous.create()
    old = DjangoDatabaseStore()
    old["_auth_user_id"] = str(user.pk)
    old.create()
    Session.objects.filter(session_key=old.session_key).update(
        expire_date=timezone.now() - timezone.timedelta(minutes=1)
    )
    Session.objects.create(
        session_key="unreadable" + "x" * 22,
        session_data="not-signed-by-this-installation",
        expire_date=timezone.now() + timezone.timedelta(hours=1),
    )
    # (inside the test's transaction: a flush of a transactional test would also empty the
    # catalogs the migrations seeded, which later tests of the worker read)
    MIGRATION.sessions_copy(apps, None)
    copied = dict(AccountSession.objects.values_list("session_key", "account_id"))
    assert copied == {live.session_key: user.pk, anonymous.session_key: None}
    # The copied session still reads as signed in through the engine
    store = importlib.import_module(settings.SESSION_ENGINE).SessionStore(live.session_key)
    assert store["_auth_user_id"] == str(user.pk)
    # Run twice (a retried upgrade), nothing is doubled nor lost
    MIGRATION.sessions_copy(apps, None)
    assert AccountSession.objects.count() == 2


def test_expired_sessions_are_deleted_nightly(district):
    from ncii_cases.tasks import sessions_clear_expired

    user = UserFactory(district=district)
    live, expired = _signed_in_session(user), _signed_in_session(user)
    AccountSession.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timezone.timedelta(seconds=1)
    )
    assert sessions_clear_expired() == 1
    assert list(AccountSession.objects.values_list("session_key", flat=True)) == [live.session_key]
    entry = settings.CELERY_BEAT_SCHEDULE["sessions-clear-expired"]
    assert entry["task"] == "ncii_cases.tasks.sessions_clear_expired"


@pytest.mark.parametrize("change", ["own second factor reset", "own deactivation"])
def test_it_ending_its_own_sessions_in_the_admin_is_signed_out_not_answered_400(
    client, it_admin, change
):
    """IT resets its own authenticator (or deactivates itself): the change ends its own
    sessions, this request's included. It answered 400 "session deleted" after a change that
    worked; now the request is signed out and the next page is the sign-in page."""
    from django.urls import reverse
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.access.test_account_takeover import _account_form

    login_verified(client, it_admin)
    if change == "own second factor reset":
        device = TOTPDevice.objects.filter(user=it_admin).first()
        url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
        response = client.post(url, {"post": "yes"})
        assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    else:
        data = _account_form(client, it_admin)
        data.pop("is_active", None)  # unticked
        response = client.post(reverse("admin:ncii_cases_user_change", args=[it_admin.pk]), data)
        it_admin.refresh_from_db()
        assert not it_admin.is_active
    assert response.status_code == 302
    assert not AccountSession.objects.filter(account_id=it_admin.pk).exists()
    following = client.get(response["Location"], follow=True)
    assert following.status_code == 200
    assert following.redirect_chain[-1][0].split("?")[0] in (reverse("login"), "/admin/login/")
    assert following.context["user"].is_anonymous
    if change == "own second factor reset":
        # The sign-in page says what happened to the reader, once, as "you"
        shown = [str(message) for message in following.context["messages"]]
        assert shown == [
            "Your second factor was removed and you were signed out. Sign in again and set up "
            "a new authenticator; the e-mail sent to you says how."
        ]
        assert following.content.decode().count("Your second factor was removed") == 1
