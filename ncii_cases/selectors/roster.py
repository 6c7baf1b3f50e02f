"""Reads for the roster: the districts and imports an account may see on the import screen,
the people it may look up when naming someone (the roster lookup), and the earlier cases of
a case's people. Every read is scoped through ``permissions``; a person or case outside the
user's reach is simply not there (no error that would tell it exists)."""

from django.db.models import Q, QuerySet

from ncii_cases import choices as c
from ncii_cases.models import District, Person, RosterImport
from ncii_cases.permissions import (
    Action,
    districts_for_roster_import,
    people_where,
    user_can_anywhere,
)
from ncii_cases.selectors.cases import parties_visible_to

SEARCH_MIN = 2
SEARCH_MAX = 10


def roster_districts_for_user(*, user) -> QuerySet[District]:
    """The districts whose roster the user may import (``districts_for_roster_import``)."""
    return districts_for_roster_import(user).order_by("name")


def roster_imports_for_user(*, user, limit: int = 10) -> list[RosterImport]:
    """The latest imports of the districts whose roster the user may import, newest first."""
    return list(
        RosterImport.objects.filter(district__in=districts_for_roster_import(user))
        .select_related("district", "started_by")
        .order_by("-started_at", "-pk")[:limit]
    )


def people_lookup_open_for(*, user) -> bool:
    """Whether the user may look people up at all (those who open cases: TRIAGE somewhere).
    Whom they find is ``people_search_for_user``'s business."""
    return user_can_anywhere(user, Action.TRIAGE)


def people_lookup_scope_for(*, user):
    """The people a pick may name for the user, or None when the user has no lookup (the
    forms then show no lookup)."""
    return person_lookup_scope(user=user) if people_lookup_open_for(user=user) else None


def people_search_for_user(*, user, query: str, limit: int = SEARCH_MAX) -> list[Person]:
    """Returns up to ``limit`` people on the roster (active) the user may look up
    (``permissions.people_where``) whose name matches ``query``: every word of the query
    starts the first or the last name, or the whole query is the student or employee number.
    A query shorter than two characters finds nobody. Sorted by last and first name."""
    # "Brightwater, Jordan" as lists show names: the comma is no part of either.
    query = " ".join(query.replace(",", " ").split())[:100]
    if len(query) < SEARCH_MIN:
        return []
    matches = Person.name_words_q(query.split(" ")[:3], lookup="istartswith")
    return list(
        people_where(user)
        .filter(is_active=True)
        .filter(matches | Q(external_id__iexact=query))
        .select_related("school")
        .order_by("last_name", "first_name", "pk")[:limit]
    )


def person_lookup_scope(*, user) -> QuerySet[Person]:
    """The people a form may link a party to for the user: those ``people_where`` gives (a
    forged id outside it is "not a valid choice", never "not yours")."""
    return people_where(user).select_related("school")


def earlier_cases_of_people_for_user(*, user, case, person_ids) -> dict[int, list[dict]]:
    """For each person id, the other cases where that person is a party (not withdrawn) that
    the user may read, by the same need-to-know rule as the case page
    (``selectors.parties_visible_to``: support staff do not learn of a respondent role): a list
    of ``{"case_id", "reference", "role", "role_label", "stage"}``, oldest case first. Cases
    and parties the user may not read are not counted. One query."""
    person_ids = [pk for pk in person_ids if pk]
    if not person_ids:
        return {}
    rows = (
        parties_visible_to(user)
        .filter(person_id__in=person_ids, withdrawn_at__isnull=True)
        .exclude(case_id=case.pk)
        .values_list("person_id", "case_id", "case__reference", "role", "case__stage")
        .order_by("case__reported_at", "case_id", "pk")
    )
    labels = dict(c.PartyRole.choices)
    found: dict[int, list[dict]] = {}
    for person_id, case_id, reference, role, stage in rows:
        entries = found.setdefault(person_id, [])
        if any(e["case_id"] == case_id for e in entries):
            continue  # one person in two roles of one case: the case once
        entries.append(
            {
                "case_id": case_id,
                "reference": reference,
                "role": role,
                "role_label": str(labels.get(role, role)).lower(),
                "stage": stage,
            }
        )
    return found


def parties_earlier_cases_mark(*, user, case, parties) -> None:
    """Sets ``earlier_cases`` on each party (``earlier_cases_of_people_for_user`` for its
    person; empty for an unidentified party): the case page lists them. At most one query."""
    found = earlier_cases_of_people_for_user(
        user=user, case=case, person_ids={p.person_id for p in parties}
    )
    for party in parties:
        party.earlier_cases = found.get(party.person_id, [])
