"""The audit review's filter speaks in words: every action of the filter has a label, never a
code, and the person select is written without a template per option."""

import pytest
from django.forms import widgets
from django.urls import reverse

from ncii_cases import audit_labels
from ncii_cases.access_log import ACCESS_ACTIONS
from ncii_cases.events import EventType
from ncii_cases.selectors.audit import OTHER_ACCESS_ACTIONS
from reporting.forms import AuditFilterForm, action_choices
from tests.access.helpers import login_verified
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _labels():
    return [(value, label) for _, group in action_choices() for value, label in group]


def test_every_action_choice_is_a_label_not_a_code():
    for value, label in _labels():
        code = value.partition(":")[2]
        assert label != code and "_" not in label, value
        assert label[0].isupper(), (value, label)


def test_every_code_in_use_has_its_own_label():
    """A new event type or logged page must be given its words in ``audit_labels``."""
    events = {v for k, v in vars(EventType).items() if k.isupper()}
    assert events <= set(audit_labels.EVENT_LABELS), events - set(audit_labels.EVENT_LABELS)
    # Every view decorated with ``access_logged`` is registered once the URLconf is loaded.
    reverse("ncii_cases:home")
    accesses = ACCESS_ACTIONS | OTHER_ACCESS_ACTIONS
    assert accesses <= set(audit_labels.ACCESS_LABELS), accesses - set(audit_labels.ACCESS_LABELS)


def test_the_review_page_shows_the_filter_and_the_tables_in_words(client, case, coordinator):
    login_verified(client, coordinator)
    client.get(reverse("ncii_cases:case_detail", args=[case.pk]))
    body = client.get(reverse("reporting:audit_review")).content.decode()
    assert '<option value="access:case_detail">Case viewed</option>' in body
    assert ">case detail<" not in body and ">case_detail<" not in body
    assert "<td>Case viewed</td>" in body
    assert "<td>Staff assigned</td>" in body


def test_the_person_select_is_written_without_a_template_per_option(monkeypatch, district, auditor):
    for i in range(30):
        UserFactory(username=f"staff{i:02d}", district=district)

    def no_template(*args, **kwargs):
        raise AssertionError("an option rendered through a template")

    monkeypatch.setattr(widgets.Select, "create_option", no_template)
    form = AuditFilterForm({"actor": str(auditor.pk)}, user=auditor)
    html = str(form["actor"])
    assert html.count("<option") == 31 + 1  # 30 staff, the auditor, "Anyone"
    assert f'<option value="{auditor.pk}" selected>auditor' in html
    assert "<optgroup" in str(form["action"])


def test_a_forged_person_of_another_district_is_refused(district, auditor, outsider):
    form = AuditFilterForm({"actor": str(outsider.pk)}, user=auditor)
    assert not form.is_valid() and "actor" in form.errors
