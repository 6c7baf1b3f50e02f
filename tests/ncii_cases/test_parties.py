"""A depicted person is never made a respondent of the same case, however they are added."""

import pytest
from django.core.exceptions import ValidationError

from ncii_cases import choices as c
from ncii_cases.models import CaseParty
from ncii_cases.services.cases import PartyInput, case_party_add
from ncii_cases.services.determinations import case_party_identify
from tests.factories import CasePartyFactory, PersonFactory


def test_given_a_depicted_person_when_added_as_respondent_then_it_is_refused(case, investigator):
    person = PersonFactory(district=case.district)
    CasePartyFactory(case=case, person=person, role=c.PartyRole.DEPICTED)
    with pytest.raises(ValidationError, match="never treated as a wrongdoer"):
        case_party_add(
            actor=investigator,
            case=case,
            party=PartyInput(c.PartyRole.RESPONDENT, person, c.Affiliation.STUDENT, True),
        )
    assert not CaseParty.objects.filter(case=case, role=c.PartyRole.RESPONDENT).exists()


def test_given_a_respondent_when_added_as_depicted_then_it_is_refused(case, investigator):
    person = PersonFactory(district=case.district)
    CasePartyFactory(case=case, person=person, role=c.PartyRole.RESPONDENT)
    with pytest.raises(ValidationError, match="never treated as a wrongdoer"):
        case_party_add(
            actor=investigator,
            case=case,
            party=PartyInput(c.PartyRole.DEPICTED, person, c.Affiliation.STUDENT, True),
        )


def test_given_a_depicted_person_when_an_unknown_respondent_is_identified_as_them_then_refused(
    case, investigator
):
    person = PersonFactory(district=case.district)
    CasePartyFactory(case=case, person=person, role=c.PartyRole.DEPICTED)
    unknown = CasePartyFactory(case=case, person=None, role=c.PartyRole.RESPONDENT)
    with pytest.raises(ValidationError, match="never treated as a wrongdoer"):
        case_party_identify(actor=investigator, party=unknown, person=person)
    assert CaseParty.objects.get(pk=unknown.pk).person_id is None
