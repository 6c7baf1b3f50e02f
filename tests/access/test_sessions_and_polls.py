"""Sessions: a page's timed refresh (poll) is not activity and is logged once per session and
case; an htmx request without a usable session is sent to sign in with HX-Redirect; every
response says Cache-Control: no-store, private (checked over every URL of the URLconf)."""

import re
import time
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, URLPattern, reverse

from ncii_cases.middleware import LAST_ACTIVITY_KEY
from ncii_cases.models import AccessEvent, Case
from tests.access.helpers import login_verified
from tests.access.test_permission_matrix import ALL_PATTERNS, pdf_job_ready

ROOT = Path(__file__).resolve().parents[2]
POLL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "takedown-board", "HTTP_X_NCII_POLL": "1"}


def age_activity(client, seconds):
    session = client.session
    session[LAST_ACTIVITY_KEY] = time.time() - seconds
    session.save()


def board(case):
    return reverse("ncii_cases:case_takedowns", args=[case.pk])


def test_the_polls_send_the_poll_header():
    for template in (
        "templates/ncii_cases/partials/takedowns.html",
        "templates/reporting/partials/pdf_job_status.html",
    ):
        text = (ROOT / template).read_text()
        assert 'hx-headers=\'{"X-NCII-Poll": "1"}\'' in text, template


def test_a_case_page_left_open_times_out_although_its_board_polls(
    client, coordinator, case, settings
):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 30 * 60
    login_verified(client, coordinator)
    page = client.get(reverse("ncii_cases:case_detail", args=[case.pk]))
    assert b"X-NCII-Poll" in page.content
    # Given the page was last used 29 minutes ago, and its board polled since
    age_activity(client, 29 * 60)
    stamp = client.session[LAST_ACTIVITY_KEY]
    for _ in range(3):
        assert client.get(board(case), **POLL).status_code == 200
    # Then the polls did not count as activity
    assert client.session[LAST_ACTIVITY_KEY] == stamp
    # When the idle limit passes, the next poll sends the whole page to sign in
    age_activity(client, 31 * 60)
    page_url = f"http://testserver/cases/{case.pk}/"
    response = client.get(board(case), HTTP_HX_CURRENT_URL=page_url, **POLL)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/login/?next=%2Fcases%2F{case.pk}%2F"
    assert b"<form" not in response.content  # the sign-in form is not swapped into the board
    assert AccessEvent.objects.filter(action="sign_out_idle", user=coordinator).exists()
    assert client.get(reverse("ncii_cases:home")).status_code == 302


def test_a_request_by_the_person_still_counts_as_activity(client, coordinator, case):
    login_verified(client, coordinator)
    age_activity(client, 10 * 60)
    stamp = client.session[LAST_ACTIVITY_KEY]
    client.get(board(case), HTTP_HX_REQUEST="true")  # htmx, but not a poll
    assert client.session[LAST_ACTIVITY_KEY] > stamp


def test_a_poll_is_logged_once_per_session_and_case(client, coordinator, case):
    login_verified(client, coordinator)
    for _ in range(5):
        assert client.get(board(case), **POLL).status_code == 200
    assert AccessEvent.objects.filter(action="case_takedowns").count() == 1
    entry = AccessEvent.objects.get(action="case_takedowns")
    assert (entry.case, entry.allowed) == (case, True)
    # A new session logs it again; a person opening the board is logged every time
    client.logout()
    login_verified(client, coordinator)
    client.get(board(case), **POLL)
    client.get(board(case))
    client.get(board(case))
    assert AccessEvent.objects.filter(action="case_takedowns").count() == 4


def test_the_poll_header_does_not_hide_case_page_views(client, coordinator, case):
    login_verified(client, coordinator)
    url = reverse("ncii_cases:case_detail", args=[case.pk])
    for _ in range(3):
        client.get(url, **POLL)
    assert AccessEvent.objects.filter(action="case_detail").count() == 3


def test_a_refused_poll_is_always_logged(client, investigator, foreign_case):
    login_verified(client, investigator)
    for _ in range(3):
        assert client.get(board(foreign_case), **POLL).status_code == 404
    assert AccessEvent.objects.filter(action="case_takedowns", allowed=False).count() == 3


def test_an_htmx_request_without_a_session_is_sent_to_sign_in(client, case):
    response = client.get(
        board(case), HTTP_HX_CURRENT_URL=f"http://testserver/cases/{case.pk}/", **POLL
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/login/?next=%2Fcases%2F{case.pk}%2F"
    assert "Location" not in response


def test_an_htmx_request_of_an_unverified_session_is_sent_to_sign_in(client, coordinator, case):
    client.post(
        reverse("login"), {"username": "coordinator", "password": "correct-horse-battery-staple"}
    )
    response = client.get(board(case), **POLL)
    assert response["HX-Redirect"].startswith(reverse("login_verify"))


def test_another_sites_page_is_not_used_as_next(client, case):
    response = client.get(board(case), HTTP_HX_CURRENT_URL="https://evil.example/x", **POLL)
    assert response["HX-Redirect"] == "/login/"


# --- Cache-Control: no-store, private on every URL -------------------------------------------


def incoming_report(case):
    """A public report waiting in the queue of the case's district."""
    from ncii_cases.services.intake_reports import ReportInput, public_report_file

    return public_report_file(
        district=case.district,
        data=ReportInput(what_happened="Images shared in a chat.", anonymous=True),
        passphrase="a passphrase for the sweep",
    )


def _kwargs_for(pattern: URLPattern, values: dict) -> dict:
    names = list(getattr(pattern.pattern, "converters", {}) or {})
    regex = getattr(pattern.pattern, "regex", None)
    if not names and regex is not None:
        names = list(regex.groupindex)
    return {name: values[name] for name in names if name in values}


@pytest.mark.django_db
def test_every_url_answers_a_signed_in_coordinator_with_no_store(
    client, coordinator, case, private_root
):
    from reporting.services_redaction import redaction_review_request

    job = pdf_job_ready(case, coordinator, private_root)
    review, _ = redaction_review_request(actor=coordinator, case_pk=case.pk)
    login_verified(client, coordinator)
    values = {
        "pk": case.pk,
        "job_id": job.pk,
        "action": "begin_assessment",
        "content_type_id": ContentType.objects.get_for_model(Case).pk,
        "object_id": str(case.pk),
        "app_label": "ncii_cases",
        "id": coordinator.pk,
        "version_id": 1,
        "token": "not-a-token",
        "url": "nothing/",
        "review_id": review.pk,
        "kind": "party",
        "document_pk": 0,
        "district": case.district.slug,
        "slug": "no-such-provider",  # a single sign-on start (404)
        "district_slug": case.district.slug,
        "report_pk": incoming_report(case).pk,
        "takedown_pk": 0,
        "notice_pk": 0,
        "fmt": "pdf",
        "recipient": "party-0",
        "letter_pk": 0,
        "language": "en",
        "version_pk": 0,
    }
    checked, missing = [], []
    for key, route, pattern in ALL_PATTERNS:
        if pattern.name:
            regex = getattr(pattern.pattern, "regex", None)
            positional = regex.groups - len(regex.groupindex) if regex is not None else 0
            try:
                if positional:  # simple-history's version page: (object id, version id)
                    url = reverse(key, args=[str(case.pk), "1"][:positional])
                else:
                    url = reverse(key, kwargs=_kwargs_for(pattern, values))
            except NoReverseMatch:
                missing.append(key)
                continue
        elif "^" in route or "(?P" in route:
            url = "/admin/nothing-here/"  # the admin's catch-all
        else:
            url = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)
        response = client.get(url)
        control = response.get("Cache-Control", "")
        assert "no-store" in control and "private" in control, f"{key} {response.status_code}"
        checked.append(key)
    assert missing == []
    assert "reporting:pdf_job_download" in checked and "reporting:audit_export" in checked
    assert len(checked) > 100  # the admin's pages included


def test_a_downloaded_pdf_and_csv_are_not_stored(client, coordinator, case, private_root):
    job = pdf_job_ready(case, coordinator, private_root)
    login_verified(client, coordinator)
    for url in (
        reverse("reporting:pdf_job_download", args=[case.pk, job.pk]),
        reverse("reporting:audit_export"),
        reverse("reporting:case_audit_export", args=[case.pk]),
        reverse("reporting:analytics_csv"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_an_error_page_and_the_sign_in_page_are_not_stored(client, coordinator):
    assert "no-store" in client.get(reverse("login"))["Cache-Control"]
    login_verified(client, coordinator)
    response = client.get("/cases/999999/")
    assert response.status_code == 404 and "no-store" in response["Cache-Control"]
