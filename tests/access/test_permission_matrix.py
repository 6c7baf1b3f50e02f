"""The permission matrix: every URL pattern of the project × every persona × every kind of case.

URL patterns are enumerated from the URLconf, so a new view fails ``test_every_url_pattern_is_
in_the_matrix`` until it is classified here. Each cell asserts the exact status, and no
response (allowed or not) may contain the reference, title, narrative or a party name of a
case the persona may not see or read. Personas are signed in with a verified second factor.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ncii_cases import choices as c
from ncii_cases.models import AccessEvent, Case
from tests.access.helpers import login_verified
from tests.factories import CasePartyFactory
from tests.factories_records import PdfJobFactory, RedactionReviewFactory, TakedownRequestFactory

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
    # Reports from anyone: an employee with no other role, and a public reporter who followed
    # their report with its tracking code and passphrase (not signed in).
    "staff_reporter",
    "public_reporter",
]
# Not signed in: the public reporter holds only a follow-up session for their own report.
ANONYMOUS = {"anonymous", "public_reporter"}
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
    "staff_reporter": set(),
    "public_reporter": set(),
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
    "ncii_cases:case_measure_review": WORKS_OR_SUPPORTS,
    "ncii_cases:case_takedowns": WORKS,
    "ncii_cases:case_takedown_add": WORKS,
    "ncii_cases:case_takedown_update": WORKS,
    "ncii_cases:case_report_update": WORKS,
    "ncii_cases:case_evidence_add": WORKS,
    "ncii_cases:case_notice_add": WORKS_OR_SUPPORTS,
    "ncii_cases:case_determination": DECIDES,
    "ncii_cases:case_deadline_extend": DECIDES,
    "ncii_cases:case_sanction_add": DECIDES,
    "ncii_cases:case_offer": WORKS,
    "ncii_cases:case_party_add": WORKS,
    "ncii_cases:case_assign": MANAGES,
    "ncii_cases:case_unassign": MANAGES,
    "ncii_cases:case_lead_change": MANAGES,
    # Corrections and withdrawals, opened per kind of record (here parties: WORK).
    "ncii_cases:case_record_correct": WORKS,
    "ncii_cases:case_record_withdraw": WORKS,
    "ncii_cases:case_sanction_status": DECIDES,
    "ncii_cases:case_track": MANAGES,
    "ncii_cases:case_move_school": MANAGES,
    # The PDF summary page (GET; a POST requests a summary): whoever reads the case's content.
    "reporting:case_pdf": READS,
    # Appeals: the coordinators (a decision-maker is another coordinator of the district).
    "ncii_cases:case_appeal_file": DECIDES,
    "ncii_cases:case_appeal_decision_maker": DECIDES,
    "ncii_cases:case_appeal_response": DECIDES,
    "ncii_cases:case_appeal_decide": DECIDES,
    # The dated steps of Process A: whoever works the case.
    "ncii_cases:case_process_a_milestone": WORKS,
    # Parent-notification decisions (WORK) and the reason no support was offered (SUPPORT).
    "ncii_cases:case_parent_decision_add": WORKS,
    "ncii_cases:case_support_not_offered": SUPPORTS,
    # Letters from templates: whoever may send a kind of letter (WORK, or SUPPORT for the
    # supportive-measures letter) sees the case's letters page.
    "ncii_cases:case_letters": WORKS_OR_SUPPORTS,
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
    return {**everyone(status), **dict.fromkeys(ANONYMOUS, anonymous)}


# Pages without a case: the exact status per persona.
FLAT_PAGES = {
    "ncii_cases:home": signed_in(200),
    # A new report is entered by those who triage: coordinators and school administrators.
    "ncii_cases:intake": {
        **signed_in(404),
        **dict.fromkeys(("coordinator", "school_admin", "other_school_admin", "outsider"), 200),
    },
    "ncii_cases:healthz": everyone(200),
    "favicon": everyone(301),  # to the static icon, for every visitor
    "reporting:audit_review": {
        **signed_in(404),
        **dict.fromkeys(AUDITORS, 200),
    },
    "reporting:audit_export": {
        **signed_in(404),
        **dict.fromkeys(AUDITORS, 200),
    },
    # Analytics: the coordinator (the district, exact) and the school administrators (their
    # schools, small counts suppressed); the CSV and the board report are always suppressed.
    **{
        name: {
            **signed_in(404),
            **dict.fromkeys(("coordinator", "outsider", "school_admin", "other_school_admin"), 200),
        }
        for name in (
            "reporting:analytics",
            "reporting:analytics_csv",
            "reporting:analytics_board_report",
        )
    },
    "reporting:audit_verify_now": signed_in(405),  # "Verify now" is a POST
    "login": everyone(200),
    # A verified user is sent on from the code steps; an anonymous one to the password step.
    "login_verify": signed_in(302),
    "login_enroll": signed_in(302),
    "recovery_codes": signed_in(200),
    # Second-factor resets waiting for a second person: each user sees only theirs.
    "second_factor_resets": signed_in(200),
    "logout": everyone(405),  # sign-out is a POST
    "admin_login": everyone(302),  # the admin signs in through the site's own sign-in
    # A provider's answer that this session did not start (here: none at all) signs nobody in.
    "sso_callback": everyone(400),
    # Reports from anyone (docs/reports.md): every employee files a report and sees their own;
    # the incoming queue is the coordinator's and the school administrators'.
    "ncii_cases:staff_report_new": signed_in(200),
    "ncii_cases:my_reports": signed_in(200),
    "ncii_cases:report_queue": {
        **signed_in(404),
        **dict.fromkeys(("coordinator", "school_admin", "other_school_admin", "outsider"), 200),
    },
    # Public: following a report needs its code and passphrase, not an account.
    "ncii_cases:public_follow": everyone(200),
    "ncii_cases:public_follow_status": {**everyone(302), "public_reporter": 200},
    "ncii_cases:public_follow_leave": everyone(405),  # leaving is a POST
    # The district's letter templates: who may manage them (the coordinator), each their own.
    "ncii_cases:letter_templates": {**signed_in(404), "coordinator": 200, "outsider": 200},
    # The roster import screen: the district's IT administrator (and the operator).
    "ncii_cases:roster_import": {**signed_in(404), "it_admin": 200},
    # The roster lookup of intake and the party form: those who open cases.
    "ncii_cases:people_search": {
        **signed_in(404),
        **dict.fromkeys(("coordinator", "school_admin", "other_school_admin", "outsider"), 200),
    },
}
SPECIAL_PAGES = {"admin_view_on_site"}  # per case, see test_admin_view_on_site_reveals_nothing
SPECIAL_PAGES.add("login_enroll_link")  # per token, see test_an_unknown_enrollment_link_is_gone
SPECIAL_PAGES.add("sso_start")  # per provider, see test_single_sign_on_starts_only_for_enabled...
# Pages of one PDF job: only its requester, while they read the case (test_pdf_job_pages).
PDF_JOB_PAGES = {
    "reporting:pdf_job": "GET",
    "reporting:pdf_job_status": "GET",
    "reporting:pdf_job_download": "GET",
    "reporting:pdf_job_retry": "POST",
}
SPECIAL_PAGES |= set(PDF_JOB_PAGES)
# The redaction review of a case (test_redaction_review_pages).
REDACTION_PAGES = {
    "reporting:redaction_request",
    "reporting:redaction_review",
    "reporting:redaction_decide",
    "reporting:redaction_release",
    "reporting:redacted_release_download",
}
SPECIAL_PAGES |= REDACTION_PAGES
# A supporting document's download: tests/ncii_cases/test_case_record.py (per document).
SPECIAL_PAGES.add("ncii_cases:case_document_download")
# A district's public pages (kwarg district, a slug): anyone, signed in or not, reads any
# district's; an unknown slug is a 404 (test_public_district_pages).
PUBLIC_DISTRICT_PAGES = {"public_policy", "public_policy_handout"}
SPECIAL_PAGES |= PUBLIC_DISTRICT_PAGES
# The language switch is a POST that keeps a cookie (test_the_language_switch).
SPECIAL_PAGES.add("set_language")
# One incoming report's pages (test_report_pages) and a district's public report page
# (test_public_report_pages).
REPORT_PAGES = {
    "ncii_cases:my_report",
    "ncii_cases:report_review",
    "ncii_cases:report_reply",
    "ncii_cases:report_promote",
    "ncii_cases:report_merge",
    "ncii_cases:report_close",
}
SPECIAL_PAGES |= REPORT_PAGES
SPECIAL_PAGES |= {"ncii_cases:public_report", "ncii_cases:public_report_sent"}
# A takedown request's TAKE IT DOWN Act notice: prepared and downloaded by whoever may manage
# the case's takedowns (test_takedown_notice_pages, per request and notice).
TAKEDOWN_NOTICE_PAGES = {
    "ncii_cases:case_takedown_notice",
    "ncii_cases:case_takedown_notice_download",
}
SPECIAL_PAGES |= TAKEDOWN_NOTICE_PAGES
# A letter prepared, shown and downloaded (per kind, recipient and letter), and a template's
# page and its versions (per kind, language and version): tests/ncii_cases/test_letters.py.
SPECIAL_PAGES |= {
    "ncii_cases:case_letter_compose",
    "ncii_cases:case_letter",
    "ncii_cases:case_letter_download",
    "ncii_cases:letter_template_edit",
    "ncii_cases:letter_template_version",
}


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
# The admin's patterns have their own matrix, with staff personas of two districts and the
# operator (tests/access/test_admin_permission_matrix.py); here they are only required to be
# classified there.
ADMIN_KEYS = [k for k, route, _ in ALL_PATTERNS if route.startswith("admin/")]


def test_every_url_pattern_is_in_the_matrix():
    from tests.access.test_admin_permission_matrix import admin_pattern_kind

    classified = set(CASE_PAGES) | set(FLAT_PAGES) | SPECIAL_PAGES
    missing = [
        k
        for k, route, _ in ALL_PATTERNS
        if k not in classified and not (k in ADMIN_KEYS and admin_pattern_kind(k, route))
    ]
    assert missing == [], f"Classify these URL patterns in the permission matrix: {missing}"


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
    personas = {p: (None if p in ANONYMOUS else request.getfixturevalue(p)) for p in PERSONAS}
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


MATRIX_PASSPHRASE = "matrix passphrase"


def sign_in(client, user, persona=None):
    client.logout()
    if user is not None:
        login_verified(client, user)
    if persona == "public_reporter":
        from ncii_cases.models import District
        from ncii_cases.services.intake_reports import ReportInput, public_report_file

        report = public_report_file(
            district=District.objects.get(slug="riverbend-test"),
            data=ReportInput(what_happened="A public reporter's own report.", anonymous=True),
            passphrase=MATRIX_PASSPHRASE,
        )
        response = client.post(
            reverse("ncii_cases:public_follow"),
            {"code": report.code, "passphrase": MATRIX_PASSPHRASE},
        )
        assert response.status_code == 302


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(CASE_PAGES))
def test_case_pages(client, world, name, persona):
    personas, objects, secrets = world
    sign_in(client, personas[persona], persona)
    for key, obj in objects.items():
        url = reverse(name, kwargs={"pk": obj.pk, **CASE_PAGE_KWARGS.get(name, {})})
        before = AccessEvent.objects.count()
        response = client.get(url)
        allowed_here = key in CASE_PAGES[name][persona]
        expected = 302 if persona in ANONYMOUS else 200 if allowed_here else 404
        assert response.status_code == expected, f"{name} {persona} {key}"
        if persona in ANONYMOUS:
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
    sign_in(client, personas[persona], persona)
    response = client.get(reverse(name))
    assert response.status_code == FLAT_PAGES[name][persona], f"{name} {persona}"
    if name == "ncii_cases:public_follow_status" and response.status_code == 302:
        # Without a follow-up session: to the code and passphrase form, never to sign in.
        assert response["Location"] == reverse("ncii_cases:public_follow")
    elif response.status_code == 302 and persona in ANONYMOUS:
        assert response["Location"].startswith("/login/")
    assert_no_leak(response, persona, secrets, f"{name} {persona}")


@pytest.mark.parametrize("persona", PERSONAS)
def test_admin_view_on_site_reveals_nothing(client, world, persona):
    personas, objects, secrets = world
    sign_in(client, personas[persona], persona)
    case_type = ContentType.objects.get_for_model(Case).pk
    for key, obj in objects.items():
        response = client.get(reverse("admin_view_on_site", args=[case_type, obj.pk]))
        if persona in ANONYMOUS:
            assert response.status_code == 302 and response["Location"].startswith("/login/")
        elif key in SEES[persona]:
            assert response.status_code == 302
            assert response["Location"] == obj.get_absolute_url()
        else:
            assert response.status_code == 404, f"{persona} {key}"
    other_type = ContentType.objects.get_for_model(type(personas["coordinator"])).pk
    response = client.get(reverse("admin_view_on_site", args=[other_type, 1]))
    assert response.status_code == (302 if persona in ANONYMOUS else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_an_unknown_enrollment_link_is_gone(client, world, persona):
    personas, _, secrets = world
    sign_in(client, personas[persona], persona)
    response = client.get(reverse("login_enroll_link", args=["not-a-token"]))
    assert response.status_code == 410
    assert_no_leak(response, persona, secrets, f"login_enroll_link {persona}")


@pytest.mark.parametrize("persona", PERSONAS)
def test_single_sign_on_starts_only_for_enabled_providers(client, world, persona):
    """An unknown or switched-off provider is not found, for everyone; a start never reveals
    case content. (The start of an enabled provider: tests/sso/test_sso_sign_in.py.)"""
    from ncii_cases.models import SsoProvider

    personas, objects, secrets = world
    SsoProvider.objects.create(
        district=objects["case"].district,
        name="Switched off",
        slug="switched-off",
        issuer="https://login.example.test",
        client_id="x",
        client_secret="not-shown",  # noqa: S106
        allowed_domains="district.example",
        enabled=False,
    )
    sign_in(client, personas[persona])
    for slug in ("no-such-provider", "switched-off"):
        response = client.get(reverse("sso_start", args=[slug]))
        assert response.status_code == 404, f"sso_start {slug} {persona}"
        assert_no_leak(response, persona, secrets, f"sso_start {persona}")


def pdf_job_ready(case, user, root):
    """A finished PDF job of ``user`` on ``case``, with its file in place."""
    import hashlib

    from ncii_cases.permissions import actions_for
    from reporting.models import PdfJob
    from reporting.selectors import rights_fingerprint

    content = b"%PDF-1.4 matrix test file"
    job = PdfJobFactory(
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
    sign_in(client, user, persona)
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
                if persona in ANONYMOUS:
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
                allowed = persona not in ANONYMOUS and expected < 400
                assert entry.allowed == allowed, where
                assert entry.case_id == (obj.pk if allowed else None), where
                if not response.streaming:
                    assert_no_leak(response, persona, secrets, where)
        # A job id of another case is refused even to its requester.
        if user is not None and key in READS[persona]:
            elsewhere = next(o for k, o in objects.items() if k != key)
            url = reverse("reporting:pdf_job", kwargs={"pk": elsewhere.pk, "job_id": own.pk})
            assert client.get(url).status_code == 404


def redaction_review_released(case, user, root):
    """A released redaction review of the case, approved by ``user``, with its file."""
    from django.utils import timezone

    from reporting.models import RedactionReview

    job = pdf_job_ready(case, user, root)
    return RedactionReviewFactory(
        case=case,
        requested_by=user,
        requested_at=timezone.now(),
        status=RedactionReview.Status.RELEASED,
        approved_by=user,
        approved_at=timezone.now(),
        job=job,
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_redaction_review_pages(client, world, persona, settings, tmp_path):
    """The review and the released files answer whoever reads the case; preparing needs the
    right to work the case, releasing the right to release (the coordinator); everyone else
    gets 404, and nothing is written for them."""
    from reporting.models import RedactionReview, RedactionTerm

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    personas, objects, secrets = world
    user = personas[persona]
    sign_in(client, user, persona)
    for key, obj in objects.items():
        approver = personas["outsider" if key == "foreign_case" else "coordinator"]
        released = redaction_review_released(obj, approver, tmp_path)
        kwargs = {"pk": obj.pk, "review_id": released.pk}
        reads = persona not in ANONYMOUS and key in READS[persona]
        works = persona not in ANONYMOUS and key in WORKS[persona]
        where = f"{persona} {key}"

        response = client.get(reverse("reporting:redaction_review", kwargs=kwargs))
        assert response.status_code == (302 if user is None else 200 if reads else 404), where
        if user is not None and not response.streaming:
            assert_no_leak(response, persona, secrets, where)
        # The released file holds evidence and discipline sections: not for support staff.
        reads_all = reads and persona != "counselor"
        response = client.get(reverse("reporting:redacted_release_download", kwargs=kwargs))
        assert response.status_code == (302 if user is None else 200 if reads_all else 404), where

        response = client.post(reverse("reporting:redaction_request", kwargs={"pk": obj.pk}))
        opened = RedactionReview.objects.filter(case=obj, status="open").first()
        assert response.status_code == (302 if user is None or reads else 404), where
        assert (opened is not None) == works, where
        if opened is None:
            continue
        response = client.post(
            reverse("reporting:redaction_decide", kwargs={"pk": obj.pk, "review_id": opened.pk}),
            {"text": "Okonkwo", "kind": "word", "decision": "keep"},
        )
        assert response.status_code == 302, where
        assert RedactionTerm.objects.filter(case=obj, decided_by=user).exists(), where
        response = client.post(
            reverse("reporting:redaction_release", kwargs={"pk": obj.pk, "review_id": opened.pk}),
            {"seen_event_id": "0"},
        )
        assert response.status_code == 302, where
        opened.refresh_from_db()
        assert opened.status == "open", where  # refused: not theirs, or the preview is stale


# --- The admin, for personas without staff status ---------------------------------------------


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "it_admin"])
def test_the_admin_sends_personas_without_staff_status_to_sign_in(client, world, persona):
    """Every admin page sends a persona without staff status (and anonymous visitors) to sign
    in; the staff personas are in test_admin_permission_matrix.py."""
    from tests.access.test_admin_permission_matrix import ADMIN_PATTERNS, admin_pattern_kind

    personas, objects, secrets = world
    sign_in(client, personas[persona], persona)
    for key, route in ADMIN_PATTERNS:
        kind, model_admin = admin_pattern_kind(key, route)
        if kind in ("view_on_site", "object_redirect") or "<" in route or "(" in route:
            continue  # pages of a row or an app: the staff matrix, test_admin_view_on_site
        url = reverse(key)
        response = client.get(url)
        assert response.status_code == 302, f"{key} {persona}"
        target = "/admin/" if key == "admin:logout" else ("/admin/login/", "/login/")
        assert response["Location"].startswith(target), url
        assert_no_leak(response, persona, secrets, f"{key} {persona}")


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


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(PUBLIC_DISTRICT_PAGES))
def test_public_district_pages(client, world, name, persona, district, other_district):
    personas, _, secrets = world
    sign_in(client, personas[persona])
    for slug in (district.slug, other_district.slug):
        response = client.get(reverse(name, kwargs={"district": slug}))
        assert response.status_code == 200, f"{name} {persona} {slug}"
        assert_no_leak(response, persona, secrets, f"{name} {persona} {slug}")
    response = client.get(reverse(name, kwargs={"district": "no-such-district"}))
    assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_language_switch(client, world, persona):
    personas, _, secrets = world
    sign_in(client, personas[persona])
    url = reverse("set_language")
    # A GET changes nothing and goes home; a POST keeps the language and returns to the page.
    response = client.get(url)
    assert response.status_code == 302 and "django_language" not in response.cookies
    response = client.post(url, {"language": "es", "next": "/login/"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert response.cookies["django_language"].value == "es"


# --- Reports from anyone ---------------------------------------------------------------------

# Which incoming reports each persona reviews: the coordinator every report of the district, a
# school administrator those of their schools (a report naming no school is the
# coordinator's), another district's coordinator only theirs.
REPORT_KEYS = ["school_report", "district_report", "foreign_report", "staff_report"]
REVIEWS = {
    **dict.fromkeys(PERSONAS, set()),
    "coordinator": {"school_report", "district_report", "staff_report"},
    "school_admin": {"school_report", "staff_report"},
    "outsider": {"foreign_report"},
}
FILED = {**dict.fromkeys(PERSONAS, set()), "staff_reporter": {"staff_report"}}


@pytest.fixture
def reports(world, school, district, other_district):
    from ncii_cases.services.intake_reports import (
        ReportInput,
        public_report_file,
        staff_report_file,
    )

    personas = world[0]

    def public(district, tag, school=None):
        data = ReportInput(what_happened=f"REPORTTEXT-{tag}", school=school, anonymous=True)
        return public_report_file(district=district, data=data, passphrase=MATRIX_PASSPHRASE)

    from django.utils import timezone

    staff = staff_report_file(
        actor=personas["staff_reporter"],
        data=ReportInput(
            what_happened="REPORTTEXT-STAFF", school=school, learned_at=timezone.now()
        ),
    )
    return {
        "school_report": public(district, "SCHOOL", school),
        "district_report": public(district, "DISTRICT"),
        "foreign_report": public(other_district, "FOREIGN"),
        "staff_report": staff,
    }


def assert_no_report_leak(response, reports, allowed: set, where):
    body = response.content.decode(errors="replace")
    for key, report in reports.items():
        if key not in allowed:
            assert report.what_happened not in body, f"{where}: text of {key} leaks"
            assert report.code_display not in body, f"{where}: code of {key} leaks"


@pytest.mark.parametrize("persona", PERSONAS)
def test_report_pages(client, world, reports, persona):
    """A report's page answers its reviewers (and a receipt its filer); everyone else gets
    404 and reads nothing of it; a decision's address takes a POST only; a reply from someone
    who does not review the report is refused with 404 and writes nothing."""
    from ncii_cases.models import ReportMessage

    personas, _, secrets = world
    sign_in(client, personas[persona], persona)
    anonymous = persona in ANONYMOUS
    for key, report in reports.items():
        where = f"{persona} {key}"
        kwargs = {"report_pk": report.pk}
        response = client.get(reverse("ncii_cases:report_review", kwargs=kwargs))
        expected = 302 if anonymous else 200 if key in REVIEWS[persona] else 404
        assert response.status_code == expected, where
        assert_no_report_leak(response, reports, REVIEWS[persona], where)
        response = client.get(reverse("ncii_cases:my_report", kwargs=kwargs))
        expected = 302 if anonymous else 200 if key in FILED[persona] else 404
        assert response.status_code == expected, where
        assert_no_report_leak(response, reports, FILED[persona], where)
        for name in ("report_reply", "report_promote", "report_merge", "report_close"):
            response = client.get(reverse(f"ncii_cases:{name}", kwargs=kwargs))
            assert response.status_code == (302 if anonymous else 405), f"{name} {where}"
        before = ReportMessage.objects.count()
        response = client.post(
            reverse("ncii_cases:report_reply", kwargs=kwargs), {"reply-body": "Hello"}
        )
        if anonymous:
            expected = 302
        elif key not in REVIEWS[persona]:
            expected = 404
        else:
            expected = 400 if key == "staff_report" else 302  # a staff report has no box
        assert response.status_code == expected, where
        assert ReportMessage.objects.count() == before + (
            1 if expected == 302 and not anonymous else 0
        )
        assert_no_leak(response, persona, secrets, where)


@pytest.mark.parametrize("persona", PERSONAS)
def test_public_report_pages(client, world, persona):
    """The district's public report page answers everyone, signed in or not; an unknown
    district has none; the "sent" page shows a code only right after sending."""
    personas, _, secrets = world
    sign_in(client, personas[persona], persona)
    response = client.get(reverse("ncii_cases:public_report", args=["riverbend-test"]))
    assert response.status_code == 200
    assert_no_leak(response, persona, secrets, persona)
    assert client.get(reverse("ncii_cases:public_report", args=["nowhere"])).status_code == 404
    response = client.get(reverse("ncii_cases:public_report_sent", args=["riverbend-test"]))
    assert response.status_code == 302


def test_reports_where_and_user_can_on_report_agree(world, reports):
    from ncii_cases.permissions import Action, reports_where, user_can_on_report

    personas, _, _ = world
    for persona, user in personas.items():
        if user is None:
            continue
        visible = set(reports_where(user, Action.REVIEW_REPORTS).values_list("pk", flat=True))
        for key, report in reports.items():
            may = user_can_on_report(user, Action.REVIEW_REPORTS, report)
            assert (report.pk in visible) == may == (key in REVIEWS[persona]), (persona, key)


def takedown_with_notice(case, pdf: bytes):
    """A platform-route takedown request of the case with a stored notice (built directly:
    the closed case takes no new writes through the services)."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from ncii_cases.models import TakedownNotice, TakedownRequest
    from tests.factories_workflow import platform

    takedown = TakedownRequestFactory(
        case=case,
        platform=platform("snapchat"),
        location="https://social.example/p/1",
        route=TakedownRequest.Route.PLATFORM,
        covered_by_48h_rule=True,
    )
    notice = TakedownNotice(
        case=case,
        takedown=takedown,
        authority=TakedownNotice.Authority.PARENT,
        authorized_by_name="Robin Guardian",
        authorized_on=timezone.localdate(),
        content_location="https://social.example/p/1",
        statement="Not consensual.",
        signer_name="Avery Coordinator",
        signer_title="Title IX coordinator",
        signature="/s/ Avery Coordinator",
        contact_email="titleix@district.example",
        text=f"NOTICE-TEXT-{case.reference}",
        pdf_sha256=f"{case.pk:064d}",
    )
    notice.pdf.save("notice.pdf", ContentFile(pdf), save=False)
    notice.save()
    return takedown, notice


@pytest.mark.parametrize("persona", PERSONAS)
def test_takedown_notice_pages(client, world, persona, private_root):
    """The notice page and both downloads answer whoever may manage the case's takedowns
    (WORK); everyone else gets 404, another district's staff included; a notice reached
    through another case's URL is 404 too; each request is logged."""
    from ncii_cases.pdf_render import notice_pdf_render
    from tests.ncii_cases.test_takedown_notices import one_page_letter

    personas, objects, secrets = world
    sign_in(client, personas[persona], persona)
    pdf = notice_pdf_render(one_page_letter())
    made = {key: takedown_with_notice(obj, pdf) for key, obj in objects.items()}
    for key, obj in objects.items():
        takedown, notice = made[key]
        urls = [
            reverse("ncii_cases:case_takedown_notice", args=[obj.pk, takedown.pk]),
            *(
                reverse("ncii_cases:case_takedown_notice_download", args=[obj.pk, notice.pk, f])
                for f in ("pdf", "txt")
            ),
        ]
        for url in urls:
            before = AccessEvent.objects.count()
            response = client.get(url)
            anonymous = persona in ANONYMOUS
            allowed = not anonymous and key in WORKS[persona]
            expected = 302 if anonymous else (200 if allowed else 404)
            assert response.status_code == expected, f"{url} {persona} {key}"
            assert AccessEvent.objects.count() == before + 1
            entry = AccessEvent.objects.order_by("pk").last()
            assert entry.allowed == (expected == 200)
            assert entry.case_id == (obj.pk if expected == 200 else None)
            if not response.streaming:
                assert_no_leak(response, persona, secrets, f"{url} {persona} {key}")
        if key in WORKS[persona] and persona not in ANONYMOUS:
            other_key = next(k for k in objects if k != key)
            _, foreign_notice = made[other_key]
            url = reverse(
                "ncii_cases:case_takedown_notice_download",
                args=[obj.pk, foreign_notice.pk, "txt"],
            )
            assert client.get(url).status_code == 404
