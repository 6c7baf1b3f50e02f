"""The queue page's HTML, pinned against what its templates meant before the rows, the counts
and the filter form were worked out in Python: each row's link, texts and due time as the
case's own methods and the ``due`` tag give them, the needs-action lists, the counts per
school, and each filter field as Django's ``as_field_group`` renders it."""

import datetime as dt
import re

import pytest
from django import forms
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape

from ncii_cases import choices as c
from ncii_cases import clocks
from ncii_cases.filters import PlainSelect
from ncii_cases.models import Case
from ncii_cases.selectors.queue import case_queue
from ncii_cases.templatetags.case_tags import due, field_group, level_label, td_cells
from tests.access.helpers import login_verified
from tests.factories import CaseFactory, SchoolFactory
from tests.factories_records import HarmAssessmentFactory

pytestmark = pytest.mark.django_db

HOME = reverse("ncii_cases:home")
NOW = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(clocks, "now", lambda: NOW)


@pytest.fixture
def cases(school):
    """An overdue case with a harm level and a title to escape, one due in two days at
    another school, and one with nothing due."""
    other = SchoolFactory(district=school.district, name="Second & <Middle> School")
    overdue = CaseFactory(
        school=school,
        title='Shared "photo" <b>&</b>',
        reported_at=NOW - dt.timedelta(days=40),
        stage=c.Stage.INVESTIGATION,
    )
    HarmAssessmentFactory(case=overdue, level=c.Level.HIGH)
    soon = CaseFactory(school=other, reported_at=NOW - dt.timedelta(days=3))
    nothing = CaseFactory(school=school, reported_at=NOW - dt.timedelta(days=1))
    Case.objects.filter(pk=overdue.pk).update(next_due_at=NOW - dt.timedelta(hours=5))
    Case.objects.filter(pk=soon.pk).update(next_due_at=NOW + dt.timedelta(hours=30))
    Case.objects.filter(pk=nothing.pk).update(next_due_at=None)
    return [Case.objects.get(pk=case.pk) for case in (overdue, soon, nothing)]


def _page(client, user, url=HOME, **headers) -> str:
    login_verified(client, user)
    response = client.get(url, **headers)
    assert response.status_code == 200
    return response.content.decode()


def _expected_row(case, *, harm, reads_content=True) -> str:
    """A row as the queue table's template wrote it from the case itself."""
    overdue = case.next_due_at is not None and case.next_due_at <= NOW
    reported = formats.date_format(timezone.localtime(case.reported_at), "M j, Y")
    due_cell = due(case.next_due_clock) if case.next_due_at else "—"
    title = f'<br><span class="hint">{escape(case.title)}</span>' if reads_content else ""
    harm_cell = f"\n      <td>{level_label(harm)}</td>" if reads_content else "\n      "
    row_class = ' class="row-overdue"' if overdue else ""
    return (
        f"<tr{row_class}>\n"
        f'      <td><a href="{case.get_absolute_url()}">{escape(case.reference)}</a>{title}</td>\n'
        f"      <td>{escape(str(case.school))}</td>\n"
        f"      <td>{case.get_stage_display()}</td>"
        f"{harm_cell}\n"
        f"      <td>{due_cell}</td>\n"
        f"      <td>{reported}</td>\n"
        "    </tr>"
    )


def _rows(body: str) -> list[str]:
    table = body[body.index('<div id="queue-table">') :]
    tbody = table[table.index("<tbody>") : table.index("</tbody>")]
    return [row.strip() for row in re.findall(r"<tr.*?</tr>", tbody, re.S)]


def test_the_queue_rows_read_as_the_cases_own_methods_write_them(
    client, frozen, cases, coordinator
):
    overdue, soon, nothing = cases
    body = _page(client, coordinator)
    harms = {overdue.pk: c.Level.HIGH, soon.pk: None, nothing.pk: None}
    # Soonest due first, nothing due last.
    assert _rows(body) == [_expected_row(case, harm=harms[case.pk]) for case in cases]
    assert "Overdue by 5 h" in _rows(body)[0]
    # The htmx partial shows the same rows.
    partial = _page(client, coordinator, HTTP_HX_REQUEST="true")
    assert _rows(partial) == _rows(body)


def test_the_investigators_queue_rows_read_as_the_cases_own_methods_write_them(
    client, frozen, cases, coordinator, investigator
):
    from ncii_cases.services.cases import case_assign

    for case in cases:
        case_assign(actor=coordinator, case=case, user=investigator, role="investigator")
    harms = {cases[0].pk: c.Level.HIGH}
    body = _page(client, investigator, HOME + "?sort=reference")
    by_reference = sorted(cases, key=lambda case: case.reference)
    assert _rows(body) == [_expected_row(case, harm=harms.get(case.pk)) for case in by_reference]


def test_the_needs_action_lists_read_as_the_cases_own_methods_write_them(
    client, frozen, cases, coordinator
):
    overdue, soon, nothing = cases
    body = _page(client, coordinator)

    def item(case, second):
        return (
            f'<li><a href="{case.get_absolute_url()}">{escape(case.reference)}</a> — '
            f"{second}, {due(case.next_due_clock)}</li>"
        )

    assert f"<h3>Overdue</h3>\n      <ul>{item(overdue, overdue.get_stage_display())}</ul>" in body
    assert (
        f"<h3>Due within 48 hours</h3>\n      <ul>{item(soon, soon.get_stage_display())}</ul>"
        in (body)
    )
    # New reports name the school; a case with nothing due says so.
    new = [item(case, escape(str(case.school))) for case in (soon, nothing)]
    assert f"<h3>New reports</h3>\n      <ul>{''.join(new)}</ul>" in body
    assert "Nothing due</li>" in body


def test_the_counts_per_school_are_cells_as_the_template_wrote_them(client, cases, coordinator):
    body = _page(client, coordinator)
    table = body[body.index('id="stage-table"') : body.index("</table>", body.index("stage-table"))]
    # Two stages hold cases: intake (2) and investigation (1).
    school = escape(str(cases[0].school))
    assert f">{school}</a></th><td>1</td><td>1</td><td>2</td></tr>" in table
    assert '<th scope="row">All schools</th><td>2</td><td>1</td><td>3</td></tr>' in table
    assert td_cells([0, 12, 1234, "<x>"]) == (
        "<td>0</td><td>12</td><td>1234</td><td>&lt;x&gt;</td>"
    )


@pytest.mark.parametrize(
    "params",
    [
        "",
        "q=a%26b&stage=intake&overdue=on&sort=-harm",
        "school=999999&stage=bogus&harm_level=high&ncii_kind=bogus&sort=nonsense",
    ],
)
@pytest.mark.parametrize("persona", ["coordinator", "investigator", "auditor"])
def test_each_filter_field_renders_as_as_field_group(request, params, persona, school, cases):
    user = request.getfixturevalue(persona)
    form = case_queue(user=user, params=QueryDict(params)).filterset.form
    form.is_valid()
    for field in form.visible_fields():
        assert str(field_group(field)) == str(field.as_field_group()), field.name


def test_field_group_renders_help_text_required_and_errors_as_django(school):
    class Sample(forms.Form):
        required_css_class = "needed"
        name = forms.CharField(label="Name & role", help_text="As <em>written</em>.")
        why = forms.CharField(label="Why?", required=False, label_suffix=" —")
        pick = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=PlainSelect)
        ticks = forms.MultipleChoiceField(
            choices=[("x", "X")], widget=forms.CheckboxSelectMultiple, required=False
        )

    for form in (Sample(), Sample({"pick": "zzz", "why": "because"})):
        form.is_valid()
        for field in form.visible_fields():
            assert str(field_group(field)) == str(field.as_field_group()), field.name


def test_the_plain_select_writes_djangos_select(school):
    choices = [
        ("", "---------"),
        ("a&b", 'Quote " and <tag>'),
        ("Group <1>", [("x", "X"), (2, "Two")]),
    ]
    # PlainSelect writes attributes sorted (flatatt), Django's template in the order given.
    attrs = {"aria-invalid": "true", "id": "id_pick"}
    for value in ("", "a&b", "2", 2):
        plain = PlainSelect(choices=choices).render("pick", value, attrs)
        django = forms.Select(choices=choices).render("pick", value, attrs)
        assert plain == re.sub(r"\n\s*", "", str(django))


def test_the_coordinators_queue_reads_at_most_its_queries(
    client, cases, coordinator, django_assert_max_num_queries
):
    login_verified(client, coordinator)
    client.get(HOME)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(HOME).status_code == 200
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        client.get(HOME + "?sort=-reported&page=1")
    assert len(ctx.captured_queries) <= QUEUE_QUERIES_MAX


# Session, user, second factor, schools, counts, the page's rows, three needs-action lists,
# due today, staff, the session's save (and its transaction on PostgreSQL).
QUEUE_QUERIES_MAX = 14


def test_a_search_puts_its_conditions_together_once(client, cases, coordinator, monkeypatch):
    # A search that lists its matches (``SEARCH_IDS_LISTED``) takes its count and its page from
    # that one list: the search's conditions are put together for it alone, not also for a
    # filtered and sorted case query that the page never sends (``Queue.cases`` is built
    # when read). Each part of the search joins parties and people: building them twice more
    # was a third of a search's time.
    from ncii_cases.filters import CaseQueueFilter

    built = []
    search_parts = CaseQueueFilter.search_parts

    def counted(self):
        built.append(1)
        return search_parts(self)

    monkeypatch.setattr(CaseQueueFilter, "search_parts", counted)
    body = _page(client, coordinator, HOME + "?q=" + cases[0].reference)
    assert escape(cases[0].reference) in body
    assert "1 case matches these filters." in body
    assert len(built) == 1
    built.clear()
    queue = case_queue(user=coordinator, params=QueryDict("q=" + cases[0].reference))
    assert built == [1]
    assert [case.pk for case in queue.cases] == [cases[0].pk]  # built when read


def test_the_needs_action_lists_are_read_for_the_full_page_only(client, frozen, cases, coordinator):
    # The htmx partial (the list alone) reads neither the three lists nor the cases due today
    # (nor the staff, options of the filter form it does not show).
    login_verified(client, coordinator)
    client.get(HOME)
    with CaptureQueriesContext(connection) as page:
        client.get(HOME)
    with CaptureQueriesContext(connection) as partial:
        assert client.get(HOME, HTTP_HX_REQUEST="true").status_code == 200
    assert len(partial.captured_queries) == len(page.captured_queries) - 5
    assert case_queue(user=coordinator, with_lists=False).overdue == []
    assert [case.pk for case in case_queue(user=coordinator).overdue] == [cases[0].pk]


def _header_links(body: str) -> dict[str, tuple[str, str]]:
    """Each sortable header of the queue's table: its label -> (href, aria-sort or "")."""
    found = re.findall(
        r'<th scope="col"(?: aria-sort="(\w+)")?><a href="\?([^"]*)">([^<]+)</a></th>', body
    )
    return {label: (QueryDict(href.replace("&amp;", "&")), aria) for aria, href, label in found}


def test_a_header_click_replaces_the_sort_and_a_second_click_reverses_it(
    client, cases, coordinator
):
    """The headers' links keep the filters, drop the page and carry one sort: clicking
    "Stage" then "Reference" sorts by reference (the sorts never pile up), and clicking the
    column the list is sorted by reverses it; the sorted column says so (aria-sort)."""
    body = _page(client, coordinator, HOME + "?stage=intake&page=2&sort=reference&sort=reference")
    links = _header_links(body)
    assert links["Stage"][0].getlist("sort") == ["stage"]
    assert links["Stage"][0]["stage"] == "intake" and "page" not in links["Stage"][0]
    body = _page(client, coordinator, HOME + "?" + links["Stage"][0].urlencode())
    links = _header_links(body)
    assert links["Stage"] == (QueryDict("stage=intake&sort=-stage"), "ascending")
    assert links["Reference"][1] == "" and links["Reference"][0].getlist("sort") == ["reference"]
    assert "Cases, sorted as chosen." in body
    body = _page(client, coordinator, HOME + "?sort=-stage")
    assert _header_links(body)["Stage"] == (QueryDict("sort=stage"), "descending")
    # The first click on the harm level or the report date: highest, newest first.
    assert _header_links(body)["Harm level"][0]["sort"] == "-harm"
    assert _header_links(body)["Reported"][0]["sort"] == "-reported"


def test_an_unknown_sort_is_the_default_order_and_says_so(client, cases, coordinator):
    body = _page(client, coordinator, HOME + "?sort=bogus")
    assert "Cases, soonest due first." in body and "sorted as chosen" not in body
    assert _header_links(body)["Next due"] == (QueryDict("sort=-due"), "ascending")


def test_a_search_of_commas_alone_names_no_one(client, cases, coordinator):
    # Commas are taken out of names ("Brightwater, Jordan"); a term of commas alone is then
    # no name at all, and must not match every case with a named party.
    from tests.factories import CasePartyFactory

    CasePartyFactory(case=cases[0])
    body = _page(client, coordinator, HOME + "?q=,,,")
    assert "0 cases match these filters." in body


def test_a_search_term_longer_than_anyone_types_is_refused_with_a_message(
    client, cases, coordinator
):
    """A term of 50,000 characters (a pasted file, a forged address) was a 500 on SQLite
    ("LIKE or GLOB pattern too complex"). It is refused with a message that says the limit,
    on the full page and in the table an htmx search swaps in; the list leaves it out."""
    from ncii_cases.filters import SEARCH_TERM_MAX_CHARS

    term = "x" * 50_000
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        body = _page(client, coordinator, f"{HOME}?q={term}", **headers)
        assert f"Search for at most {SEARCH_TERM_MAX_CHARS} characters" in body
        assert "(you entered 50000)" in body
        assert f"{len(cases)} cases match these filters." in body
    # A term at the limit is searched as any other
    body = _page(client, coordinator, f"{HOME}?q={'x' * SEARCH_TERM_MAX_CHARS}")
    assert "Search for at most" not in body
    assert "0 cases match these filters." in body


def test_every_admin_search_refuses_a_term_longer_than_anyone_types(client, district, operator):
    """Every admin list with a search box: the same limit, a message, nothing listed, no
    500."""
    from django.contrib import admin

    from ncii_cases.filters import SEARCH_TERM_MAX_CHARS
    from tests.factories import UserFactory

    coordinator = UserFactory(district=district, role=c.Role.COORDINATOR, is_staff=True)
    it_admin = UserFactory(district=district, role=c.Role.IT_ADMIN, is_staff=True)
    searched = 0
    for model, model_admin in admin.site._registry.items():
        if not model_admin.get_search_fields(None):
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for user in (operator, coordinator, it_admin):
            login_verified(client, user)
            response = client.get(url, {"q": "y" * 50_000})
            if response.status_code == 403:
                continue  # a list this role does not open
            assert response.status_code == 200, (url, user.username)
            body = response.content.decode()
            assert f"Search for at most {SEARCH_TERM_MAX_CHARS} characters" in body, url
            searched += 1
    assert searched >= 8
    # The admin's autocomplete (JSON) answers nothing and leaves no message for a later page
    login_verified(client, coordinator)
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "ncii_cases",
            "model_name": "caseparty",
            "field_name": "person",
            "term": "z" * 50_000,
        },
    )
    assert response.status_code in (200, 403)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Search for at most" not in page
