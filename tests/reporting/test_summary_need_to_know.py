"""Need-to-know in the case summary beyond the sections: free texts written as the reason of
a workflow step follow the rule of the timeline's reasons."""

import pytest

from reporting.summary import case_summary_for_user

pytestmark = pytest.mark.django_db

CLOSE_REASON = "Respondent suspended for five days after the investigation found him responsible."


@pytest.fixture
def closed_with_reason(case):
    # The close transition writes its reason here (its row's ``sets``, workflow.closed).
    case.closure_summary = CLOSE_REASON
    case.save()
    return case


@pytest.mark.parametrize("profile", ["internal", "redacted"])
def test_support_staff_get_no_closure_reason(closed_with_reason, counselor, profile):
    summary = case_summary_for_user(user=counselor, pk=closed_with_reason.pk, profile=profile)
    assert summary.closure_summary == ""
    assert "suspended" not in repr(summary)


def test_the_coordinator_gets_the_closure_reason(closed_with_reason, coordinator):
    summary = case_summary_for_user(user=coordinator, pk=closed_with_reason.pk, profile="internal")
    assert summary.closure_summary == CLOSE_REASON
