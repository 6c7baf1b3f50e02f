"""The permission matrix: every URL pattern of the project × every persona × every kind of case.

URL patterns are enumerated from the URLconf, so a new view fails ``test_every_url_pattern_is_
in_the_matrix`` until it is classified here. Each cell asserts the exact status, and no
response (allowed or not) may contain the reference, title, narrative or a party name of a
case the persona may not see or read. Personas are signed in with a verified second factor.
"""

from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ncii_cases import choices as c
from ncii_cases.models import AccessEvent, Case
from tests.access.helpers import login_verified
from tests.factories import CasePartyFactory

PERSONAS = [
    "coordinator",
    "school_admin",
    "other_school_admin",
    "investigator",
    "unassigned_investigator",
    "counselor",
    "auditor",
    "it_admin",
    "outsider",
    "anonymous",
]
OBJECTS = ["case", "other_school_case", "foreign_case", "closed_case"]
DISTRICT_CASES = {"case", "other_school_case", "closed_case"}

# Which cases each persona may see at all (metadata: reference, school, stage, dates) ...
SEES = {
    "coordinator": DISTRICT_CASES,
    "school_admin": {"case", "closed_case"},
    "other_school_admin": {"other_school_case"},
    "investigator": {"case"},
    "unassigned_investigator": set(),
    "counselor": {"case"},
    "auditor": DISTRICT_CASES,
    "it_admin": set(),
    "outsider": {"foreign_case"},
    "anonymous": set(),
}
# ... whose content (title, narrative, parties) it may read ...
READS = {**SEES, "auditor": set()}
# ... and whose audit trail it may read.
AUDITS = {p: (SEES[p] if p in ("coordinator", "auditor", "outsider") else set()) for p in SEES}
AUDITORS = {"coordinator", "auditor", "outsider"}

# Which cases each persona may act on, per right. A working page that the persona cannot use
# on a case answers 404, like a case it cannot see.
MANAGES = {  # triage and assignments: the coordinator and the school administrators
    **dict.fromkeys(PERSONAS, set()),
    "coordinator": DISTRICT_CASES,
    "school_admin": {"case", "closed_case"},
    "other_school_admin": {"other_school_case"},
    "outsider": {"foreign_case"},
}
WORKS = {**MANAGES, "investigator": {"case"}}  # harm, takedowns, reports, evidence, parties
SUPPORTS = {**MANAGES, "counselor": {"case"}}  # supportive measures and remedies
WORKS_OR_SUPPORTS = {**MANAGES, "investigator": {"case"}, "counselor": {"case"}}
DECIDES = {  # determinations and sanctions: the coordinator only
    **dict.fromkeys(PERSONAS, set()),
    "coordinator": DISTRICT_CASES,
    "outsider": {"foreign_case"},
}

# Case-scoped pages (kwarg pk): the table of which cases answer 200; the rest answer 404.
CASE_PAGES = {
    "ncii_cases:case_detail": SEES,
    "reporting:case_audit": AUDITS,
    "reporting:case_audit_export": AUDITS,
    # A workflow step's page answers whoever reads the case; it says plainly when the step is
    # not theirs or not possible at the case's stage.
    "ncii_cases:case_transition": READS,
    "ncii_cases:case_facts": MANAGES,
    "ncii_cases:case_harm": WORKS,
    "ncii_cases:case_measure_add": WORKS_OR_SUPPORTS,
    "ncii_cases:case_measure_update": WORKS_OR_SUPPORTS,
    "ncii_cases:case_takedowns": WORKS,
    "ncii_cases:case_takedown_add": WORKS,
    "ncii_cases:case_takedown_update": WORKS,
    "ncii_cases:case_report_update": WORKS,
    "ncii_cases:case_evidence_add": WORKS,
    "ncii_cases:case_notice_add": WORKS_OR_SUPPORTS,
    "ncii_cases:case_determination": DECIDES,
    "ncii_cases:case_sanction_add": DECIDES,
    "ncii_cases:case_offer": WORKS,
    "ncii_cases:case_party_add": WORKS,
    "ncii_cases:case_assign": MANAGES,
    "ncii_cases:case_unassign": MANAGES,
    # Corrections and withdrawals, opened per kind of record (here parties: WORK).
    "ncii_cases:case_record_correct": WORKS,
    "ncii_cases:case_record_withdraw": WORKS,
    "ncii_cases:case_sanction_status": DECIDES,
    "ncii_cases:case_track": MANAGES,
    "ncii_cases:case_move_school": MANAGES,
    # The PDF summary page (GET; a POST requests a summary): whoever reads the case's content.
    "reporting:case_pdf": READS,
}
# Extra URL arguments of case pages beyond the case's pk.
CASE_PAGE_KWARGS = {
    "ncii_cases:case_transition": {"action": "begin_assessment"},
    "ncii_cases:case_record_correct": {"kind": "party"},
    "ncii_cases:case_record_withdraw": {"kind": "party"},
}


def everyone(status):
    return dict.fromkeys(PERSONAS, status)


def signed_in(status, anonymous=302):
    return {**everyone(status), "anonymous": anonymous}


# Pages without a case: the exact status per persona.
FLAT_PAGES = {
    "ncii_cases:home": signed_in(200),
    # A new report is entered by those who triage: coordinators and school administrators.
    "ncii_cases:intake": {
        **signed_in(404),
        **dict.fromkeys(("coordinator", "school_admin", "other_school_admin", "outsider"), 200),
    },
    "ncii_cases:healthz": everyone(200),
    "reporting:audit_review": {
        **signed_in(404),
        **dict.fromkeys(AUDITORS, 200),
    },
    "reporting:audit_export": {
        **signed_in(404),
        **dict.fromkeys(AUDITORS, 200),
    },
    # District analytics: the coordinator of the district only (suppressed counts, no names).
    "reporting:analytics": {**signed_in(404), "coordinator": 200, "outsider": 200},
    "reporting:analytics_csv": {**signed_in(404), "coordinator": 200, "outsider": 200},
    "reporting:audit_verify_now": signed_in(405),  # "Verify now" is a POST
    "login": everyone(200),
    # A verified user is sent on from the code steps; an anonymous one to the password step.
    "login_verify": signed_in(302),
    "login_enroll": signed_in(302),
    "recovery_codes": signed_in(200),
    "logout": everyone(405),  # sign-out is a POST
    "admin_login": everyone(302),  # the admin signs in through the site's own sign-in
}
SPECIAL_PAGES = {"admin_view_on_site"}  # per case, see test_admin_view_on_site_reveals_nothing
# Pages of one PDF job: only its requester, while they read the case (test_pdf_job_pages).
PDF_JOB_PAGES = {
    "reporting:pdf_job": "GET",
    "reporting:pdf_job_status": "GET",
    "reporting:pdf_job_download": "GET",
    "reporting:pdf_job_retry": "POST",
}
SPECIAL_PAGES |= set(PDF_JOB_PAGES)
# A supporting document's download: tests/ncii_cases/test_case_record.py (per document).
SPECIAL_PAGES.add("ncii_cases:case_document_download")


def url_patterns(patterns=None, prefix="", namespace=""):
    """Yields (key, route, pattern) for every URL pattern; key is the namespaced name, or the
    route for unnamed patterns."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from url_patterns(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield (name or prefix + str(p.pattern)), prefix + str(p.pattern), p


ALL_PATTERNS = list(url_patterns())
ADMIN_KEYS = [k for k, route, _ in ALL_PATTERNS if route.startswith("admin/")]
ADMIN_KEYS = [k for k in ADMIN_KEYS if k not in ("admin_login", "admin_view_on_site")]


def test_every_url_pattern_is_in_the_matrix():
    classified = set(CASE_PAGES) | set(FLAT_PAGES) | SPECIAL_PAGES | set(ADMIN_KEYS)
    missing = [k for k, _, _ in ALL_PATTERNS if k not in classified]
    assert missing == [], f"Classify these URL patterns in the permission matrix: {missing}"
    unknown = [k for k in ADMIN_KEYS if admin_kind(k) is None]
    assert unknown == [], f"Admin URL patterns without a rule: {unknown}"


@pytest.fixture
def world(request, case, other_school_case, foreign_case, closed_case):
    """Every persona and object, with content unique enough to search responses for."""
    objects = {
        "case": case,
        "other_school_case": other_school_case,
        "foreign_case": foreign_case,
        "closed_case": closed_case,
    }
    secrets = {}
    for key, obj in objects.items():
        tag = key.upper().replace("_", "")
        Case.objects.filter(pk=obj.pk).update(
            reference=f"REF-{tag}", title=f"TITLE-{tag}", narrative=f"NARRATIVE-{tag}"
        )
        obj.refresh_from_db()
        party = CasePartyFactory(
            case=obj, person__first_name="Name", person__last_name=f"PARTY{tag}"
        )
        secrets[key] = {
            "reference": obj.reference,
            "content": [obj.title, obj.narrative, party.person.last_name],
        }
    personas = {p: (None if p == "anonymous" else request.getfixturevalue(p)) for p in PERSONAS}
    return personas, objects, secrets


def assert_no_leak(response, persona, secrets, where):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    body = content.decode(errors="replace")
    for key, secret in secrets.items():
        if key not in SEES[persona]:
            assert secret["reference"] not in body, f"{where}: reference of {key} leaks"
        if key not in READS[persona]:
            for text in secret["content"]:
                assert text not in body, f"{where}: content of {key} leaks ({text})"


def sign_in(client, user):
    client.logout()
    if user is not None:
        login_verified(client, user)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(CASE_PAGES))
def test_case_pages(client, world, name, persona):
    personas, objects, secrets = world
    sign_in(client, personas[persona])
    for key, obj in objects.items():
        url = reverse(name, kwargs={"pk": obj.pk, **CASE_PAGE_KWARGS.get(name, {})})
        before = AccessEvent.objects.count()
        response = client.get(url)
        if persona == "anonymous":
            expected = 302
        else:
            expected = 200 if key in CASE_PAGES[name][persona] else 404
        assert response.status_code == expected, f"{name} {persona} {key}"
        if persona == "anonymous":
            assert response["Location"].startswith("/login/")
            entry = AccessEvent.objects.order_by("pk").last()
            assert AccessEvent.objects.count() == before + 1
            assert (entry.user, entry.path, entry.allowed, entry.case) == (None, url, False, None)
        else:
            # Every opening is logged, allowed or refused, and a refusal links no case.
            entry = AccessEvent.objects.order_by("pk").last()
            assert AccessEvent.objects.count() == before + 1
            assert (entry.user, entry.path, entry.allowed) == (
                personas[persona],
                url,
                expected == 200,
            )
            assert entry.case_id == (obj.pk if expected == 200 else None)
        assert_no_leak(response, persona, secrets, f"{name} {persona} {key}")


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(FLAT_PAGES))
def test_pages_without_a_case(client, world, name, persona):
    personas, _, secrets = world
    sign_in(client, personas[persona])
    response = client.get(reverse(name))
    assert response.status_code == FLAT_PAGES[name][persona], f"{name} {persona}"
    if response.status_code == 302 and persona == "anonymous":
        assert response["Location"].startswith("/login/")
    assert_no_leak(response, persona, secrets, f"{name} {persona}")


@pytest.mark.parametrize("persona", PERSONAS)
def test_admin_view_on_site_reveals_nothing(client, world, persona):
    personas, objects, secrets = world
    sign_in(client, personas[persona])
    case_type = ContentType.objects.get_for_model(Case).pk
    for key, obj in objects.items():
        response = client.get(reverse("admin_view_on_site", args=[case_type, obj.pk]))
        if persona == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/login/")
        elif key in SEES[persona]:
            assert response.status_code == 302
            assert response["Location"] == obj.get_absolute_url()
        else:
            assert response.status_code == 404, f"{persona} {key}"
    other_type = ContentType.objects.get_for_model(type(personas["coordinator"])).pk
    response = client.get(reverse("admin_view_on_site", args=[other_type, 1]))
    assert response.status_code == (302 if persona == "anonymous" else 404)


def pdf_job_ready(case, user, root):
    """A finished PDF job of ``user`` on ``case``, with its file in place."""
    import hashlib

    from ncii_cases.permissions import actions_for
    from reporting.models import PdfJob
    from reporting.selectors import rights_fingerprint

    content = b"%PDF-1.4 matrix test file"
    job = PdfJob.objects.create(
        case=case,
        requested_by=user,
        profile=PdfJob.Profile.INTERNAL,
        status=PdfJob.Status.READY,
        idempotency_key=f"{case.pk}:internal:{user.pk}:0:"
        + rights_fingerprint(actions_for(user, case)),
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        page_count=1,
    )
    job.file_path = f"pdf/{case.district_id}/{job.pk}.pdf"
    (root / job.file_path).parent.mkdir(parents=True, exist_ok=True)
    (root / job.file_path).write_bytes(content)
    job.save()
    return job


@pytest.mark.parametrize("persona", PERSONAS)
def test_pdf_job_pages(client, world, persona, settings, tmp_path):
    """A job's pages answer its requester while they read the case; everyone else, and the
    requester once the case is out of their reach, get 404, and each request is logged."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    personas, objects, secrets = world
    user = personas[persona]
    sign_in(client, user)
    someone_else = personas["school_admin" if persona == "coordinator" else "coordinator"]
    for key, obj in objects.items():
        own = pdf_job_ready(obj, user, tmp_path) if user is not None else None
        others = pdf_job_ready(obj, someone_else, tmp_path)
        for name, method in PDF_JOB_PAGES.items():
            for job, mine in ((own, True), (others, False)):
                if job is None:
                    continue
                url = reverse(name, kwargs={"pk": obj.pk, "job_id": job.pk})
                before = AccessEvent.objects.count()
                response = client.post(url) if method == "POST" else client.get(url)
                if persona == "anonymous":
                    expected = 302
                elif mine and key in READS[persona]:
                    expected = 302 if method == "POST" else 200
                else:
                    expected = 404
                where = f"{name} {persona} {key} {'own' if mine else 'other'}"
                assert response.status_code == expected, where
                assert AccessEvent.objects.count() == before + 1, where
                entry = AccessEvent.objects.order_by("pk").last()
                # Allowed: a page shown, or a signed-in user's POST sent on with a redirect.
                allowed = persona != "anonymous" and expected < 400
                assert entry.allowed == allowed, where
                assert entry.case_id == (obj.pk if allowed else None), where
                if not response.streaming:
                    assert_no_leak(response, persona, secrets, where)
        # A job id of another case is refused even to its requester.
        if user is not None and key in READS[persona]:
            elsewhere = next(o for k, o in objects.items() if k != key)
            url = reverse("reporting:pdf_job", kwargs={"pk": elsewhere.pk, "job_id": own.pk})
            assert client.get(url).status_code == 404


# --- The admin -------------------------------------------------------------------------------

ADMIN_OBJECT_SUFFIXES = ("change", "delete", "history", "simple_history")


def admin_kind(key: str):
    """Classifies an admin URL pattern: (kind, model admin or None)."""
    fixed = {
        "admin:index": "index",
        "admin:login": "login",
        "admin:logout": "logout",
        "admin:password_change": "page",
        "admin:password_change_done": "page",
        "admin:autocomplete": "autocomplete",
        "admin:jsi18n": "page",
        "admin:view_on_site": "view_on_site",
        "admin:app_list": "app_list",
        "admin:auth_user_password_change": "user_password",
        "admin/(?P<url>.*)$": "catch_all",
        "admin:otp_totp_totpdevice_config": "device_secret",
        "admin:otp_totp_totpdevice_qrcode": "device_secret",
    }
    if key in fixed:
        return fixed[key], None
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        base = f"admin:{opts.app_label}_{opts.model_name}_"
        if key.startswith(base) and key[len(base) :] in (
            "changelist",
            "add",
            *ADMIN_OBJECT_SUFFIXES,
        ):
            return key[len(base) :], model_admin
        if key == f"admin/{opts.app_label}/{opts.model_name}/<path:object_id>/":
            return "object_redirect", model_admin
    return None


def case_scoped(model_admin) -> bool:
    from ncii_cases.admin import CaseAdmin, CaseScopedAdmin, PersonAdmin

    return isinstance(model_admin, CaseScopedAdmin | CaseAdmin | PersonAdmin) or (
        model_admin.model._meta.model_name in ("caseevent", "accessevent")
    )


def admin_url(key, kind, model_admin, objects):
    """Returns the URL to request for the pattern, and whether its object exists."""
    if kind == "catch_all":
        return "/admin/no-such-page/", False
    if kind == "app_list":
        return reverse("admin:app_list", kwargs={"app_label": "ncii_cases"}), True
    if kind == "view_on_site":
        case_type = ContentType.objects.get_for_model(Case).pk
        return reverse(key, args=[case_type, objects["case"].pk]), True
    if kind == "user_password":
        return reverse(key, args=[objects["user"].pk]), True
    if kind == "device_secret":
        return reverse(key, kwargs={"pk": objects["device"].pk}), True
    if model_admin is None or kind in ("changelist", "add"):
        return reverse(key), True
    model = model_admin.model
    if model is Case:
        pk = objects["case"].pk
    else:
        # The first row if there is one (for case data: a row of a case), else a missing id.
        # The two intervention admins each show one track's rows of the same table.
        rows = model.objects.all()
        if getattr(model_admin, "track", None):
            rows = rows.filter(track=model_admin.track)
        pk = rows.order_by("pk").values_list("pk", flat=True).first() or 999999
    exists = rows.filter(pk=pk).exists() if model is not Case else True
    opts = model._meta
    if kind == "object_redirect":
        return f"/admin/{opts.app_label}/{opts.model_name}/{pk}/", exists
    if kind == "simple_history":
        version = (
            model.history.filter(**{opts.pk.attname: pk})
            .values_list("history_id", flat=True)
            .first()
        )
        return reverse(key, args=[pk, version or 1]), exists
    return reverse(key, args=[pk]), exists


def it_admin_expected(kind, model_admin, exists: bool, request) -> int:
    """What the IT administrator (a superuser, verified) gets: account and settings pages, and
    for anything of a case, empty lists and "no such record"."""
    from simple_history.admin import SimpleHistoryAdmin

    from ncii_cases.admin import AppendOnlyAdmin, ScopedHistoryAdmin

    if kind in ("index", "app_list", "page", "changelist", "user_password"):
        return 200
    if kind == "login":
        return 302  # shadowed by the site's own sign-in
    if kind in ("view_on_site", "catch_all"):
        return 404  # the scoped view-on-site link: IT sees no case
    if kind == "logout":
        return 405
    if kind == "autocomplete":
        return 403  # without the autocomplete's parameters Django refuses the request
    if kind == "device_secret":
        return 404  # the device admin is replaced: no secret key, no QR code
    if kind == "add":
        if case_scoped(model_admin):
            # Case data is read-only in the admin: it is written only through the services.
            assert not model_admin.has_add_permission(request)
            return 403
        return 200 if model_admin.has_add_permission(request) else 403
    if kind == "object_redirect":
        return 302
    if kind == "delete" and not model_admin.has_delete_permission(request):
        return 403  # audit rows, accounts, districts, schools and catalogs are never deleted
    visible = exists and not case_scoped(model_admin)
    if visible:
        return 200
    if kind in ("history", "simple_history") and isinstance(model_admin, SimpleHistoryAdmin):
        # simple-history answers 404 for a row it cannot find; ScopedHistoryAdmin does the
        # same for a row the user may not see (instead of rebuilding it from its history).
        assert isinstance(model_admin, ScopedHistoryAdmin) or not case_scoped(model_admin)
        return 404
    assert not isinstance(model_admin, AppendOnlyAdmin) or kind in ("change", "history")
    return 302  # the admin's "does not exist" redirect


@pytest.mark.parametrize("key", ADMIN_KEYS)
def test_admin_pages(client, world, key):
    personas, objects, secrets = world
    kind, model_admin = admin_kind(key)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    it_admin = personas["it_admin"]
    objects = {
        **objects,
        "user": it_admin,
        "device": TOTPDevice.objects.get_or_create(user=it_admin, name="Authenticator app")[0],
    }
    url, exists = admin_url(key, kind, model_admin, objects)
    for persona in PERSONAS:
        sign_in(client, personas[persona])
        response = client.get(url)
        if persona == "it_admin":
            expected = it_admin_expected(kind, model_admin, exists, SimpleNamespace(user=it_admin))
        elif kind == "login":
            expected = 302
        elif kind == "logout":
            expected = 302  # the admin sends non-staff from its sign-out to its index
        elif kind == "view_on_site":
            expected = 302 if persona == "anonymous" or "case" in SEES[persona] else 404
        else:
            expected = 302  # anonymous and non-staff: sent to sign in
        assert response.status_code == expected, f"{key} {url} {persona}"
        if expected == 302 and persona != "it_admin" and kind not in ("view_on_site",):
            target = "/admin/" if kind == "logout" else ("/admin/login/", "/login/")
            assert response["Location"].startswith(target), url
        assert_no_leak(response, persona, secrets, f"{key} {persona}")


def test_it_admin_sees_an_empty_case_list_in_the_admin(client, world):
    personas, objects, secrets = world
    sign_in(client, personas["it_admin"])
    response = client.get(reverse("admin:ncii_cases_case_changelist"))
    assert response.status_code == 200
    assert b"0 cases" in response.content
    assert_no_leak(response, "it_admin", secrets, "case changelist")


def test_cases_visible_to_and_user_can_agree_for_every_persona_object_and_action(world):
    from ncii_cases.permissions import ALL_ACTIONS, cases_visible_to, user_can

    personas, objects, _ = world
    for persona, user in personas.items():
        if user is None:
            continue
        for action in ALL_ACTIONS:
            visible = set(cases_visible_to(user, action).values_list("pk", flat=True))
            for key, obj in objects.items():
                assert (obj.pk in visible) == user_can(user, action, obj), (persona, action, key)
                if action in ("view_metadata",):
                    assert (obj.pk in visible) == (key in SEES[persona]), (persona, key)
                if action == "view":
                    assert (obj.pk in visible) == (key in READS[persona]), (persona, key)


def test_superuser_status_alone_grants_no_case(world, district):
    from ncii_cases.permissions import ALL_ACTIONS, cases_visible_to
    from tests.factories import UserFactory

    root = UserFactory(district=district, is_staff=True, is_superuser=True)
    for action in ALL_ACTIONS:
        assert not cases_visible_to(root, action).exists()


def test_closed_case_is_in_the_matrix_as_a_case_of_the_school(world):
    _, objects, _ = world
    assert objects["closed_case"].stage == c.Stage.CLOSED
