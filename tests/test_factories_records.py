"""The case-record factories build, with no argument, a row the model accepts, whose parties
and staff belong to the row's own case and district (tests/factories_records.py)."""

import pytest

from tests import factories_records as f

pytestmark = pytest.mark.django_db

FACTORIES = [
    f.CaseAssignmentFactory,
    f.HarmAssessmentFactory,
    f.CaseMeasureFactory,
    f.ResolutionOfferFactory,
    f.TakedownRequestFactory,
    f.ExternalReportFactory,
    f.EvidenceItemFactory,
    f.DeterminationFactory,
    f.SanctionFactory,
    f.PartyNoticeFactory,
    f.ParentNotificationDecisionFactory,
    f.AppealFactory,
    f.PdfJobFactory,
    f.RedactionReviewFactory,
    f.BareCasePartyFactory,
]
PARTY_FIELDS = ("party", "respondent", "appellant")
STAFF_FIELDS = ("user", "decided_by", "sent_by", "approved_by", "recorded_by", "requested_by")


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda factory: factory.__name__)
def test_a_record_built_with_no_argument_is_valid_and_of_one_case(factory):
    row = factory()
    row.refresh_from_db()
    # full_clean: every required field has a value the field accepts (choices included). A
    # nullable field may stay empty (forms ask for some, the database takes none); uniqueness
    # is the database's to check, and it took the row.
    nullable = [field.name for field in type(row)._meta.concrete_fields if field.null]
    row.full_clean(exclude=nullable, validate_unique=False, validate_constraints=False)
    for name in PARTY_FIELDS:
        party = getattr(row, name, None)
        if party is not None:
            assert party.case_id == row.case_id, name
    for name in STAFF_FIELDS:
        user = getattr(row, name, None)
        if user is not None:
            assert user.district_id == row.case.district_id, name


def test_two_records_of_a_kind_get_rows_of_their_own():
    first, second = f.TakedownRequestFactory(), f.TakedownRequestFactory()
    assert first.case_id != second.case_id
    assert first.location != second.location
