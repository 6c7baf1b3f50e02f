"""The audit review's table rows, written in Python (``reporting.audit_rows``): the markup
the template wrote row by row before (its row templates are kept below as the reference),
every value escaped, each instant to the second in the district's time zone, each case linked
to its audit trail, for the district's page and a case's page, for the coordinator (content
shown) and the auditor (metadata only); and the pages' query counts."""

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from ncii_cases import choices as c
from ncii_cases.audit import access_event_record, case_event_record
from ncii_cases.models import CaseEvent
from tests.access.helpers import login_verified
from tests.audit_helpers import as_owner
from tests.factories import CasePartyFactory
from tests.reporting.test_audit_review import as_user, reviewed_case  # noqa: F401

# The rows as the template wrote them (templates/reporting/audit_review.html before the rows
# were written in Python), word for word.
OLD_ROWS = {
    "changes": (
        '{% for row in review.changes %}<tr>\n<td>{{ row.when|moment:"seconds" }'
        "}</td>\n<td>{{ row.who }}</td>\n{% if not case %}<td>{% if row.case_id %}"
        "<a href=\"{% url 'reporting:case_audit' row.case_id %}\">{{ row.case_reference }"
        "}</a>{% else %}—{% endif %}</td>{% endif %}\n<td>{{ row.model }"
        "} #{{ row.object_id }} <strong>{{ row.kind }}</strong></td>\n<td>"
        '{% if row.is_deletion %}{% translate "Record deleted." %}{% elif row.changes %}'
        '<ul class="diff">{% for ch in row.changes %}<li>{{ ch }}</li>'
        '{% endfor %}</ul>{% else %}{% translate "No field changed." %}'
        "{% endif %}</td>\n</tr>{% endfor %}"
    ),
    "events": (
        "{% for ev in review.events %}<tr><td>{{ ev.pk }}</td>"
        '<td>{{ ev.created_at|moment:"seconds" }'
        "}</td>{% if not case %}<td><a href=\"{% url 'reporting:case_audit' ev.case_id %}"
        '">{{ ev.case.reference }}</a></td>{% endif %}<td>{{ ev.event_type|event_label }'
        "}</td><td>{{ ev.from_stage|stage_label }}{% if ev.to_stage %}"
        " → {{ ev.to_stage|stage_label }}{% endif %}</td>"
        '<td>{{ ev.actor.username|default:_("system") }'
        '}</td><td><code>{{ ev.row_hash|slice:":12" }}</code></td></tr>'
        "{% endfor %}"
    ),
    "accesses": (
        '{% for a in review.accesses %}<tr><td>{{ a.created_at|moment:"seconds" }'
        '}</td><td>{{ a.username|default:_("anonymous") }}</td><td>{{ a.action|access_label }'
        "}</td>{% if not case %}<td>{% if a.case %}"
        "<a href=\"{% url 'reporting:case_audit' a.case_id %}"
        '">{{ a.case.reference }}</a>{% else %}—{% endif %}</td>{% endif %}'
        '<td>{{ a.method }} {{ a.path_shown }}</td><td>{{ a.ip_address|default:"—" }'
        '}</td><td>{% if a.allowed %}{% translate "Yes" %}{% else %}{% translate "Refused" %}'
        "{% endif %}</td></tr>{% endfor %}"
    ),
}
HEAD = "{% load dates_tags i18n audit_tags %}"

# An instant of the timeline set by hand, and how the page writes it (America/Chicago).
FIXED = dt.datetime(2026, 11, 30, 22, 11, 5, tzinfo=dt.UTC)
FIXED_TEXT = "Nov 30, 2026, 4:11:05 PM CST"
# One in the hour the clocks repeat (Django writes it without a zone name) and one in summer.
AMBIGUOUS = dt.datetime(2026, 11, 1, 6, 30, 59, tzinfo=dt.UTC)
SUMMER = dt.datetime(2026, 7, 4, 3, 0, 1, tzinfo=dt.UTC)


@pytest.fixture
def busy_case(reviewed_case, coordinator, investigator):  # noqa: F811
    """The reviewed case with rows of every sort: a title with characters to escape, a
    creation and a deletion, an event by the system, events at instants set by hand, a refused
    anonymous visit with markup in its address and no IP, a visit of no case."""
    case = reviewed_case
    case.title = "A <b>bold</b> & \"quoted\" 'title'"
    as_user(case, coordinator).save()
    party = CasePartyFactory(case=case, role=c.PartyRole.WITNESS)
    as_user(party, coordinator).delete()
    case_event_record(case=case, actor=None, event_type="note")
    fixed = [case_event_record(case=case, actor=investigator, event_type="note") for _ in "abc"]
    with as_owner():
        for event, when in zip(fixed, (FIXED, AMBIGUOUS, SUMMER), strict=True):
            CaseEvent.objects.filter(pk=event.pk).update(created_at=when)
    access_event_record(
        user=None,
        action="case_detail",
        path="/cases/?q=<script>\"x\"&y='z'",
        allowed=False,
        case=case,
        district_id=case.district_id,
    )
    access_event_record(
        user=coordinator,
        action="analytics",
        path="/reporting/analytics/",
        allowed=True,
        district_id=case.district_id,
        ip_address="192.0.2.7",
    )
    return case


def old_rows(review, case, zone) -> dict[str, str]:
    """The three tables' rows as the template wrote them, for this page's review."""
    context = Context({"review": review, "case": case})
    with timezone.override(zone), translation.override("en"):
        return {name: Template(HEAD + text).render(context) for name, text in OLD_ROWS.items()}


@pytest.mark.parametrize("who", ["coordinator", "auditor"])
@pytest.mark.parametrize("page", ["district", "case"])
def test_the_rows_are_written_as_the_template_wrote_them(client, busy_case, request, who, page):
    user = request.getfixturevalue(who)
    login_verified(client, user)
    url = (
        reverse("reporting:audit_review")
        if page == "district"
        else reverse("reporting:case_audit", args=[busy_case.pk])
    )
    response = client.get(url)
    assert response.status_code == 200
    review, rows = response.context["review"], response.context["rows"]
    assert len(review.changes) > 5 and len(review.events) > 5 and len(review.accesses) >= 1
    zone = zoneinfo.ZoneInfo(busy_case.district.time_zone)
    expected = old_rows(review, busy_case if page == "case" else None, zone)
    for name in ("changes", "events", "accesses"):
        assert str(rows[name]) == expected[name], name
    body = response.content.decode()
    for name in ("changes", "events", "accesses"):
        assert f"<tbody>{rows[name]}</tbody>" in body
    # A sample pinned in words: the instant to the second in the district's zone, the
    # escaped address of a refused anonymous visit, the system's event.
    assert f"<td>{FIXED_TEXT}</td>" in body
    assert "<td>anonymous</td>" in body and "<td>Refused</td>" in body
    assert "<td>system</td>" in body
    if who == "coordinator":
        assert "GET /cases/?q=&lt;script&gt;&quot;x&quot;&amp;y=&#x27;z&#x27;</td>" in body
        assert "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; &#x27;title&#x27;" in body
    assert "<script>" not in body.split("<main", 1)[-1]
    if page == "district":
        link = reverse("reporting:case_audit", args=[busy_case.pk])
        assert f'<td><a href="{link}">{busy_case.reference}</a></td>' in body
        assert "<td>—</td>" in body  # the visit of no case
    assert "Record deleted." in body


def test_the_empty_tables_keep_their_sentence(client, busy_case, auditor):
    login_verified(client, auditor)
    url = reverse("reporting:case_audit", args=[busy_case.pk])
    body = client.get(url, {"action": "event:transition"}).content.decode()
    assert "No changes match." in body and "Nothing logged matches." in body
    body = client.get(url, {"changes_page": 9}).content.decode()
    assert "No changes match on this page." in body


@pytest.mark.parametrize(
    ("name", "most"),
    [("reporting:audit_review", 21), ("reporting:case_audit", 22)],
)
def test_the_review_pages_read_few_queries(client, busy_case, coordinator, name, most):
    """The whole request, signing in and the access log's own row included: the history
    page in one query, two per kind of record shown (here cases, parties, harm assessments),
    the names in one, the timeline, the access log, the check, the people."""
    login_verified(client, coordinator)
    url = reverse(name, args=[busy_case.pk]) if name == "reporting:case_audit" else reverse(name)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert len(queries.captured_queries) <= most, [q["sql"][:90] for q in queries]


def test_the_history_page_compiled_once_reads_what_the_orm_reads(
    busy_case, other_school_case, coordinator, investigator, monkeypatch
):
    """The page of the history tables read through SQL compiled once per shape of the filter
    (values swapped in) is the ORM's page, for every kind of filter, both scopes and later
    pages, the first time and from the cache."""
    from ncii_cases.selectors import audit as selectors_audit
    from ncii_cases.selectors.audit import AuditFilter, _scope

    monkeypatch.setattr(selectors_audit, "PAGE_SIZE", 3)
    monkeypatch.setattr(selectors_audit, "_PAGE_SQL", {})
    as_user(other_school_case, investigator).save()
    today = timezone.localdate()
    filters = [
        AuditFilter(),
        AuditFilter(actor=coordinator),
        AuditFilter(actor=investigator),
        AuditFilter(date_from=today, date_to=today),
        AuditFilter(date_to=today - dt.timedelta(days=1)),
        AuditFilter(action="change:~"),
        AuditFilter(action="change:+", actor=coordinator, date_from=today),
        AuditFilter(case=busy_case),
        AuditFilter(case=other_school_case),
        AuditFilter(action="event:note"),
    ]

    def orm_page(scope, flt, number):
        union = selectors_audit._history_union(scope=scope, flt=flt, limit=number * 3 + 1)
        if union is None:
            return [], False
        page, more = selectors_audit._page_slice(union, number)
        return [(hid, key) for hid, _, key in page], more

    seen = 0
    for case in (None, busy_case):
        scope = _scope(user=coordinator, case=case)
        for flt in filters:
            for number in (1, 2, 5):
                expected = orm_page(scope, flt, number)
                seen += len(expected[0])
                for _ in "twice":
                    page = selectors_audit._history_page(scope=scope, flt=flt, number=number)
                    assert page == expected, (case, flt, number)
    assert seen > 30
