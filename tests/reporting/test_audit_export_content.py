"""The district-wide audit CSV export, byte for byte: every line of a small district's export
(changes of several kinds, the timeline with stage changes, the access log with a search's
terms, a cell that a spreadsheet would read as a formula) is exactly the line written, row by
row with ``csv_cell``, from what the review page shows and from the log records themselves.
The export builds its rows from plain values with cached texts; this pins that it says the
same, for the coordinator (values shown) and for the auditor (content hidden)."""

import csv
import io
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.audit import access_event_record
from ncii_cases.models import AccessEvent, CaseEvent
from ncii_cases.selectors.audit import (
    CASE_MODELS,
    AuditFilter,
    _change_rows,
    _history_union,
    _scope,
    access_path_shown,
    audit_content_visible,
)
from reporting.views import csv_cell
from tests.access.helpers import login_verified
from tests.factories import CasePartyFactory, UserFactory
from tests.reporting.test_audit_review import as_user, reviewed_case  # noqa: F401

HEADER = ("section", "when", "who", "case", "what", "detail")
STAGES = dict(c.Stage.choices)


def _history(case, coordinator, other_school):
    """Edits of several kinds, one by an account whose name starts like a formula."""
    formula_user = UserFactory(username="=formula-user", district=coordinator.district)
    for i in range(3):
        party = CasePartyFactory(case=case, role=c.PartyRole.WITNESS, notes=f"note {i}")
        party.is_minor = not party.is_minor
        party.notes = ""
        as_user(party, formula_user if i == 1 else coordinator).save()
        case.title = f"-Title {i}"
        case.school = other_school if i % 2 == 0 else case.school
        case.occurred_at = case.reported_at - timezone.timedelta(days=i + 1, minutes=7 * i)
        case.disrupts_school = bool(i % 2)
        as_user(case, coordinator).save()
        if i == 2:
            as_user(party, coordinator).delete()


def _expected_bytes(user, case_scope=None) -> bytes:
    """The export as written from the page's change rows and the log records (model
    instances), one csv_cell per value and one writerow per line."""
    show_content = audit_content_visible(user)
    scope = _scope(user=user, case=case_scope)
    union = _history_union(scope=scope, flt=AuditFilter(), limit=100_000)
    keys = [(hid, key) for hid, _, key in union]
    rows = [
        (
            "change",
            r.when,
            r.who,
            r.case_reference,
            f"{r.model} #{r.object_id} {r.kind}",
            "; ".join(str(ch) for ch in r.changes),
        )
        for r in _change_rows(page_keys=keys, show_content=show_content)
    ]
    events = CaseEvent.objects.filter(case__district_id=user.district_id).order_by("-pk")
    for event in events.select_related("actor", "case"):
        stages = ""
        if event.from_stage or event.to_stage:
            before = STAGES.get(event.from_stage, event.from_stage) or "—"
            after = STAGES.get(event.to_stage, event.to_stage) or "—"
            stages = f"Stage: {before} → {after}"
        rows.append(
            (
                "timeline",
                event.created_at,
                event.actor.username if event.actor else "system",
                event.case.reference,
                event.event_type,
                f"{stages} hash {event.row_hash[:12]}".strip(),
            )
        )
    accesses = AccessEvent.objects.filter(district_id=user.district_id).order_by("-pk")
    for access in accesses.select_related("case"):
        shown = access_path_shown(access.path, show_content=show_content)
        rows.append(
            (
                "access",
                access.created_at,
                access.username,
                access.case.reference if access.case else "",
                access.action,
                f"{access.method} {shown} {'allowed' if access.allowed else 'refused'} "
                f"from {access.ip_address or '—'}",
            )
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buffer.getvalue().encode()


@pytest.mark.parametrize("persona", ["coordinator", "auditor"])
def test_the_district_export_is_the_page_and_the_logs_line_for_line(
    client,
    request,
    reviewed_case,  # noqa: F811
    coordinator,
    other_school,
    persona,
    monkeypatch,
):
    from reporting import views

    user = request.getfixturevalue(persona)
    _history(reviewed_case, coordinator, other_school)
    access_event_record(
        user=coordinator,
        action="case_search",
        path="/?q=Some%20Name&stage=intake",
        method="GET",
        allowed=True,
        ip_address="10.0.0.9",
        case=None,
    )
    # Several chunks of the response.
    monkeypatch.setattr(views, "EXPORT_LINES_PER_CHUNK", 7)
    login_verified(client, user)
    response = client.get(reverse("reporting:audit_export"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    zone = zoneinfo.ZoneInfo(user.district.time_zone)
    with timezone.override(zone):
        expected = _expected_bytes(user)
    assert body == expected
    text = body.decode()
    lines = list(csv.reader(io.StringIO(text)))
    assert {line[0] for line in lines[1:]} == {"change", "timeline", "access"}
    assert any(line[2] == "'=formula-user" for line in lines)
    assert any(line[4].startswith("Case party #") and "deleted" in line[4] for line in lines)
    # What the rows hold for each reader.
    assert "Stage: Harm assessment → Interim actions hash " in text
    if persona == "coordinator":
        assert "Title: -Title 1 → -Title 2" in text
        assert "Q=Some%20Name" in text or "q=Some%20Name" in text
    else:
        assert "-Title" not in text and "Some%20Name" not in text
        assert "Title: changed (content not shown)" in text
    assert len(CASE_MODELS) >= 17
