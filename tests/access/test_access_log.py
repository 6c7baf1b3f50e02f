"""The access log records who, what, when, from where and whether it was allowed; the audit
pages show the log and the chain verification to the auditor."""

from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from ncii_cases.models import AccessEvent
from tests.access.helpers import login_verified


def reads():
    """The access log without the ``role_change`` entries of setting up the personas."""
    return AccessEvent.objects.exclude(action="role_change")


def test_a_case_view_is_logged_with_address_and_browser(client, case, investigator):
    login_verified(client, investigator)
    url = reverse("ncii_cases:case_detail", args=[case.pk])
    client.get(url, REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="Firefox/140")
    entry = reads().get()
    assert (entry.user, entry.username, entry.district_id) == (
        investigator,
        "investigator",
        investigator.district_id,
    )
    assert (entry.action, entry.path, entry.method, entry.allowed) == (
        "case_detail",
        url,
        "GET",
        True,
    )
    assert (entry.ip_address, entry.user_agent, entry.case) == ("192.0.2.7", "Firefox/140", case)
    assert entry.created_at is not None and len(entry.row_hash) == 64


def test_a_refused_view_is_logged_without_linking_the_case(client, foreign_case, coordinator):
    login_verified(client, coordinator)
    url = reverse("reporting:case_audit", args=[foreign_case.pk])
    assert client.get(url).status_code == 404
    entry = reads().get()
    assert (entry.action, entry.allowed, entry.case, entry.path) == ("case_audit", False, None, url)


def verify_now(client, capture):
    """Presses "Verify now" (the check runs once the request commits) and returns the review
    page it leads back to."""
    with capture(execute=True):
        response = client.post(reverse("reporting:audit_verify_now"))
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


def test_the_audit_pages_are_themselves_logged(client, case, auditor):
    login_verified(client, auditor)
    client.get(reverse("reporting:audit_review"))
    client.get(reverse("reporting:case_audit", args=[case.pk]))
    assert list(reads().values_list("action", "allowed", "case")) == [
        ("audit_review", True, None),
        ("case_audit", True, case.pk),
    ]


def test_the_verify_page_names_an_altered_row(
    client, case, coordinator, auditor, django_capture_on_commit_callbacks
):
    from ncii_cases.audit import case_event_record
    from tests.ncii_cases.test_audit_chain import triggers_off

    event = case_event_record(case=case, actor=coordinator, event_type="note", reason="x")
    login_verified(client, auditor)
    assert "Intact" in verify_now(client, django_capture_on_commit_callbacks)
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute("UPDATE ncii_cases_caseevent SET reason = 'y' WHERE id = %s", [event.pk])
    cache.clear()  # "Verify now" may be pressed again once its interval has passed
    body = verify_now(client, django_capture_on_commit_callbacks)
    chain = f"case_event.d{case.district_id}"  # each district's timeline is its own chain
    assert "Not intact" in body and f"{chain} {event.pk}: altered (hash mismatch)" in body


def test_the_verify_page_shows_only_rows_of_the_users_district(
    client, case, foreign_case, coordinator, outsider, auditor, django_capture_on_commit_callbacks
):
    from ncii_cases.audit import case_event_record
    from tests.ncii_cases.test_audit_chain import triggers_off

    # Given one altered timeline row in each of two districts
    own = case_event_record(case=case, actor=coordinator, event_type="note", reason="x")
    other = case_event_record(case=foreign_case, actor=outsider, event_type="note", reason="x")
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ncii_cases_caseevent SET reason = 'y' WHERE id IN (%s, %s)",
            [own.pk, other.pk],
        )
    # When the auditor of the first district runs the check
    login_verified(client, auditor)
    body = verify_now(client, django_capture_on_commit_callbacks)
    # Then it says the record is not intact and names only the own district's row, without
    # the chain's row counts
    assert "Not intact" in body
    assert f"case_event.d{case.district_id} {own.pk}: altered" in body
    assert f" {other.pk}: altered" not in body
    assert "outside your district" in body
    assert " rows," not in body


def test_a_form_sent_on_with_a_redirect_is_logged_as_allowed(
    client, auditor, django_capture_on_commit_callbacks
):
    login_verified(client, auditor)
    verify_now(client, django_capture_on_commit_callbacks)
    entry = AccessEvent.objects.get(action="audit_verify_now")
    assert (entry.method, entry.allowed) == ("POST", True)


def test_an_anonymous_redirect_to_sign_in_is_logged_as_refused(client, db):
    response = client.get(reverse("reporting:audit_review"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    entry = AccessEvent.objects.get()
    assert (entry.action, entry.allowed, entry.user) == ("audit_review", False, None)
