"""A mail server that accepts the connection and never answers must not hold a web request
or a worker for ever: ``EMAIL_TIMEOUT`` bounds each wait on it, and the account notices that
go out after a change log the failure and leave the change in place."""

import smtplib
import socket
import threading

import pytest
from django.core.mail import get_connection, send_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_mail_server():
    """A TCP server on loopback that accepts connections and never says a word (no SMTP
    greeting); yields its port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    held, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def test_the_wait_on_a_mail_server_is_bounded_by_default():
    from config.settings import base

    assert base.EMAIL_TIMEOUT == 20  # seconds; Django's own default waits for ever


def test_a_mail_server_that_never_answers_gives_up_after_email_timeout(
    silent_mail_server, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent_mail_server
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 1
    assert get_connection().timeout == 1
    # (smtplib reports the timeout while reading the greeting as a closed connection)
    with pytest.raises((TimeoutError, smtplib.SMTPServerDisconnected), match="timed out"):
        send_mail("Subject", "Body", settings.DEFAULT_FROM_EMAIL, ["someone@district.example"])


def test_an_account_notice_to_a_silent_mail_server_is_logged_and_the_change_stands(
    silent_mail_server, settings, investigator, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent_mail_server
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 1
    investigator.email = "moved@district.example"
    with django_capture_on_commit_callbacks(execute=True):
        investigator.save()
    investigator.refresh_from_db()
    assert investigator.email == "moved@district.example"
    assert "Could not send the account e-mail" in caplog.text
