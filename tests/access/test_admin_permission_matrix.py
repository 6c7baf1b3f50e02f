"""The admin's permission matrix: every admin URL pattern × the admin personas of two districts
(coordinator, IT administrator, auditor, school administrator, each with staff status) and the
deployment operator × rows of both districts (and shared rows), with the exact status of each
cell written in the tables below.

The URL patterns come from the URLconf (``admin.site.get_urls()`` and every ModelAdmin's urls,
simple-history's history and history-version views, the password view, autocomplete and
``/admin/r/``): ``test_every_admin_url_pattern_has_an_expectation`` fails for a new admin view
until it is classified here. No persona other than the operator gets a 200 for a row of the
other district, and no response names the other district's rows (or, for anyone but the
district's case roles, any case content).
"""

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ncii_cases import choices as c
from ncii_cases import models as m
from ncii_cases.audit import access_event_record, case_event_record
from ncii_cases.roles import CASE_RECORD_MODELS, DISTRICT_CATALOG_MODELS, POLICY_TEXT_MODELS
from tests.access.helpers import login_verified
from tests.access.test_permission_matrix import url_patterns
from tests.factories import CaseFactory, PersonFactory, SchoolFactory, UserFactory
from tests.factories_records import BareCasePartyFactory

PERSONAS = [
    "operator",
    "coordinator_a",
    "it_admin_a",
    "auditor_a",
    "school_admin_a",
    "coordinator_b",
    "it_admin_b",
    "auditor_b",
    "school_admin_b",
]
ROLES = {
    "coordinator": c.Role.COORDINATOR,
    "it_admin": c.Role.IT_ADMIN,
    "auditor": c.Role.AUDITOR,
    "school_admin": c.Role.SCHOOL_ADMIN,
}


def role_of(persona: str) -> str:
    return "operator" if persona == "operator" else persona.rsplit("_", 1)[0]


def home_of(persona: str) -> str | None:
    return None if persona == "operator" else persona.rsplit("_", 1)[1]


# --- The table ------------------------------------------------------------------------------
# For each kind of admin, per role: the status of its change list, its add page, a row of the
# persona's own district (the operator: district A), a row of the other district, a shared
# row (no district; None where the admin has none), the delete page of the own and of the
# other district's row. The history and history-version pages of a row answer like its
# change page.
#              list  add   own   other shared del-own del-other
NO_RIGHTS = (403, 403, 403, 403, 403, 403, 403)
TABLE = {
    "account": {
        "operator": (200, 200, 200, 200, None, 403, 403),
        "coordinator": (200, 403, 200, 404, None, 403, 403),  # role and schools only
        "it_admin": (200, 200, 200, 404, None, 403, 403),
        "auditor": NO_RIGHTS,
        "school_admin": NO_RIGHTS,
    },
    "district": {
        "operator": (200, 200, 200, 200, None, 403, 403),
        "coordinator": (200, 403, 200, 404, None, 403, 403),  # read-only
        "it_admin": (200, 403, 200, 404, None, 403, 403),  # its own row; no new district
        "auditor": NO_RIGHTS,
        "school_admin": NO_RIGHTS,
    },
    "school": {
        "operator": (200, 200, 200, 200, None, 403, 403),
        "coordinator": (200, 403, 200, 404, None, 403, 403),  # read-only
        "it_admin": (200, 200, 200, 404, None, 403, 403),
        "auditor": NO_RIGHTS,
        "school_admin": NO_RIGHTS,
    },
    "catalog": {  # shared rows: read-only for everyone but the operator
        "operator": (200, 200, 200, 200, 200, 403, 403),
        "coordinator": (200, 200, 200, 404, 200, 403, 403),
        "it_admin": (200, 200, 200, 404, 200, 403, 403),
        "auditor": NO_RIGHTS,
        "school_admin": (200, 403, 200, 404, 200, 403, 403),
    },
    "policy_text": {  # shared only; the operator alone adds and changes
        "operator": (200, 200, None, None, 200, 403, 403),
        "coordinator": (200, 403, None, None, 200, 403, 403),
        "it_admin": (200, 403, None, None, 200, 403, 403),
        "auditor": NO_RIGHTS,
        "school_admin": (200, 403, None, None, 200, 403, 403),
    },
    "case_data": {  # read-only; the operator and IT read no case
        "operator": (200, 403, 404, 404, None, 403, 403),
        "coordinator": (200, 403, 200, 404, None, 403, 403),
        "it_admin": NO_RIGHTS,
        "auditor": NO_RIGHTS,
        "school_admin": (200, 403, 200, 404, None, 403, 403),  # the case is at their school
    },
    "case_event": {  # the timeline rows of cases whose content the user reads
        "operator": (200, 403, 404, 404, None, 403, 403),
        "coordinator": (200, 403, 200, 404, None, 403, 403),
        "it_admin": NO_RIGHTS,
        "auditor": (200, 403, 404, 404, None, 403, 403),  # the audit review masks content
        "school_admin": NO_RIGHTS,
    },
    "access_event": {  # the district's access log: its auditor and coordinator
        "operator": (200, 403, 404, 404, None, 403, 403),
        "coordinator": (200, 403, 200, 404, None, 403, 403),
        "it_admin": NO_RIGHTS,
        "auditor": (200, 403, 200, 404, None, 403, 403),
        "school_admin": NO_RIGHTS,
    },
    "calendar": {  # the district's school calendar: its IT keeps it, the operator every one
        "operator": (200, 200, 200, 200, None, 200, 200),
        "coordinator": NO_RIGHTS,
        "it_admin": (200, 200, 200, 404, None, 200, 404),
        "auditor": NO_RIGHTS,
        "school_admin": NO_RIGHTS,
    },
    "device": {  # seen and removed (a lost phone), never added, changed or read out
        "operator": (200, 403, 200, 200, None, 200, 200),
        "coordinator": NO_RIGHTS,
        # Another district's device is "not in your list": its removal page sends IT to its
        # own list, as a second click after a removal does (it tells nothing of the device).
        "it_admin": (200, 403, 200, 404, None, 200, 302),
        "auditor": NO_RIGHTS,
        "school_admin": NO_RIGHTS,
    },
    "group": {  # the role mirrors: read-only even for the operator
        "operator": (200, 403, None, None, 200, 403, 403),
        "coordinator": NO_RIGHTS,
        "it_admin": NO_RIGHTS,
        "auditor": NO_RIGHTS,
        "school_admin": NO_RIGHTS,
    },
    "sso_provider": {  # the district's single sign-on providers: its IT; never deleted
        "operator": (200, 200, 200, 200, None, 403, 403),
        "coordinator": NO_RIGHTS,
        "it_admin": (200, 200, 200, 404, None, 403, 403),
        "auditor": NO_RIGHTS,
        "school_admin": NO_RIGHTS,
    },
    "sso_identity": {  # links of accounts to a provider: seen and removed, never made here
        "operator": (200, 403, 200, 200, None, 200, 200),
        "coordinator": NO_RIGHTS,
        "it_admin": (200, 403, 200, 404, None, 200, 404),
        "auditor": NO_RIGHTS,
        "school_admin": NO_RIGHTS,
    },
    "lockout": {  # django-axes' sign-in records of every district: the operator's
        "operator": (200, 403, None, None, 200, 200, 200),
        "coordinator": NO_RIGHTS,
        "it_admin": NO_RIGHTS,
        "auditor": NO_RIGHTS,
        "school_admin": NO_RIGHTS,
    },
}
# The password page of an account: (own district, other district).
PASSWORD = {
    "operator": (200, 200),
    "coordinator": (403, 404),  # passwords are IT's
    "it_admin": (200, 404),
    "auditor": (403, 403),
    "school_admin": (403, 403),
}
# Pages of no row, for every persona (all have staff status).
FIXED = {
    "admin:index": 200,
    "admin:app_list": 200,  # each persona holds a right in ncii_cases
    "admin:jsi18n": 200,
    "admin:password_change": 200,  # one's own password
    "admin:password_change_done": 200,
    "admin:login": 302,  # shadowed by the site's own sign-in
    "admin_login": 302,
    "admin:logout": 405,  # sign-out is a POST
    "admin/(?P<url>.*)$": 404,
}
# The "view on site" link of a case: the case page for those who see the case.
VIEW_ON_SITE = {
    "operator": (404, 404),
    "coordinator": (302, 404),
    "it_admin": (404, 404),
    "auditor": (302, 404),  # the auditor sees the case's reference and stage
    "school_admin": (302, 404),
}

KIND_OF_MODEL = {
    **dict.fromkeys(CASE_RECORD_MODELS, "case_data"),
    **dict.fromkeys(DISTRICT_CATALOG_MODELS, "catalog"),
    **dict.fromkeys(POLICY_TEXT_MODELS, "policy_text"),
    "user": "account",
    "district": "district",
    "school": "school",
    "schoolcalendarentry": "calendar",
    "caseevent": "case_event",
    "accessevent": "access_event",
    "totpdevice": "device",
    "staticdevice": "device",
    "group": "group",
    "ssoprovider": "sso_provider",
    "ssoidentity": "sso_identity",
    "accessattempt": "lockout",
    "accesslog": "lockout",
    "accessfailurelog": "lockout",
}
ROW_VIEWS = ("change", "history", "simple_history", "delete", "object_redirect")
COLUMNS = {"changelist": 0, "add": 1}


def admin_pattern_kind(key: str, route: str):
    """Classifies an admin URL pattern: (view, model admin or None); None if unknown."""
    if key in FIXED:
        return "fixed", None
    if key in ("admin:view_on_site", "admin_view_on_site"):
        return "view_on_site", None
    if key == "admin:autocomplete":
        return "autocomplete", None
    if key == "admin:auth_user_password_change":
        return "password", admin.site._registry[m.User]
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        base = f"admin:{opts.app_label}_{opts.model_name}_"
        if key.startswith(base) and key[len(base) :] in ("changelist", "add", *ROW_VIEWS):
            return key[len(base) :], model_admin
        if route == f"admin/{opts.app_label}/{opts.model_name}/<path:object_id>/":
            return "object_redirect", model_admin
    return None


ADMIN_PATTERNS = [(key, route) for key, route, _ in url_patterns() if route.startswith("admin/")]


def test_every_admin_url_pattern_has_an_expectation():
    unknown = [key for key, route in ADMIN_PATTERNS if admin_pattern_kind(key, route) is None]
    assert unknown == [], f"Give these admin URL patterns a row in the matrix: {unknown}"
    models_without_kind = [
        model._meta.model_name
        for model in admin.site._registry
        if model._meta.model_name not in KIND_OF_MODEL
    ]
    assert models_without_kind == [], f"Classify these admins: {models_without_kind}"


# --- The world ------------------------------------------------------------------------------


def _value(field, place, prefix="CASE"):
    """A plain value for a required field of a generated row (case content carries
    CASEA/CASEB, other rows ZZA/ZZB)."""
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return timezone.localdate()
    if isinstance(field, models.GenericIPAddressField):
        return "192.0.2.1"
    if isinstance(field, models.IntegerField | models.DecimalField | models.FloatField):
        return 1
    if isinstance(field, models.FileField):
        return f"documents/{place}.txt"
    if field.name == "sha256":
        return "0" * 64
    return f"{prefix}{place.upper()} {field.name}"[: field.max_length or 200]


def _row(model, place, links: dict):
    """Creates a row of ``model`` with every required field set; foreign keys come from
    ``links`` (by related model), others are plain values."""
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.null or field.has_default():
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        if field.is_relation:
            values[field.name] = links[field.related_model]
        elif not (isinstance(field, models.CharField | models.TextField) and field.blank):
            values[field.name] = _value(field, place)
    # Built from the model's own fields with the ORM, not a factory: every case-record model
    # gets a row this way, so a new one cannot escape the matrix for want of a factory.
    return model.objects.create(**values)


def _case_rows(case, coordinator, place) -> dict:
    """One row of every case-record model, of ``case``."""
    from policies.models import Intervention, Platform

    person = PersonFactory(
        district=case.district,
        first_name="Name",
        last_name=f"CASE{place.upper()}PERSON",
        affiliation=c.Affiliation.STUDENT,
    )
    party = BareCasePartyFactory(
        case=case, person=person, role=c.PartyRole.RESPONDENT, affiliation="student"
    )
    links = {
        m.Case: case,
        m.CaseParty: party,
        m.User: coordinator,
        m.District: case.district,
        m.School: case.school,
        Platform: Platform.objects.filter(district__isnull=True).first(),
        Intervention: Intervention.objects.filter(district__isnull=True).first(),
    }
    rows = {"case": case, "person": person, "caseparty": party}
    evidence = _row(m.EvidenceItem, place, links)
    links[m.EvidenceItem] = evidence
    rows["evidenceitem"] = evidence
    for name in CASE_RECORD_MODELS:
        if name not in rows:
            model = m.Case._meta.apps.get_model("ncii_cases", name)
            rows[name] = _row(model, place, links)
    return rows


@pytest.fixture
def world(db, district, other_district):
    """Personas and rows of district A (``district``) and B (``other_district``); names carry
    ZZA/ZZB (district rows) and CASEA/CASEB (case content) so that responses can be
    searched for what they must not show."""
    from policies.models import Definition, Intervention

    places = {"a": district, "b": other_district}
    District = m.District
    District.objects.filter(pk=district.pk).update(name="ZZA District")
    District.objects.filter(pk=other_district.pk).update(name="ZZB District")
    personas = {
        "operator": UserFactory(
            username="operator", district=None, is_staff=True, is_superuser=True
        )
    }
    rows = {"a": {}, "b": {}, "shared": {}}
    for place, d in places.items():
        d.refresh_from_db()
        school = SchoolFactory(district=d, name=f"ZZ{place.upper()} School", code=f"zz{place}")
        for role, code in ROLES.items():
            user = UserFactory(username=f"{role}_{place}", district=d, role=code, is_staff=True)
            personas[f"{role}_{place}"] = user
        personas[f"school_admin_{place}"].schools.add(school)
        account = UserFactory(
            username=f"zz{place}account",
            last_name=f"ZZ{place.upper()}",
            district=d,
            role=c.Role.INVESTIGATOR,
        )
        case = CaseFactory(
            school=school, title=f"CASE{place.upper()} title", narrative=f"CASE{place.upper()}"
        )
        r = rows[place]
        r.update(_case_rows(case, personas[f"coordinator_{place}"], place))
        r["user"], r["district"], r["school"] = account, d, school
        r["schoolcalendarentry"] = m.SchoolCalendarEntry.objects.create(
            district=d,
            school=school,
            name=f"ZZ{place.upper()} winter break",
            starts_on=dt.date(2026, 12, 21),
            ends_on=dt.date(2027, 1, 1),
        )
        r["caseevent"] = case_event_record(
            case=case, actor=personas[f"coordinator_{place}"], event_type="facts_updated"
        )
        r["accessevent"] = access_event_record(
            user=account, action="case_detail", path=f"/zz{place}/", allowed=True
        )
        r["totpdevice"] = TOTPDevice.objects.create(user=account, name=f"ZZ{place.upper()}")
        r["staticdevice"] = StaticDevice.objects.create(user=account, name=f"ZZ{place.upper()}")
        r["ssoprovider"] = m.SsoProvider.objects.create(
            district=d,
            name=f"ZZ{place.upper()} staff account",
            slug=f"zz{place}",
            issuer=f"https://zz{place}.example.test",
            client_id=f"zz{place}-client",
            client_secret=f"ZZSECRET{place.upper()}",  # never shown: asserted below
            allowed_domains=f"zz{place}.example.test",
        )
        r["ssoidentity"] = m.SsoIdentity.objects.create(
            provider=r["ssoprovider"],
            user=account,
            issuer=r["ssoprovider"].issuer,
            subject=f"zz{place}-subject",
            how_linked="email",
        )
        for name in DISTRICT_CATALOG_MODELS:
            model = m.Case._meta.apps.get_model("policies", name)
            extra = {}
            if name in ("studentintervention", "employeecorrectiveaction"):
                extra["track"] = (
                    Intervention.Track.STUDENT
                    if name == "studentintervention"
                    else Intervention.Track.EMPLOYEE
                )
            shared = model.objects.filter(district__isnull=True, **extra).first()
            rows["shared"][name] = shared
            # Proxies (the two intervention tracks) through their concrete model, whose
            # saves simple-history records.
            r[name] = model._meta.concrete_model.objects.create(
                **{
                    **{
                        f.name: _value(f, place, "ZZ")
                        for f in model._meta.concrete_fields
                        if not f.primary_key
                        and not f.null
                        and not f.has_default()
                        and not f.is_relation
                        and not (isinstance(f, models.CharField | models.TextField) and f.blank)
                    },
                    **extra,
                    "name": f"ZZ{place.upper()} {name}",
                    # A reporting profile has no slug (one per district).
                    **({"slug": f"zz{place}-{name}"} if name != "reportingprofile" else {}),
                    "district": d,
                }
            )
    rows["shared"]["definition"] = Definition.objects.first()
    rows["shared"]["policyversion"] = rows["shared"]["definition"].policy
    rows["shared"]["group"] = Group.objects.get(name=c.Role.AUDITOR.value)
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        extra = {"get_data": "", "post_data": "", "failures_since_start": 1}
        if model is not AccessAttempt:
            extra = {}
        rows["shared"][model._meta.model_name] = model.objects.create(
            user_agent="test", http_accept="*/*", path_info="/login/", username="x", **extra
        )
    return personas, rows


def assert_no_leak(response, persona, where):
    """A district persona sees nothing of the other district; nobody but the district's own
    case roles sees case content, and the operator none."""
    if response.status_code != 200 or response.streaming:
        return
    body = response.content.decode(errors="replace")
    home = home_of(persona)
    hidden = []
    if home is not None:
        other = "b" if home == "a" else "a"
        hidden += [f"ZZ{other.upper()}", f"CASE{other.upper()}"]
    if role_of(persona) in ("operator", "it_admin", "auditor"):
        hidden += ["CASEA", "CASEB"]
    # A provider's client secret is shown to nobody, on no page.
    hidden += ["ZZSECRETA", "ZZSECRETB"]
    for text in hidden:
        # A marker counts where a word starts with it: inside a random token (a CSRF token, a
        # CSP nonce: "…vFwSGwAaZZBYJ…") it is chance, not the other district's row.
        found = re.search(rf"(?<![A-Za-z0-9]){text}", body)
        assert found is None, f"{where}: {text} leaks"


def row_url(key, view, model_admin, row):
    opts = model_admin.model._meta
    if view == "object_redirect":
        return f"/admin/{opts.app_label}/{opts.model_name}/{row.pk}/"
    if view == "simple_history":
        version = row.history.order_by("history_id").values_list("history_id", flat=True).first()
        return reverse(key, args=[row.pk, version])
    return reverse(key, args=[row.pk])


def expected_for_row(view, kind, persona, place):
    """The table's status for a row view of a row in ``place`` (own, other or shared)."""
    if view == "object_redirect":
        return 302  # the admin's old-style link, sent on to the change page unchecked
    entry = TABLE[kind][role_of(persona)]
    home = home_of(persona) or "a"
    column = 4 if place == "shared" else (2 if place == home else 3)
    if view == "delete":
        if place == "shared":
            return entry[5] if entry[4] == 200 else 403
        return entry[5] if place == home else entry[6]
    return entry[column]


def sign_in(client, user):
    client.logout()
    login_verified(client, user)


@pytest.mark.parametrize("key,route", ADMIN_PATTERNS, ids=[k for k, _ in ADMIN_PATTERNS])
def test_admin_url(client, world, key, route):
    personas, rows = world
    view, model_admin = admin_pattern_kind(key, route)
    if view == "autocomplete":
        pytest.skip("test_autocomplete_offers_only_the_users_scope covers it, with parameters")
    for persona in PERSONAS:
        sign_in(client, personas[persona])
        role = role_of(persona)
        home = home_of(persona) or "a"
        checks = []
        if view == "fixed":
            url = (
                reverse(key, kwargs={"app_label": "ncii_cases"})
                if key == "admin:app_list"
                else ("/admin/no-such-page/" if key.startswith("admin/(") else reverse(key))
            )
            checks.append((url, FIXED[key]))
        elif view == "view_on_site":
            case_type = ContentType.objects.get_for_model(m.Case).pk
            own, other = VIEW_ON_SITE[role]
            for place in ("a", "b"):
                url = reverse(key, args=[case_type, rows[place]["case"].pk])
                checks.append((url, own if place == home else other))
        elif view == "password":
            own, other = PASSWORD[role]
            for place in ("a", "b"):
                url = reverse(key, args=[rows[place]["user"].pk])
                checks.append((url, own if place == home else other))
        elif view in COLUMNS:
            kind = KIND_OF_MODEL[model_admin.model._meta.model_name]
            checks.append((reverse(key), TABLE[kind][role][COLUMNS[view]]))
        else:
            kind = KIND_OF_MODEL[model_admin.model._meta.model_name]
            name = model_admin.model._meta.model_name
            for place in ("a", "b", "shared"):
                row = rows[place].get(name)
                if row is None:
                    continue
                if view == "simple_history" and not hasattr(row, "history"):
                    continue
                expected = expected_for_row(view, kind, persona, place)
                assert expected is not None, (key, persona, place)
                checks.append((row_url(key, view, model_admin, row), expected))
        assert checks, f"{key}: no request for {persona}"
        for url, expected in checks:
            response = client.get(url)
            where = f"{key} {url} {persona}"
            assert response.status_code == expected, where
            assert_no_leak(response, persona, where)


def test_no_persona_but_the_operator_gets_a_200_for_the_other_district(world):
    """The table itself: a district persona's "other district" cells are never 200 (a 302
    sends the persona to its own list: ``test_admin_url`` checks that it leaks nothing)."""
    for kind, by_role in TABLE.items():
        for role, entry in by_role.items():
            if role != "operator":
                assert entry[3] in (None, 403, 404), (kind, role)
                assert entry[6] in (302, 403, 404), (kind, role)
    for role in ROLES:
        assert PASSWORD[role][1] != 200 and VIEW_ON_SITE[role][1] != 200


@pytest.mark.parametrize("persona", PERSONAS)
def test_autocomplete_offers_only_the_users_scope(client, world, persona):
    """``/admin/autocomplete/`` answers for any foreign key to a model with search fields,
    through that model's admin queryset: accounts (via an assignment's ``user``) and people
    (via a party's ``person``) of the other district never come back."""
    personas, rows = world
    sign_in(client, personas[persona])
    role, home = role_of(persona), home_of(persona) or "a"
    sources = {
        "user": ("caseassignment", "user", "account"),
        "person": ("caseparty", "person", "case_data"),
    }
    for name, (source, field, kind) in sources.items():
        response = client.get(
            reverse("admin:autocomplete"),
            {"app_label": "ncii_cases", "model_name": source, "field_name": field, "term": "ZZ"}
            if name == "user"
            else {
                "app_label": "ncii_cases",
                "model_name": source,
                "field_name": field,
                "term": "CASE",
            },
        )
        list_status = TABLE[kind][role][0]
        assert response.status_code == list_status, (persona, name)
        if response.status_code != 200:
            continue
        found = {int(r["id"]) for r in response.json()["results"]}
        own, other = rows[home][name].pk, rows["b" if home == "a" else "a"][name].pk
        if role == "operator":
            assert found == ({own, other} if name == "user" else set()), (persona, name)
        else:
            assert found == {own}, (persona, name)


def test_the_matrix_holds_two_districts_with_rows_of_every_admin(world):
    _, rows = world
    for model in admin.site._registry:
        name = model._meta.model_name
        assert any(name in rows[place] for place in ("a", "b", "shared")), name


def test_the_leak_check_finds_a_marker_but_not_a_chance_run_inside_a_token():
    class Page:
        status_code, streaming = 200, False

        def __init__(self, html):
            self.content = html.encode()

    token = '<input name="csrfmiddlewaretoken" value="vFwSGwAaZZBYJivB0zLQfkCXR27dzRE">'
    assert_no_leak(Page(token), "coordinator_a", "token")
    with pytest.raises(AssertionError, match="ZZB leaks"):
        assert_no_leak(Page(token + "<td>ZZB District</td>"), "coordinator_a", "row")
