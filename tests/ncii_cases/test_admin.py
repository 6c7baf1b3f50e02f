import pytest
from django.core.management import call_command
from django.test import override_settings

from ncii_cases.models import Case, User
from tests.access.helpers import login_verified


@pytest.fixture
def demo(db):
    with override_settings(DEBUG=True):
        call_command("seed_demo", "--size", "0", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_demo_coordinator_sees_every_case_of_the_district_in_the_admin(demo, client):
    login_verified(client, User.objects.get(username="coordinator"))
    response = client.get("/admin/ncii_cases/case/")
    assert response.status_code == 200
    references = list(Case.objects.values_list("reference", flat=True))
    assert references  # the demo's scenarios: no case at all must not pass
    for reference in references:
        assert reference in response.content.decode()


def test_the_it_admin_has_no_case_admin_and_the_operator_an_empty_one(demo, client):
    login_verified(client, User.objects.get(username="itadmin"))
    assert client.get("/admin/ncii_cases/case/").status_code == 403
    client.logout()
    login_verified(client, User.objects.get(username="operator"))
    response = client.get("/admin/ncii_cases/case/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "0 cases" in body
    cases = list(Case.objects.all())
    assert cases
    for case in cases:
        assert case.reference not in body
        assert case.narrative not in body
