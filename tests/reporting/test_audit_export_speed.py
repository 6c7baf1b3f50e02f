"""The audit CSV export at speed: its change rows are built from plain values (no model
instances, no per-value translation lookups) and must say exactly what the review page and
simple-history's own diff say; its queries do not grow with the rows; the response is sent
many lines per chunk."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ncii_cases import choices as c
from ncii_cases.selectors.audit import (
    CASE_MODELS,
    AuditFilter,
    _change_rows,
    _diff_values,
    _history_union,
    _scope,
    _specs,
    audit_export_rows,
)
from tests.access.helpers import login_verified
from tests.audit_helpers import as_owner
from tests.factories import CasePartyFactory
from tests.reporting.test_audit_review import as_user, export, reviewed_case  # noqa: F401


def _edits(case, user, other_school, n=3):
    """History of several kinds: text, a relation, a date, a choice, a boolean, a deletion."""
    for i in range(n):
        party = CasePartyFactory(case=case, role=c.PartyRole.WITNESS, notes=f"note {i}")
        party.is_minor = not party.is_minor
        party.notes = ""
        as_user(party, user).save()
        case.title = f"Title {i}"
        case.school = other_school if i % 2 == 0 else case.school
        case.occurred_at = case.reported_at - dt.timedelta(days=i + 1)
        case.disrupts_school = bool(i % 2)
        as_user(case, user).save()
        if i == n - 1:
            as_user(party, user).delete()


def _all_keys(user, case):
    union = _history_union(scope=_scope(user=user, case=case), flt=AuditFilter(), limit=10_000)
    return [(hid, key) for hid, _, key in union]


def test_each_history_row_names_the_fields_simple_history_diffs(
    reviewed_case,  # noqa: F811
    coordinator,
    other_school,
):
    _edits(reviewed_case, coordinator, other_school)
    checked = 0
    for hid, key in _all_keys(coordinator, reviewed_case):
        history = CASE_MODELS[key][0].history.model
        record = history.objects.get(history_id=hid)
        previous = record.prev_record
        specs = _specs(key)
        names = [s.field.attname for s in specs]
        values = tuple(getattr(record, n) for n in names)
        before = tuple(getattr(previous, n) for n in names) if previous else None
        mine = [s.name for s, _, _ in _diff_values(specs, record.history_type, values, before)]
        if previous is not None and record.history_type != "-":
            fields = [s.name for s in specs]
            delta = record.diff_against(previous, included_fields=fields)
            expected = sorted((ch.field for ch in delta.changes), key=fields.index)
        elif record.history_type == "+":
            expected = [
                s.name for s in specs if getattr(record, s.field.attname) not in (None, "", [], {})
            ]
        else:
            expected = []
        assert mine == expected, (key, hid)
        checked += 1
    assert checked >= 15


def test_the_export_says_what_the_review_page_says(
    reviewed_case,  # noqa: F811
    coordinator,
    other_school,
):
    _edits(reviewed_case, coordinator, other_school)
    keys = _all_keys(coordinator, reviewed_case)
    for show_content in (True, False):
        page = _change_rows(page_keys=keys, show_content=show_content)
        exported = _change_rows(page_keys=keys, show_content=show_content, export=True)
        assert [
            (
                "change",
                r.when,
                r.who,
                r.case_reference,
                f"{r.model} #{r.object_id} {r.kind}",
                "; ".join(str(ch) for ch in r.changes),
            )
            for r in page
        ] == exported
        details = " ".join(row[5] for row in exported)
        assert "Title 0" in details if show_content else "Title: changed" in details
        party_changes = [r[5] for r in exported if r[4].startswith("Case party #")]
        assert any("Yes → No" in d or "No → Yes" in d for d in party_changes)
        assert f"→ {other_school.name}" in details
        assert any("deleted" in row[4] for row in exported)


def _export_queries(user, case) -> int:
    with CaptureQueriesContext(connection) as ctx:
        rows = list(audit_export_rows(user=user, flt=AuditFilter(), case=case))
    assert rows
    return len(ctx.captured_queries)


def test_the_export_asks_the_same_queries_for_more_rows(
    reviewed_case,  # noqa: F811
    coordinator,
    other_school,
):
    _edits(reviewed_case, coordinator, other_school, n=2)
    small = _export_queries(coordinator, reviewed_case)
    _edits(reviewed_case, coordinator, other_school, n=12)
    assert _export_queries(coordinator, reviewed_case) == small


def test_the_response_sends_many_lines_per_chunk(
    client,
    reviewed_case,  # noqa: F811
    coordinator,
    other_school,
    monkeypatch,
):
    from reporting import views

    _edits(reviewed_case, coordinator, other_school, n=6)
    login_verified(client, coordinator)
    url = reverse("reporting:case_audit_export", args=[reviewed_case.pk])
    chunks = list(client.get(url).streaming_content)
    lines = b"".join(chunks).count(b"\n")
    assert lines > 20 and len(chunks) == 1
    assert chunks[0].startswith(b"section,when,who,case,what,detail\r\n")
    monkeypatch.setattr(views, "EXPORT_LINES_PER_CHUNK", 10)
    chunks = list(client.get(url).streaming_content)
    assert len(chunks) >= 3
    assert chunks[0].count(b"\n") == 11  # the header and ten rows
    assert all(chunk.count(b"\n") == 10 for chunk in chunks[1:-1])
    assert all(chunk.endswith(b"\r\n") for chunk in chunks if chunk)


def test_chunks_of_any_size_export_the_same_rows_even_at_equal_instants(
    reviewed_case,  # noqa: F811
    coordinator,
    other_school,
):
    """The keyset cursor (history date, model, history id) loses and repeats no row when
    several rows of one table and of several tables share an instant, whatever the chunk."""
    _edits(reviewed_case, coordinator, other_school, n=4)
    instant = reviewed_case.reported_at
    # (Rewriting history dates takes the audit tables' owner: the application role may not.)
    with as_owner():
        for key in ("case", "caseparty"):
            history = CASE_MODELS[key][0].history.model
            ids = list(history.objects.order_by("history_id").values_list("history_id", flat=True))
            first_half = ids[: len(ids) // 2 + 1]
            history.objects.filter(history_id__in=first_half).update(history_date=instant)
    whole = list(audit_export_rows(user=coordinator, flt=AuditFilter(), case=reviewed_case))
    changes = [row for row in whole if row[0] == "change"]
    assert sum(1 for row in changes if row[1] == instant) >= 4
    for chunk in (1, 2, 3, 7):
        assert (
            list(
                audit_export_rows(
                    user=coordinator, flt=AuditFilter(), case=reviewed_case, chunk=chunk
                )
            )
            == whole
        )
