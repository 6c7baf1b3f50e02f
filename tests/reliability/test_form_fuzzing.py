"""Every form of the site, fed random and hostile input by Hypothesis: unicode of every kind,
NUL bytes, very long strings, script tags, numbers out of any range, impossible dates, and
forged ids (of rows that do not exist, and of another district's case).

For each POST the server answers a form again (200) or the success redirect of the view, never
a 500; and when it answers the form again, no row of any case-data table changed and no event
was added: a refused write leaves nothing behind.

The form views are found from the URLconf: every pattern (the admin aside) that does not
refuse a POST with 405 must have an entry in ``FUZZ``, so a new form cannot skip this test.
"""

import datetime as dt
import os
from dataclasses import dataclass, field

import pytest
from django import forms
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ncii_cases import forms as f
from ncii_cases import forms_appeals as fa
from ncii_cases import forms_reports as fr
from ncii_cases.forms_deadlines import DeadlineExtensionForm
from ncii_cases.forms_letters import LetterSendForm, LetterTemplateForm
from ncii_cases.forms_roster import RosterUploadForm
from ncii_cases.forms_takedown_notice import TakedownNoticeForm
from ncii_cases.models import (
    Case,
    CaseAssignment,
    CaseMeasure,
    CaseParty,
    Determination,
    District,
    Person,
    Sanction,
    School,
    TakedownRequest,
    User,
)
from ncii_cases.workflow import BY_ACTION
from policies.models import AppealGround, Intervention, Measure, Platform
from reporting.models import PdfJob
from tests.access.helpers import login_verified
from tests.factories_records import TakedownRequestFactory

pytestmark = pytest.mark.django_db

# Examples per form view (raise it locally for a longer hunt: NCII_FUZZ_EXAMPLES=500).
EXAMPLES = int(os.environ.get("NCII_FUZZ_EXAMPLES", "15"))
# What a signed-in persona may legitimately write on any request: the access log, the head
# of its chain and the session (the idle clock rewrites it at every request). Everything else
# of these apps is case data (history tables included).
NOT_CASE_DATA = {
    "ncii_cases.accessevent",
    "ncii_cases.auditchainhead",
    "ncii_cases.accountsession",
}
CASE_DATA_APPS = ("ncii_cases", "policies", "reporting")

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE ncii_cases_case; --",
    "\u202eevil\u202c",
    "\ufeff",
    "😀" * 300,
    "x" * 70_000,
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "2026-02-30",
    "9999-12-31T23:59",
    "0001-01-01",
    "{{ 7*7 }}",
    "%s%s%n",
]
JUNK_IDS = ["0", "-1", "9223372036854775808", "1.5", "abc", "1 OR 1=1", "\x00", ""]

text = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
)


@dataclass
class Form:
    """How to fuzz one form view: its form class (fields are read from it), the model each
    choice-of-a-row field points at, and the URL's extra arguments."""

    form: type[forms.Form] | None
    rows: dict[str, type] = field(default_factory=dict)
    persona: str = "coordinator"  # coordinator, unverified (password step only), anonymous
    case: bool = True


LOGIN_FIELDS = type(
    "LoginFields",
    (forms.Form,),
    {"username": forms.CharField(), "password": forms.CharField(), "next": forms.CharField()},
)
NO_FIELDS = type("NoFields", (forms.Form,), {"anything": forms.CharField()})
NEXT_FIELD = type("NextField", (forms.Form,), {"next": forms.CharField()})
PASSWORD_FIELD = type("PasswordField", (forms.Form,), {"password": forms.CharField()})
RESET_DECISION_FIELDS = type(
    "ResetDecisionFields",
    (forms.Form,),
    {
        "reset": forms.IntegerField(),
        "decision": forms.ChoiceField(choices=[("approve", "approve"), ("cancel", "cancel")]),
    },
)
REPORT_ROWS_FIELDS = type(
    "ReportRowsFields",
    (forms.Form,),
    {
        "reports-TOTAL_FORMS": forms.IntegerField(),
        "reports-INITIAL_FORMS": forms.IntegerField(),
        **{f"reports-0-{n}": fld for n, fld in f.ReportDecisionForm.base_fields.items()},
    },
)
PDF_PROFILE_FIELD = type(
    "PdfProfileField",
    (forms.Form,),
    {"profile": forms.ChoiceField(choices=PdfJob.Profile.choices)},
)
REDACTION_DECISION_FIELDS = type(
    "RedactionDecisionFields",
    (forms.Form,),
    {
        "text": forms.CharField(),
        "kind": forms.CharField(),
        "decision": forms.ChoiceField(choices=[("redact", "redact"), ("keep", "keep")]),
        "added": forms.CharField(),
    },
)
SEEN_EVENT_FIELD = type("SeenEventField", (forms.Form,), {"seen_event_id": forms.IntegerField()})


def prefixed(name: str, prefix: str, **fields):
    """The fields of a form with a prefix (several forms on one page), as they are posted."""
    return type(name, (forms.Form,), {f"{prefix}-{key}": value for key, value in fields.items()})


REPLY_FIELDS = prefixed("ReplyFields", "reply", body=forms.CharField())
PROMOTE_FIELDS = prefixed(
    "PromoteFields",
    "promote",
    school=forms.ModelChoiceField(queryset=School.objects.none()),
    title=forms.CharField(),
)
MERGE_FIELDS = prefixed(
    "MergeFields", "merge", case=forms.ModelChoiceField(queryset=School.objects.none())
)
CLOSE_FIELDS = prefixed("CloseFields", "close", reason=forms.CharField())

FUZZ = {
    "ncii_cases:intake": Form(f.IntakeForm, {"school": School, "platforms": Platform}, case=False),
    "ncii_cases:case_transition": Form(f.TransitionForm),
    "ncii_cases:case_facts": Form(f.FactsForm),
    "ncii_cases:case_harm": Form(f.HarmForm),
    "ncii_cases:case_measure_add": Form(f.MeasureAddForm, {"party": CaseParty, "measure": Measure}),
    "ncii_cases:case_measure_update": Form(f.MeasureUpdateForm, {"measure": CaseMeasure}),
    # A row per measure, named by its id (do_<id>, version_<id>): no fixed field but these.
    "ncii_cases:case_measure_review": Form(f.MeasureReviewForm),
    "ncii_cases:case_takedown_add": Form(
        f.TakedownAddForm, {"platform": Platform, "depicted_party": CaseParty}
    ),
    "ncii_cases:case_takedown_update": Form(f.TakedownUpdateForm, {"takedown": TakedownRequest}),
    # The external reports page: a formset of rows named by key (one row fuzzed).
    "ncii_cases:case_report_update": Form(REPORT_ROWS_FIELDS),
    "ncii_cases:case_evidence_add": Form(f.EvidenceAddForm, {"platform": Platform}),
    "ncii_cases:case_notice_add": Form(f.NoticeAddForm, {"party": CaseParty}),
    # The platform's notice under the TAKE IT DOWN Act, for a takedown request of the case.
    "ncii_cases:case_takedown_notice": Form(TakedownNoticeForm),
    "ncii_cases:case_determination": Form(f.DeterminationForm, {"respondent": CaseParty}),
    "ncii_cases:case_deadline_extend": Form(
        DeadlineExtensionForm, {"determination": Determination}
    ),
    "ncii_cases:case_sanction_add": Form(
        f.SanctionAddForm, {"respondent": CaseParty, "interventions": Intervention}
    ),
    # The rows of people are named by party id (choice_<id>); the option is the fixed field.
    "ncii_cases:case_offer": Form(f.OfferRowsForm),
    "ncii_cases:case_party_add": Form(f.PartyAddForm, {"school": School, "person": Person}),
    # Corrections and withdrawals (here of a party; the record is named by its id).
    "ncii_cases:case_record_correct": Form(f.PartyCorrectForm, {"school": School}),
    "ncii_cases:case_record_withdraw": Form(f.WithdrawForm),
    "ncii_cases:case_sanction_status": Form(f.SanctionStatusForm, {"sanction": Sanction}),
    "ncii_cases:case_track": Form(f.TrackForm),
    "ncii_cases:case_move_school": Form(f.MoveSchoolForm, {"school": School}),
    "ncii_cases:case_assign": Form(f.AssignForm, {"user": User}),
    "ncii_cases:case_unassign": Form(f.UnassignForm, {"assignment": CaseAssignment}),
    "ncii_cases:case_lead_change": Form(f.LeadChangeForm, {"user": User}),
    # Appeals and the steps of Process A (ncii_cases/appeals_views.py).
    "ncii_cases:case_appeal_file": Form(
        fa.AppealFileForm,
        {"appellant": CaseParty, "determination": Determination, "grounds": AppealGround},
    ),
    "ncii_cases:case_appeal_decision_maker": Form(
        fa.AppealDecisionMakerForm, {"decision_maker": User}
    ),
    "ncii_cases:case_appeal_response": Form(fa.AppealResponseForm, {"party": CaseParty}),
    "ncii_cases:case_appeal_decide": Form(fa.AppealDecisionForm),
    "ncii_cases:case_process_a_milestone": Form(fa.MilestoneForm),
    # Its rows are named by party id ("p<id>-decision"): a forged one is no row of the form.
    "ncii_cases:case_parent_decision_add": Form(f.ParentDecisionForm, {"approved_by": User}),
    "ncii_cases:case_support_not_offered": Form(f.SupportNotOfferedForm, {"party": CaseParty}),
    # Letters from templates: one letter edited before it is sent (here the supportive-measures
    # letter to a person shown), and a template of the district edited (case=False).
    "ncii_cases:case_letter_compose": Form(LetterSendForm),
    "ncii_cases:letter_template_edit": Form(LetterTemplateForm, case=False),
    "login": Form(LOGIN_FIELDS, persona="anonymous", case=False),
    "login_verify": Form(f.TokenForm, persona="unverified", case=False),
    "login_enroll": Form(f.TokenForm, persona="unverified", case=False),
    # New recovery codes need the password again.
    "recovery_codes": Form(PASSWORD_FIELD, case=False),
    # Approving or cancelling a second-factor reset (none waits here: always refused).
    "second_factor_resets": Form(RESET_DECISION_FIELDS, case=False),
    "logout": Form(NO_FIELDS, case=False),
    # "Verify now" on the audit review: only its way back ("next") is read.
    "reporting:audit_verify_now": Form(NEXT_FIELD, case=False),
    # PDF summaries: the profile asked for, and "Try again" on a failed job (no fields).
    "reporting:case_pdf": Form(PDF_PROFILE_FIELD),
    "reporting:pdf_job_retry": Form(NO_FIELDS),
    # Redacted summaries: open a review, decide a candidate or add a term, approve the release.
    "reporting:redaction_request": Form(NO_FIELDS),
    "reporting:redaction_decide": Form(REDACTION_DECISION_FIELDS),
    "reporting:redaction_release": Form(SEEN_EVENT_FIELD),
    # Reports from anyone: the staff report, the queue's decisions on a report of the case's
    # district, and the public pages (no sign-in).
    "ncii_cases:staff_report_new": Form(fr.StaffReportForm, {"school": School}, case=False),
    "ncii_cases:report_reply": Form(REPLY_FIELDS, case=False),
    "ncii_cases:report_promote": Form(PROMOTE_FIELDS, {"promote-school": School}, case=False),
    "ncii_cases:report_merge": Form(MERGE_FIELDS, {"merge-case": Case}, case=False),
    "ncii_cases:report_close": Form(CLOSE_FIELDS, case=False),
    "ncii_cases:public_report": Form(
        fr.PublicReportForm, {"school": School}, persona="anonymous", case=False
    ),
    "ncii_cases:public_follow": Form(fr.FollowForm, persona="anonymous", case=False),
    "ncii_cases:public_follow_status": Form(REPLY_FIELDS, persona="anonymous", case=False),
    "ncii_cases:public_follow_leave": Form(NO_FIELDS, persona="anonymous", case=False),
    # The roster import is IT's page: the coordinator is always refused (uploads are tested in
    # tests/ncii_cases/test_roster_people.py and test_roster_import.py).
    "ncii_cases:roster_import": Form(RosterUploadForm, {"district": District}, case=False),
}
# Views that read no input and redirect whatever the method (the admin's sign-in and its "view
# on site" link): not forms.
REDIRECT_ONLY = {"admin_login", "admin_view_on_site"}
# Django's language switch: any POST keeps (at most) a language cookie and redirects.
REDIRECT_ONLY.add("set_language")
# Statuses other than 200 (the form again) that a view may answer.
SUCCESS = {
    "login": {302, 429},  # 429: django-axes' lockout page after repeated failures
    "login_verify": {302},
    "login_enroll": {302},
    "recovery_codes": {302, 400},  # 400: the password did not match, said on the page
    "second_factor_resets": {404},  # no such reset for this user
    "ncii_cases:roster_import": {404},  # not the coordinator's page
    "logout": {302},
    "reporting:case_pdf": {302, 400},
    # A record id that is not one of the case's records the user may see: 404.
    "ncii_cases:case_record_correct": {302, 404},
    "ncii_cases:case_report_update": {302, 404},
    # A decision refused (a form error, or the report decided meanwhile) is said with 400.
    "ncii_cases:report_reply": {302, 400},
    "ncii_cases:report_promote": {302, 400},
    "ncii_cases:report_merge": {302, 400},
    "ncii_cases:report_close": {302, 400},
    # 400: the honeypot was filled; 429: the rate limit per address.
    "ncii_cases:public_report": {302, 400, 429},
    "ncii_cases:public_follow": {302, 429},
    "ncii_cases:public_follow_status": {302, 429},
    "ncii_cases:case_record_withdraw": {
        302,
        404,
    },  # 400: a profile that does not exist, said on the page
}


def url_patterns(resolver=None, prefix=""):
    """Every named pattern outside the admin, as (name, pattern)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from url_patterns(entry, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{prefix}{entry.name}", entry


def url_of(name: str, case, action: str = "begin_assessment") -> str:
    pattern = dict(url_patterns())[name]
    kwargs = {}
    for key in pattern.pattern.regex.groupindex:
        if key == "pk":
            kwargs["pk"] = case.pk
        elif key == "action":
            kwargs["action"] = action
        elif key == "content_type_id":
            kwargs[key] = ContentType.objects.get_for_model(case).pk
        elif key == "job_id":
            kwargs[key] = failed_pdf_job(case).pk
        elif key == "object_id":
            kwargs[key] = str(case.pk)
        elif key == "token":  # an e-mailed enrollment link's token
            kwargs[key] = "not-a-token"
        elif key == "review_id":  # a redaction review being prepared
            from ncii_cases.permissions import Action, users_who_can_on_every_case
            from reporting.services_redaction import redaction_review_request

            actor = users_who_can_on_every_case(Action.VIEW, district_id=case.district_id).first()
            kwargs[key] = redaction_review_request(actor=actor, case_pk=case.pk)[0].pk
        elif key == "kind":  # a kind of record; for the letter pages, a kind of letter
            kwargs[key] = "support" if name in LETTER_PAGES else "party"
        elif key == "recipient":  # a person shown on the case, for a letter to them
            kwargs[key] = fuzz_letter_recipient(case)
        elif key == "language":  # a letter template's language
            kwargs[key] = "en"
        elif key in ("letter_pk", "version_pk", "document_pk"):  # GET-only pages of a row
            kwargs[key] = 0
        elif key == "takedown_pk":  # a takedown request of the case (its notice page)
            kwargs[key] = fuzz_takedown(case).pk
        elif key in ("notice_pk", "fmt"):  # a notice's download: GET only, never a form
            kwargs[key] = 0 if key == "notice_pk" else "pdf"
        elif key == "report_pk":  # an incoming report of the case's district
            kwargs[key] = incoming_report(case).pk
        elif key in ("district", "district_slug"):  # a district's public pages, by slug
            kwargs[key] = case.district.slug
        elif key == "slug":  # a single sign-on provider's start (none: 404)
            kwargs[key] = "no-such-provider"
        else:
            raise AssertionError(f"{name}: give an example value for the URL argument {key!r}")
    return reverse(name, kwargs=kwargs)


LETTER_PAGES = {"ncii_cases:case_letter_compose", "ncii_cases:letter_template_edit"}


def fuzz_letter_recipient(case) -> str:
    """The recipient key of an identified person shown on the case (one is added if none)."""
    from ncii_cases import choices as c
    from tests.factories import CasePartyFactory

    party = (
        CaseParty.objects.current()
        .filter(case=case, role=c.PartyRole.DEPICTED, person__isnull=False)
        .first()
    ) or CasePartyFactory(case=case, role=c.PartyRole.DEPICTED)
    return f"party-{party.pk}"


def fuzz_takedown(case):
    """A takedown request to a covered platform on the case, for its notice form."""
    from ncii_cases.models import TakedownRequest
    from policies.models import Platform

    found = TakedownRequest.objects.filter(case=case).first()
    if found is not None:
        return found
    platform = Platform.objects.filter(district__isnull=True).order_by("pk").first()
    return TakedownRequestFactory(
        case=case,
        platform=platform,
        location="A group chat",
        route=TakedownRequest.Route.PLATFORM,
        covered_by_48h_rule=True,
    )


def incoming_report(case):
    """A public report waiting in the queue of the case's district."""
    from ncii_cases.models import IncomingReport
    from ncii_cases.services.intake_reports import ReportInput, public_report_file

    found = IncomingReport.objects.filter(district_id=case.district_id, outcome="").first()
    return found or public_report_file(
        district=case.district,
        data=ReportInput(what_happened="Images shared in a chat.", anonymous=True),
        passphrase="fuzzing passphrase",
    )


def failed_pdf_job(case) -> PdfJob:
    """A failed PDF summary of the case, requested through the service by its district's
    coordinator (the signed-in persona), for the "Try again" form."""
    from reporting.services import pdf_job_request

    requester = User.objects.get(username="coordinator", district_id=case.district_id)
    job, _ = pdf_job_request(user=requester, case_pk=case.pk, profile=PdfJob.Profile.INTERNAL)
    PdfJob.objects.filter(pk=job.pk).update(status=PdfJob.Status.FAILED, error="Fuzzing")
    return job


def snapshot() -> dict:
    """Every row of every case-data table (a few dozen rows in these tests)."""
    rows = {}
    for app in CASE_DATA_APPS:
        for model in apps.get_app_config(app).get_models():
            if model._meta.label_lower in NOT_CASE_DATA:
                continue
            rows[model._meta.label_lower] = list(model.objects.order_by("pk").values_list())
    return rows


def changed_tables(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


def field_strategy(name: str, form_field, rows: dict):
    if isinstance(form_field, forms.ModelChoiceField):
        model = rows[name]
        # Every row of the model: this case's, another case's and another district's.
        ids = [str(pk) for pk in model.objects.values_list("pk", flat=True)] + JUNK_IDS
        one = st.sampled_from(ids)
        if isinstance(form_field, forms.ModelMultipleChoiceField):
            return st.lists(one, max_size=4)
        return one
    if isinstance(form_field, forms.BooleanField):
        return st.sampled_from(["on", "", "false", "0", "\x00"])
    if isinstance(form_field, forms.ChoiceField):
        return st.one_of(st.sampled_from([str(v) for v, _ in form_field.choices]), text)
    if isinstance(form_field, forms.IntegerField):
        return st.one_of(st.integers(-(10**20), 10**20).map(str), text)
    if isinstance(form_field, forms.DateTimeField):
        return st.one_of(
            st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31)).map(
                lambda d: d.strftime("%Y-%m-%dT%H:%M")
            ),
            text,
        )
    if isinstance(form_field, forms.DateField):
        return st.one_of(st.dates().map(dt.date.isoformat), text)
    if isinstance(form_field, forms.FileField):
        return st.none()  # uploads: tests/reliability/test_bad_uploads.py
    return text


def post_strategy(spec: Form):
    fields = {
        name: st.one_of(st.none(), field_strategy(name, form_field, spec.rows))
        for name, form_field in spec.form.base_fields.items()
    }
    return st.fixed_dictionaries(fields).map(
        lambda data: {k: v for k, v in data.items() if v is not None}
    )


@pytest.fixture
def signed_in(coordinator, rich_case, rich_foreign_case):
    """A client per kind of persona: the coordinator (who may use every form of the case)
    verified, the same user after the password step only, and nobody."""
    verified = Client()
    login_verified(verified, coordinator)
    unverified = Client()
    unverified.force_login(coordinator)
    return {"coordinator": verified, "unverified": unverified, "anonymous": Client()}


def test_every_form_view_of_the_urlconf_is_fuzzed(signed_in, rich_case):
    client = signed_in["coordinator"]
    forms_found = set()
    # Signing out last: it ends the session the other requests need.
    for name in sorted((n for n, _ in url_patterns()), key=lambda n: n == "logout"):
        response = client.post(url_of(name, rich_case), {})
        if name in REDIRECT_ONLY:
            assert response.status_code == 302, name
        elif response.status_code != 405:
            forms_found.add(name)
    missing = forms_found - set(FUZZ)
    assert missing == set(), f"form views without a fuzz entry in FUZZ: {sorted(missing)}"
    assert set(FUZZ) <= forms_found, "FUZZ names a view that does not take POST (or is gone)"


@pytest.mark.parametrize("name", sorted(FUZZ))
def test_hostile_input_never_breaks_a_form_nor_writes_half(name, signed_in, rich_case):
    spec = FUZZ[name]
    client = signed_in[spec.persona]
    if name == "login_enroll":
        TOTPDevice.objects.filter(user__username="coordinator").delete()
    allowed = {200} | SUCCESS.get(name, {302})
    case_url = rich_case.get_absolute_url()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=post_strategy(spec), action=st.sampled_from(sorted(BY_ACTION)))
    def attempt(data, action):
        url = url_of(name, rich_case, action)
        with transaction.atomic():
            before = snapshot()
            response = client.post(url, data)
            status = response.status_code
            assert status in allowed, f"{name} answered {status} to {data!r}"
            if status in (200, 400):
                after = snapshot()
                assert changed_tables(before, after) == [], f"{name} wrote half of {data!r}"
            elif status == 302 and spec.case:
                # Back to the case, or on to the case's own reporting page (a PDF job).
                back = (case_url, f"/reporting/cases/{rich_case.pk}/")
                assert response["Location"].startswith(back), response["Location"]
            transaction.set_rollback(True)

    attempt()
