"""The admin of case data is a read-only, scoped view: every write goes through the services
(action check, workflow, CaseEvent), and every page of case content there is access-logged."""

import pytest
from django.contrib import admin
from django.urls import reverse

from ncii_cases import choices as c
from ncii_cases.admin import ScopedHistoryAdmin
from ncii_cases.models import AccessEvent, Case, CaseEvent
from ncii_cases.roles import CASE_RECORD_MODELS, ROLE_PERMISSIONS, roles_sync
from tests.access.helpers import login_verified
from tests.factories import CasePartyFactory, UserFactory

CASE_DATA_ADMINS = [
    model_admin
    for model, model_admin in admin.site._registry.items()
    if model._meta.model_name in CASE_RECORD_MODELS
]


@pytest.fixture
def staff_coordinator(district):
    return UserFactory(
        username="staffcoordinator", district=district, role=c.Role.COORDINATOR, is_staff=True
    )


def test_every_case_record_model_has_a_scoped_admin():
    names = {a.model._meta.model_name for a in CASE_DATA_ADMINS}
    assert names == set(CASE_RECORD_MODELS)
    assert all(isinstance(a, ScopedHistoryAdmin) for a in CASE_DATA_ADMINS)


@pytest.mark.parametrize("model_admin", CASE_DATA_ADMINS, ids=lambda a: a.model.__name__)
def test_no_one_adds_changes_or_deletes_case_data_in_the_admin(rf, staff_coordinator, model_admin):
    # Given a coordinator with staff status, who sees every case of the district
    request = rf.get("/admin/")
    request.user = staff_coordinator
    # When the admin is asked what they may do, Then: look, never write (inlines included)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.has_view_permission(request)
    for inline in model_admin.get_inline_instances(request):
        assert not inline.has_add_permission(request, None)
        assert not inline.has_change_permission(request, None)
        assert not inline.has_delete_permission(request, None)


def test_no_role_holds_add_or_change_on_case_records():
    for role, codes in ROLE_PERMISSIONS.items():
        writes = {
            code
            for code in codes
            if code.split("_", 1)[0] in ("add", "change", "delete")
            and code.split("_", 1)[1] in CASE_RECORD_MODELS
        }
        assert writes == set(), (role, writes)


def test_role_groups_keep_view_on_case_records_and_write_on_catalogs(db):
    groups = roles_sync()
    codes = set(groups[c.Role.COORDINATOR.value].permissions.values_list("codename", flat=True))
    assert "view_case" in codes and "view_determination" in codes
    assert "change_case" not in codes and "add_determination" not in codes
    assert "change_platform" in codes


def test_a_post_to_the_case_admin_changes_nothing(client, staff_coordinator, case):
    # Given a coordinator signed in to the admin and a case of their district
    login_verified(client, staff_coordinator)
    url = reverse("admin:ncii_cases_case_change", args=[case.pk])
    events = CaseEvent.objects.filter(case=case).count()
    history = case.history.count()
    # When they post a change of priority, process and closure summary
    response = client.post(
        url,
        {"priority": "low", "process": "a", "closure_summary": "changed in the admin"},
    )
    # Then the admin refuses and the case, its history and its timeline stay as they were
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.closure_summary != "changed in the admin"
    assert case.history.count() == history
    assert CaseEvent.objects.filter(case=case).count() == events


def test_the_case_admin_shows_the_case_read_only(client, staff_coordinator, case):
    login_verified(client, staff_coordinator)
    response = client.get(reverse("admin:ncii_cases_case_change", args=[case.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert case.reference in body
    assert 'name="_save"' not in body


def test_a_post_to_a_party_admin_changes_nothing(client, staff_coordinator, case):
    party = CasePartyFactory(case=case, description="before")
    login_verified(client, staff_coordinator)
    url = reverse("admin:ncii_cases_caseparty_change", args=[party.pk])
    response = client.post(url, {"description": "after", "role": party.role})
    assert response.status_code == 403
    party.refresh_from_db()
    assert party.description == "before"
    add = client.get(reverse("admin:ncii_cases_caseparty_add"))
    assert add.status_code == 403
    assert Case.objects.filter(pk=case.pk).exists()


def _last_access():
    return AccessEvent.objects.order_by("pk").last()


def test_admin_change_and_history_pages_of_case_data_are_logged(client, staff_coordinator, case):
    # Given a coordinator in the admin
    login_verified(client, staff_coordinator)
    for name in ("admin:ncii_cases_case_change", "admin:ncii_cases_case_history"):
        url = reverse(name, args=[case.pk])
        before = AccessEvent.objects.count()
        # When they open the page of a case of their district
        response = client.get(url)
        # Then one allowed entry names them, the page and the case
        assert response.status_code == 200
        assert AccessEvent.objects.count() == before + 1
        entry = _last_access()
        assert (entry.user, entry.path, entry.allowed, entry.case_id) == (
            staff_coordinator,
            url,
            True,
            case.pk,
        )
        assert entry.action.startswith("admin_")


def test_admin_pages_of_a_record_of_a_case_are_logged_with_the_case(
    client, staff_coordinator, case
):
    party = CasePartyFactory(case=case)
    login_verified(client, staff_coordinator)
    url = reverse("admin:ncii_cases_caseparty_change", args=[party.pk])
    response = client.get(url)
    assert response.status_code == 200
    entry = _last_access()
    assert (entry.path, entry.allowed, entry.case_id) == (url, True, case.pk)


def test_refused_admin_pages_of_case_data_are_logged_without_the_case(
    client, district, foreign_case
):
    # Given the IT administrator (a superuser) and a case they may not read
    root = UserFactory(username="root", district=district, is_staff=True, is_superuser=True)
    login_verified(client, root)
    for name in ("admin:ncii_cases_case_change", "admin:ncii_cases_case_history"):
        url = reverse(name, args=[foreign_case.pk])
        before = AccessEvent.objects.count()
        # When they open its admin pages
        response = client.get(url)
        # Then nothing is shown, and the refusal is logged without linking the case
        assert response.status_code in (302, 404)
        assert AccessEvent.objects.count() == before + 1
        entry = _last_access()
        assert (entry.user, entry.path, entry.allowed, entry.case) == (root, url, False, None)


def test_a_search_on_the_home_page_is_logged(client, coordinator, case):
    login_verified(client, coordinator)
    before = AccessEvent.objects.count()
    client.get(reverse("ncii_cases:home"))
    assert AccessEvent.objects.count() == before  # the plain queue is not a search
    response = client.get(reverse("ncii_cases:home"), {"q": "group chat"})
    assert response.status_code == 200
    assert AccessEvent.objects.count() == before + 1
    entry = _last_access()
    assert (entry.user, entry.action, entry.allowed) == (coordinator, "case_search", True)
    assert "q=group" in entry.path
