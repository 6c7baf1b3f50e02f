"""Which takedown routes fit a depicted person's imagery, and what to propose for each place
the imagery was seen: the one place of the route rules (docs/policy-rules.md, "Takedown
routes"). The services refuse what these rules refuse, and the forms show it before posting.

- NCMEC's Take It Down is for imagery made while the person was under 18, even if they are
  an adult now (https://takeitdown.ncmec.org, "Who can use Take It Down"); it is offered
  whenever the imagery was made under 18 or its age is not known.
- StopNCII is for imagery of a person 18 or over when it was made (https://stopncii.org,
  "Am I eligible"; under 18: NCMEC's Take It Down): offered only then, refused otherwise.
- Neither hash service starts a legal clock. A covered platform must remove the imagery
  within 48 hours of its own valid notice (TAKE IT DOWN Act, Pub. L. 119-12 (2025),
  sec. 3(a)(3)): for every covered platform where the imagery was seen, that notice is proposed
  beside the hash service.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import choices as c
from .models import CaseParty, EvidenceItem, TakedownRequest
from .obligations import party_age_in_imagery

R = TakedownRequest.Route
Age = c.AgeInImagery

STOPNCII_REFUSAL = (
    "StopNCII is only for imagery made when the person was 18 or over, and {who} is not "
    "recorded as 18 or over in the imagery. For imagery made under 18, even of a person who "
    "is an adult now, use Take It Down (NCMEC). If the person was 18 or over in the imagery, "
    "record that on their party first."
)
TAKE_IT_DOWN_REFUSAL = (
    "Take It Down (NCMEC) is for imagery made while the person was under 18, and {who} is "
    "recorded as 18 or over in the imagery. Use StopNCII, and the platform's own notice."
)


def imagery_age(depicted_party: CaseParty | None) -> str:
    """The ``AgeInImagery`` of the person a request is for ("unknown" when nobody is named)."""
    return Age.UNKNOWN if depicted_party is None else party_age_in_imagery(depicted_party)


def hash_route_for(depicted_party: CaseParty | None) -> str:
    """Returns the hash-matching service that fits: StopNCII for imagery made at 18 or over,
    Take It Down for imagery made under 18 or of unknown age."""
    return R.STOPNCII if imagery_age(depicted_party) == Age.ADULT else R.TAKE_IT_DOWN


def route_refusal(route: str, depicted_party: CaseParty | None) -> str | None:
    """Returns why ``route`` does not fit the person's age in the imagery (a sentence to
    show), or None when it fits. The platform's own notice always fits."""
    age = imagery_age(depicted_party)
    who = "the person shown" if depicted_party is None else depicted_party.display_name
    if route == R.STOPNCII and age != Age.ADULT:
        return STOPNCII_REFUSAL.format(who=who)
    if route == R.TAKE_IT_DOWN and age == Age.ADULT:
        return TAKE_IT_DOWN_REFUSAL.format(who=who)
    return None


@dataclass(frozen=True)
class Suggestion:
    """A takedown request worth opening: where, for whom, by which route, and why."""

    platform_id: int
    platform_name: str
    location: str
    depicted_party: CaseParty | None
    route: str
    covered_by_48h_rule: bool
    why: str

    @property
    def route_label(self) -> str:
        return R(self.route).label


def _location_of(item: EvidenceItem) -> str:
    return (item.url or item.handle or item.group_name or "").strip()


def takedown_suggestions(
    *,
    evidence: Iterable[EvidenceItem],
    depicted: Iterable[CaseParty],
    existing: Iterable[TakedownRequest],
) -> list[Suggestion]:
    """Returns the requests to propose, from where the imagery was seen (evidence items with a
    platform and a location) and the depicted persons: for each place and person, the hash
    service that fits the person's age in the imagery, and for a covered platform its own
    notice under the TAKE IT DOWN Act (the one that starts the 48 hours). A request already
    open (not "not pursued") for the same place, person and route is not proposed again."""
    people: list[CaseParty | None] = list(depicted) or [None]
    taken = {
        (t.platform_id, t.location.strip(), t.depicted_party_id, t.route)
        for t in existing
        if t.status != TakedownRequest.Status.WAIVED
    }
    seen, out = set(), []
    for item in evidence:
        location = _location_of(item)
        if item.platform is None or not location or (item.platform_id, location) in seen:
            continue
        seen.add((item.platform_id, location))
        platform = item.platform
        for person in people:
            hash_route = hash_route_for(person)
            hash_why = (
                "StopNCII: the person was 18 or over in the imagery."
                if hash_route == R.STOPNCII
                else "Take It Down (NCMEC): the imagery was made under 18, or the age in it "
                "is not known. It works from the person's own device; the image never "
                "leaves it."
            )
            rows = [(hash_route, False, hash_why + " No legal clock.")]
            if platform.take_it_down_act_covered:
                rows.append(
                    (
                        R.PLATFORM,
                        True,
                        "The platform's own notice under the TAKE IT DOWN Act: a valid notice "
                        "starts the 48 hours in which the platform must remove the imagery.",
                    )
                )
            else:
                rows.append(
                    (
                        R.PLATFORM,
                        False,
                        "The platform's own report. This platform is not covered by the TAKE "
                        "IT DOWN Act: no legal clock.",
                    )
                )
            for route, covered, why in rows:
                key = (platform.pk, location, getattr(person, "pk", None), route)
                if key in taken:
                    continue
                out.append(
                    Suggestion(
                        platform_id=platform.pk,
                        platform_name=platform.name,
                        location=location,
                        depicted_party=person,
                        route=route,
                        covered_by_48h_rule=covered,
                        why=why,
                    )
                )
    return out
