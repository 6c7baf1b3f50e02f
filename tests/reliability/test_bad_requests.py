"""Bad requests through the real views: uploads too large or disguised, forged ids of another
case or district in the update forms, and POSTs without a CSRF token. Each is refused in plain
words (or 403 for CSRF), and nothing is written: no row of any case-data table, no file."""

import io

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from ncii_cases.models import (
    CaseAssignment,
    CaseMeasure,
    CaseParty,
    ExternalReport,
    TakedownRequest,
)
from ncii_cases.uploads import IMAGE_REFUSED_MESSAGE
from tests.access.helpers import login_verified
from tests.reliability.test_form_fuzzing import FUZZ, changed_tables, snapshot, url_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator_client(coordinator, rich_case, rich_foreign_case):
    client = Client()
    login_verified(client, coordinator)
    return client


def files_under(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


# --- Uploads -----------------------------------------------------------------------------------


def evidence_post(client, case, document) -> tuple:
    before = snapshot()
    response = client.post(
        reverse("ncii_cases:case_evidence_add", args=[case.pk]),
        {"description": "Messages seen in a group chat.", "document": document},
    )
    return response, changed_tables(before, snapshot())


def jpeg_named_pdf():
    """A plain grey JPEG, generated here, sent under a PDF's name and type."""
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (128, 128, 128)).save(out, format="JPEG")
    document = io.BytesIO(out.getvalue())
    document.name = "statement.pdf"
    return document


def test_a_jpeg_renamed_pdf_is_refused_and_nothing_is_written(
    coordinator_client,
    rich_case,
    private_root,
):
    response, changed = evidence_post(coordinator_client, rich_case, jpeg_named_pdf())

    assert response.status_code == 200
    assert IMAGE_REFUSED_MESSAGE in response.content.decode()
    assert changed == []
    assert files_under(private_root) == []


def test_an_upload_over_the_limit_is_refused_and_only_the_limit_is_ever_held(
    coordinator_client,
    rich_case,
    private_root,
    settings,
    monkeypatch,  # noqa: F811
):
    settings.DOCUMENT_MAX_BYTES = 64 * 1024
    from ncii_cases import uploads

    held = []
    original = uploads.BoundedMemoryUploadHandler.receive_data_chunk

    def watched(self, raw_data, start):
        result = original(self, raw_data, start)
        held.append(self.buffer.tell())
        return result

    monkeypatch.setattr(uploads.BoundedMemoryUploadHandler, "receive_data_chunk", watched)
    document = io.BytesIO(b"Witness statement. " * 20_000)  # about 380 KB of plain text
    document.name = "statement.txt"

    response, changed = evidence_post(coordinator_client, rich_case, document)

    assert response.status_code == 200
    assert "larger than" in response.content.decode()
    assert changed == []
    assert files_under(private_root) == []
    # The bytes beyond the limit were dropped as they arrived, never kept in memory.
    assert held and max(held) <= settings.DOCUMENT_MAX_BYTES


def test_a_body_larger_than_any_form_is_refused_with_413_before_it_is_read(
    coordinator_client, rich_case, private_root, settings, monkeypatch
):
    settings.DOCUMENT_MAX_BYTES = 64 * 1024
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024
    from ncii_cases import uploads

    chunks = []
    original = uploads.BoundedMemoryUploadHandler.receive_data_chunk

    def watched(self, raw_data, start):
        chunks.append(len(raw_data))
        return original(self, raw_data, start)

    monkeypatch.setattr(uploads.BoundedMemoryUploadHandler, "receive_data_chunk", watched)
    document = io.BytesIO(b"Witness statement. " * 20_000)  # about 380 KB: beyond 64 + 16 KB
    document.name = "statement.txt"

    response, changed = evidence_post(coordinator_client, rich_case, document)

    assert response.status_code == 413
    body = response.content.decode()
    assert "too large" in body and "Nothing was saved" in body
    assert chunks == []  # not one byte of the file reached the handler
    assert changed == []
    assert files_under(private_root) == []


# --- Forged ids --------------------------------------------------------------------------------


def first(model, case):
    return model.objects.filter(case=case).order_by("pk").first()


def respondent(case):
    return CaseParty.objects.get(case=case, role="respondent")


def depicted(case):
    return CaseParty.objects.get(case=case, role="depicted")


# view, the field holding a row id, the row of a case, and the rest of a valid form.
FORGEABLE = [
    ("ncii_cases:case_measure_update", "measure", lambda k: first(CaseMeasure, k),
     {"op": "choice", "choice": "accepted"}),
    ("ncii_cases:case_takedown_update", "takedown", lambda k: first(TakedownRequest, k),
     {"status": "removed", "note": "Gone."}),
    ("ncii_cases:case_measure_add", "party", depicted,
     {"kind": "supportive", "description": "Check-ins.", "status": "planned"}),
    ("ncii_cases:case_takedown_add", "depicted_party", depicted,
     {"platform": "", "location": "@account2"}),
    ("ncii_cases:case_notice_add", "party", depicted,
     {"kind": "", "method": "letter", "summary": "Told."}),
    ("ncii_cases:case_determination", "respondent", respondent,
     {"finding": "responsible", "standard_of_evidence": "preponderance", "rationale": "Shown."}),
    ("ncii_cases:case_unassign", "assignment", lambda k: first(CaseAssignment, k),
     {"reason": "Reassigned."}),
    ("ncii_cases:case_support_not_offered", "party", depicted,
     {"reason": "Not reachable yet."}),
]  # fmt: skip
FORGEABLE_IDS = [name.split(":")[-1] for name, *_ in FORGEABLE]


def valid_extras(name, case, extras):
    """Fills in the choices that depend on the case's catalogs."""
    from ncii_cases.models import PartyNotice
    from tests.factories_workflow import platform

    extras = dict(extras)
    if name == "ncii_cases:case_takedown_add":
        extras["platform"] = platform("discord").pk
    if name == "ncii_cases:case_notice_add":
        extras["kind"] = PartyNotice.Kind.NOTICE_OF_ALLEGATIONS
    return extras


@pytest.mark.parametrize(("name", "field", "row_of", "extras"), FORGEABLE, ids=FORGEABLE_IDS)
def test_another_districts_row_is_refused_in_every_form_that_names_a_row(
    coordinator_client, rich_case, rich_foreign_case, name, field, row_of, extras
):
    foreign_row = row_of(rich_foreign_case)
    assert foreign_row is not None, "the foreign case lacks the row to forge"
    data = {**valid_extras(name, rich_case, extras), field: foreign_row.pk}
    before = snapshot()

    response = coordinator_client.post(url_of(name, rich_case), data)

    assert response.status_code == 200, response.get("Location")
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert changed_tables(before, snapshot()) == []


@pytest.mark.parametrize(
    ("name", "field", "row_of", "extras"), FORGEABLE[:2], ids=FORGEABLE_IDS[:2]
)
def test_the_same_form_with_the_cases_own_row_goes_through(
    coordinator_client, rich_case, name, field, row_of, extras
):
    """The control of the test above: the forged row, not the rest of the form, is refused."""
    data = {**valid_extras(name, rich_case, extras), field: row_of(rich_case).pk}

    response = coordinator_client.post(url_of(name, rich_case), data)

    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"].startswith(rich_case.get_absolute_url())


def test_the_offer_form_records_nothing_for_another_districts_person(
    coordinator_client, rich_case, rich_foreign_case
):
    # The offer form's rows are the case's own people; a row named by another district's
    # person id is no row of the form: nothing is recorded and the form says so.
    foreign = depicted(rich_foreign_case)
    before = snapshot()

    response = coordinator_client.post(
        url_of("ncii_cases:case_offer", rich_case),
        {"option": "restorative", f"choice_{foreign.pk}": "declined"},
    )

    assert response.status_code == 200
    assert "Record the choice of at least one person" in response.content.decode()
    assert changed_tables(before, snapshot()) == []


def test_another_districts_report_is_refused_on_the_external_reports_page(
    coordinator_client, rich_case, rich_foreign_case
):
    # The page names its rows by key (``obligations.report_key``): a foreign row answers 404.
    from ncii_cases.obligations import report_key

    foreign = first(ExternalReport, rich_foreign_case)
    assert foreign is not None, "the foreign case lacks the report to forge"
    data = {
        "reports-TOTAL_FORMS": "1",
        "reports-INITIAL_FORMS": "1",
        "reports-0-key": report_key(foreign),
        "reports-0-version": str(foreign.version),
        "reports-0-outcome": "not_required",
        "reports-0-explanation": "Already reported.",
    }
    before = snapshot()

    response = coordinator_client.post(url_of("ncii_cases:case_report_update", rich_case), data)

    assert response.status_code in (200, 404)
    assert changed_tables(before, snapshot()) == []


def test_a_user_of_another_district_cannot_be_assigned(coordinator_client, rich_case, outsider):
    before = snapshot()
    response = coordinator_client.post(
        url_of("ncii_cases:case_assign", rich_case), {"user": outsider.pk, "role": "investigator"}
    )
    assert response.status_code == 200
    assert "user" in response.context["form"].errors
    assert changed_tables(before, snapshot()) == []


# --- CSRF --------------------------------------------------------------------------------------


def test_a_post_without_csrf_token_is_refused_and_writes_nothing(coordinator, rich_case):
    """Every form view (the list the fuzz test keeps complete), signed in or not."""
    signed_in, anonymous = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    login_verified(signed_in, coordinator)
    answers = {}
    for name, spec in sorted(FUZZ.items()):
        client = anonymous if spec.persona == "anonymous" else signed_in
        url = url_of(name, rich_case)  # may make the record the form acts on (a PDF job)
        before = snapshot()
        response = client.post(url, {"reason": "Sent from another site."})
        answers[name] = (response.status_code, changed_tables(before, snapshot()))

    assert {name: answer for name, answer in answers.items() if answer != (403, [])} == {}


def test_an_intake_naming_a_platform_id_too_large_for_the_database_is_refused_not_a_500(
    client, coordinator, school
):
    """A forged platform id past 64 bits (what the form fuzzer once found) gets the field's own
    "not a valid value" error, and no case is written."""
    from django.urls import reverse

    from ncii_cases.models import Case
    from tests.access.helpers import login_verified

    login_verified(client, coordinator)
    response = client.post(
        reverse("ncii_cases:intake"), {"school": school.pk, "platforms": ["9223372036854775808"]}
    )
    assert response.status_code == 200
    assert "is not a valid value" in response.content.decode()
    assert not Case.objects.exists()
