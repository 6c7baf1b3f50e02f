"""Reads of the policy catalogs. Each catalog function returns the active rows that apply to
a district: the shared defaults (seeded by migrations) together with the district's own rows,
never another district's. The catalogs hold no case data, so no permission check is needed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from .models import Definition, Intervention, Measure, Platform, Resource

if TYPE_CHECKING:
    from ncii_cases.models import District


def platforms_for_district(*, district: District | None) -> QuerySet[Platform]:
    """Platforms where imagery can spread, with their NCII reporting routes.

    With ``district=None`` only the shared defaults are returned."""
    return Platform.objects.for_district(district)


# Shown whatever the age of the people in the imagery: the NCMEC hotline and the CyberTipline
# take reports about adults too.
ALWAYS_SHOWN = ("ncmec-hotline", "cybertipline")


def resources_for_district(
    *, district: District | None, audience: str | None = None, reachable: bool = False
) -> QuerySet[Resource]:
    """Resources shown to victims and staff (hotlines, reporting and takedown services,
    counseling); the one rule the case page and the catalogs ask.

    ``audience`` narrows the list to what fits the person: ``"minors"`` returns the resources
    for everyone plus those for minors (Take It Down, the CyberTipline); ``"adults"`` returns
    the resources for everyone plus those for adults (StopNCII); ``"all"`` returns only the
    resources meant for everyone; ``None`` returns every resource. Whatever the audience, the
    ``ALWAYS_SHOWN`` ones are kept. Raises ValueError for an unknown audience.

    ``reachable`` keeps only the resources someone can reach: a placeholder slot the district
    has not filled in (``Resource.is_placeholder``), or a row with neither phone nor address,
    is left out, as beside a case: a person asking for help must never be shown a contact
    that is not there.
    """
    qs = Resource.objects.for_district(district)
    if reachable:
        qs = qs.filter(is_placeholder=False).exclude(phone="", url="")
    if audience is None:
        return qs
    if audience not in Resource.Audience.values:
        raise ValueError(f"Unknown resource audience: {audience!r}")
    return qs.filter(
        Q(audience__in={Resource.Audience.EVERYONE, audience}) | Q(slug__in=ALWAYS_SHOWN)
    )


def measures_for_district(
    *, district: District | None, kind: str | None = None
) -> QuerySet[Measure]:
    """Supportive measures (for the complainant) and interim measures (concerning the
    respondent); ``kind`` ("supportive" or "interim") returns one of the two lists."""
    qs = Measure.objects.for_district(district)
    if kind is None:
        return qs
    if kind not in Measure.Kind.values:
        raise ValueError(f"Unknown measure kind: {kind!r}")
    return qs.filter(kind=kind)


def interventions_for_track(*, district: District | None, track: str) -> QuerySet[Intervention]:
    """The sanctions a case may draw from: student interventions for ``track="student"``,
    employee corrective actions for ``track="employee"``. A case's sanctions come only from
    its own respondent track's catalog."""
    if track not in Intervention.Track.values:
        raise ValueError(f"Unknown intervention track: {track!r}")
    return Intervention.objects.for_district(district).filter(track=track)


def definition(*, slug: str) -> Definition | None:
    """The policy's definition of a term in plain words, or ``None`` if there is no such term."""
    return Definition.objects.select_related("policy").filter(slug=slug).first()
