"""Reads for the district's public policy page and family handout: no sign-in, no case data.

Everything here is public by design (the district publishes its policy, its coordinator's
contact and the resources), so no permission check applies; a district that does not exist
answers 404 like any unknown page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone

from ncii_cases.models import District

from .models import Definition, PolicyVersion
from .public_text import PUBLIC_DEFINITION_SLUGS, localized
from .selectors import resources_for_district


@dataclass(frozen=True)
class PublicDefinition:
    slug: str
    term: str
    text: str


@dataclass(frozen=True)
class PublicResource:
    slug: str
    name: str
    description: str
    phone: str
    url: str


@dataclass(frozen=True)
class Coordinator:
    name: str
    title: str
    email: str
    phone: str
    office: str

    @property
    def is_set(self) -> bool:
        """Whether the district has filled in any way to reach its coordinator."""
        return bool(self.name or self.email or self.phone or self.office)


@dataclass(frozen=True)
class PublicPolicy:
    """What the public policy page and the handout show, in the active language."""

    district_name: str
    district_slug: str
    district_pk: int
    policy_pk: int | None
    policy_title: str
    policy_version: str
    policy_effective: dt.date | None
    definitions: tuple[PublicDefinition, ...]
    resources: tuple[PublicResource, ...]
    coordinator: Coordinator


def policy_version_in_force(*, on: dt.date) -> PolicyVersion | None:
    """The policy version in force on ``on`` (a date): the latest whose effective date is on or
    before it, or ``None`` when no version is in force yet."""
    return PolicyVersion.objects.filter(effective_date__lte=on).order_by("-effective_date").first()


def public_policy_for_district(*, district_slug: str) -> PublicPolicy:
    """Returns what the district's public policy page shows: the policy version in force
    today, its definitions of NCII (authentic and synthetic), distribution, consent and
    sextortion, the resources that apply to the district (placeholders a district has not
    filled in are left out: a family must never see an empty contact), and the coordinator's
    contact. Shipped catalog text comes in the active language (``public_text.localized``).

    Raises Http404 when no district has the slug. Four queries."""
    district = District.objects.filter(slug=district_slug).first()
    if district is None:
        raise Http404("No such district.")
    policy = policy_version_in_force(on=timezone.localdate())
    definitions = ()
    if policy is not None:
        by_slug = {
            d.slug: d
            for d in Definition.objects.filter(policy=policy, slug__in=PUBLIC_DEFINITION_SLUGS)
        }
        definitions = tuple(
            PublicDefinition(slug=slug, term=localized(d.term), text=localized(d.text))
            for slug in PUBLIC_DEFINITION_SLUGS
            if (d := by_slug.get(slug)) is not None
        )
    resources = tuple(
        PublicResource(
            slug=r.slug,
            name=localized(r.name),
            description=localized(r.description),
            phone=r.phone,
            url=r.url,
        )
        for r in resources_for_district(district=district).filter(is_placeholder=False)
    )
    return PublicPolicy(
        district_name=district.name,
        district_slug=district.slug,
        district_pk=district.pk,
        policy_pk=policy.pk if policy else None,
        policy_title=policy.title if policy else "",
        policy_version=policy.version if policy else "",
        policy_effective=policy.effective_date if policy else None,
        definitions=definitions,
        resources=resources,
        coordinator=Coordinator(
            name=district.coordinator_name,
            title=localized(district.coordinator_title),
            email=district.coordinator_email,
            phone=district.coordinator_phone,
            office=district.coordinator_office,
        ),
    )
