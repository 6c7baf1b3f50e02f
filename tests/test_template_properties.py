"""The properties templates ask instead of comparing a stage, status, role, kind or source
with a string: each is true for exactly one value of its choices (or kind), so a renamed
value cannot leave a page silently showing the wrong branch."""

import pytest

from ncii_cases import choices as c
from ncii_cases.letters import kind_spec
from ncii_cases.models import Case, CaseParty, SecondFactorReset
from ncii_cases.models_intake import IncomingReport, ReportSource
from ncii_cases.models_letters import LetterKind
from ncii_cases.selectors.audit import HISTORY_TYPES, ChangeRow
from reporting.models import PdfJob, RedactionReview, RedactionTerm

# (model, field, property, the one value for which the property is true, all values)
ROWS = [
    (Case, "stage", "is_closed", c.Stage.CLOSED, c.Stage.values),
    (Case, "stage", "is_in_process_a", c.Stage.PROCESS_A, c.Stage.values),
    (CaseParty, "role", "is_depicted", c.PartyRole.DEPICTED, c.PartyRole.values),
    (
        SecondFactorReset,
        "status",
        "is_pending",
        SecondFactorReset.Status.PENDING,
        SecondFactorReset.Status.values,
    ),
    (IncomingReport, "source", "is_public", ReportSource.PUBLIC, ReportSource.values),
    (PdfJob, "status", "is_running", PdfJob.Status.RUNNING, PdfJob.Status.values),
    (PdfJob, "status", "is_ready", PdfJob.Status.READY, PdfJob.Status.values),
    (PdfJob, "status", "is_failed", PdfJob.Status.FAILED, PdfJob.Status.values),
    (
        RedactionReview,
        "status",
        "is_released",
        RedactionReview.Status.RELEASED,
        RedactionReview.Status.values,
    ),
    (
        RedactionTerm,
        "decision",
        "is_redacted",
        RedactionTerm.Decision.REDACT,
        RedactionTerm.Decision.values,
    ),
]


@pytest.mark.parametrize(
    ("model", "field", "prop", "true_for", "values"),
    ROWS,
    ids=[f"{row[0].__name__}.{row[2]}" for row in ROWS],
)
def test_a_model_property_is_true_for_its_one_value(model, field, prop, true_for, values):
    for value in values:
        row = model(**{field: value})
        assert getattr(row, prop) is (value == true_for), value


@pytest.mark.parametrize("kind", LetterKind.values)
def test_only_the_takedown_letter_kind_is_the_takedown_notice(kind):
    assert kind_spec(kind).is_takedown is (kind == LetterKind.TAKEDOWN)


@pytest.mark.parametrize("code", HISTORY_TYPES)
def test_only_a_deletion_row_reads_as_a_deletion(code):
    row = ChangeRow(
        when=None, who="", kind=HISTORY_TYPES[code], model="", object_id=1, case_id=None
    )
    assert row.is_deletion is (code == "-")
