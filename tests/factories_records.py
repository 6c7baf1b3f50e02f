"""factory_boy factories for the records of a case: harm assessment, measures, offers,
takedowns, external reports, evidence, determinations, sanctions, notices, parent-notification
decisions, appeals, assignments, and the summary's PDF jobs and redaction reviews.

Each factory writes the row directly, with no event row and no history of a service: a test
of a service calls the service instead. Only the fields a row cannot do without are declared
here (with a made-up value); every optional field keeps the model's default, so a test that
needs a value sets it. Names are invented; nothing here is imagery.
"""

import datetime as dt

import factory
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases import models as m
from reporting import models as reporting_models
from tests.factories import CaseFactory, CasePartyFactory, UserFactory
from tests.factories_workflow import intervention, platform


def _party_of_the_case(role=c.PartyRole.DEPICTED):
    """A party of the record's own case (``role``), made when the test names none."""
    return factory.SubFactory(CasePartyFactory, case=factory.SelfAttribute("..case"), role=role)


def _staff_of_the_district():
    """A coordinator of the record's district, made when the test names nobody."""
    return factory.SubFactory(
        UserFactory, district=factory.SelfAttribute("..case.district"), role=c.Role.COORDINATOR
    )


class CaseAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.CaseAssignment

    case = factory.SubFactory(CaseFactory)
    user = factory.SubFactory(
        UserFactory, district=factory.SelfAttribute("..case.district"), role=c.Role.INVESTIGATOR
    )
    role = c.AssignmentRole.INVESTIGATOR
    assigned_at = factory.LazyFunction(timezone.now)


class HarmAssessmentFactory(factory.django.DjangoModelFactory):
    """A harm assessment, not completed (no level) unless the test says so."""

    class Meta:
        model = m.HarmAssessment

    case = factory.SubFactory(CaseFactory)


class CaseMeasureFactory(factory.django.DjangoModelFactory):
    """A supportive measure for a depicted person of the case (planned, offered)."""

    class Meta:
        model = m.CaseMeasure

    case = factory.SubFactory(CaseFactory)
    party = _party_of_the_case()
    kind = m.CaseMeasure.Kind.SUPPORTIVE


class ResolutionOfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ResolutionOffer

    case = factory.SubFactory(CaseFactory)
    party = _party_of_the_case()
    option = m.ResolutionOffer.Option.RESTORATIVE
    choice = m.PartyChoice.OFFERED
    offered_at = factory.LazyFunction(timezone.now)


class TakedownRequestFactory(factory.django.DjangoModelFactory):
    """A removal request to be made (to do), through the platform's own NCII report."""

    class Meta:
        model = m.TakedownRequest

    case = factory.SubFactory(CaseFactory)
    platform = factory.LazyFunction(lambda: platform("snapchat"))
    location = factory.Sequence(lambda n: f"https://social.example/post/{n}")
    route = m.TakedownRequest.Route.PLATFORM


class ExternalReportFactory(factory.django.DjangoModelFactory):
    """A pending report to an outside agency, triggered now (no catalog obligation)."""

    class Meta:
        model = m.ExternalReport

    case = factory.SubFactory(CaseFactory)
    agency = "County child protective services"
    agency_kind = "child_protection"
    triggered_at = factory.LazyFunction(timezone.now)


class EvidenceItemFactory(factory.django.DjangoModelFactory):
    """A description of where the content was seen (never the content itself)."""

    class Meta:
        model = m.EvidenceItem

    case = factory.SubFactory(CaseFactory)
    description = factory.Sequence(lambda n: f"Screenshot {n} of the group chat's member list")


class DeterminationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Determination

    case = factory.SubFactory(CaseFactory)
    respondent = _party_of_the_case(c.PartyRole.RESPONDENT)
    finding = m.Determination.Finding.RESPONSIBLE
    standard_of_evidence = m.Determination.Standard.PREPONDERANCE
    rationale = "Messages and witness statements show the respondent shared the imagery."
    decided_by = _staff_of_the_district()
    decided_at = factory.LazyFunction(timezone.now)


class SanctionFactory(factory.django.DjangoModelFactory):
    """A planned intervention for a respondent, from the student track's catalog."""

    class Meta:
        model = m.Sanction

    case = factory.SubFactory(CaseFactory)
    respondent = _party_of_the_case(c.PartyRole.RESPONDENT)
    intervention = factory.LazyFunction(lambda: intervention("ncii-education"))
    decided_by = _staff_of_the_district()
    decided_at = factory.LazyFunction(timezone.now)


class PartyNoticeFactory(factory.django.DjangoModelFactory):
    """A notice of the outcome, sent by letter now."""

    class Meta:
        model = m.PartyNotice

    case = factory.SubFactory(CaseFactory)
    party = _party_of_the_case()
    recipient_name = "Recipient"
    kind = m.PartyNotice.Kind.OUTCOME
    method = m.PartyNotice.Method.LETTER
    sent_at = factory.LazyFunction(timezone.now)
    sent_by = _staff_of_the_district()
    summary = "Told of the outcome."


class ParentNotificationDecisionFactory(factory.django.DjangoModelFactory):
    """A decision to tell a minor's parent now, approved and recorded by one coordinator."""

    class Meta:
        model = m.ParentNotificationDecision

    case = factory.SubFactory(CaseFactory)
    party = _party_of_the_case(c.PartyRole.RESPONDENT)
    decision = m.ParentNotificationDecision.Decision.NOTIFY_NOW
    student_wishes = "Agreed that a parent is told."
    approved_by = _staff_of_the_district()
    decided_at = factory.LazyFunction(timezone.now)
    recorded_by = factory.SelfAttribute("approved_by")


class AppealFactory(factory.django.DjangoModelFactory):
    """A pending appeal of a determination, filed now by its respondent."""

    class Meta:
        model = m.Appeal

    case = factory.SubFactory(CaseFactory)
    subject = m.Appeal.Subject.DETERMINATION
    determination = factory.SubFactory(DeterminationFactory, case=factory.SelfAttribute("..case"))
    decision_at = factory.LazyFunction(timezone.now)
    appellant = factory.LazyAttribute(lambda o: o.determination.respondent)
    grounds = factory.LazyFunction(lambda: ["procedural-irregularity"])
    statement = "Grounds."
    filed_at = factory.LazyFunction(timezone.now)
    window_closed_at = factory.LazyAttribute(lambda o: o.filed_at + dt.timedelta(days=7))
    from_stage = factory.LazyAttribute(lambda o: o.case.stage)
    recorded_by = _staff_of_the_district()


class PdfJobFactory(factory.django.DjangoModelFactory):
    """A queued request for a case's PDF summary (the internal profile)."""

    class Meta:
        model = reporting_models.PdfJob

    case = factory.SubFactory(CaseFactory)
    requested_by = _staff_of_the_district()
    profile = reporting_models.PdfJob.Profile.INTERNAL
    idempotency_key = factory.Sequence(lambda n: f"test-pdf-job-{n}")


class RedactionReviewFactory(factory.django.DjangoModelFactory):
    """An open review of what a redacted summary hides, asked for now."""

    class Meta:
        model = reporting_models.RedactionReview

    case = factory.SubFactory(CaseFactory)
    requested_by = _staff_of_the_district()
    requested_at = factory.LazyFunction(timezone.now)


class BareCasePartyFactory(CasePartyFactory):
    """A party with only what the test gives: no person, affiliation and age unknown (as a
    party is first recorded when nobody is named yet)."""

    person = None
    affiliation = c.Affiliation.UNKNOWN
    is_minor = None
