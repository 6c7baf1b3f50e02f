"""factory_boy factories for the domain. Names are invented; nothing here is imagery."""

import datetime as dt

import factory
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases import models as m


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.District
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Test District {n}")
    slug = factory.Sequence(lambda n: f"district-{n}")
    state = "IL"


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.School

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"Test School {n}")
    code = factory.Sequence(lambda n: f"s{n}")
    grades = "9-12"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@district.example")
    district = factory.SubFactory(DistrictFactory)
    password = factory.django.Password("correct-horse-battery-staple")
    # The role's code (``choices.Role``); saving it puts the account in its role's group (the
    # mirror of its model-wide admin rights) and writes a ``role_change`` entry, as on every
    # path (``ncii_cases.roles``).
    role = ""


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Person

    district = factory.SubFactory(DistrictFactory)
    first_name = factory.Sequence(lambda n: f"Pat{n}")
    last_name = factory.Sequence(lambda n: f"Student{n}")
    affiliation = c.Affiliation.STUDENT


class CaseFactory(factory.django.DjangoModelFactory):
    """A case built directly (no event rows); tests of services create cases through
    ``services.cases.case_create`` instead."""

    class Meta:
        model = m.Case

    school = factory.SubFactory(SchoolFactory)
    district = factory.LazyAttribute(lambda o: o.school.district)
    reference = factory.Sequence(lambda n: f"NCII-2026-{n + 1:04d}")
    title = factory.Sequence(lambda n: f"Test case {n}")
    narrative = "Images of a student were shared in a group chat."
    reported_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=3))
    stage = c.Stage.INTAKE
    stage_entered_at = factory.LazyFunction(timezone.now)


class CasePartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.CaseParty

    case = factory.SubFactory(CaseFactory)
    person = factory.SubFactory(PersonFactory, district=factory.SelfAttribute("..case.district"))
    role = c.PartyRole.DEPICTED
    affiliation = c.Affiliation.STUDENT
    is_minor = True
