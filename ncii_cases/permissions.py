"""Who may see and do what: the permission policy's two faces.

``user_can(user, action, case)`` answers for one case; ``cases_visible_to(user, action)``
returns the cases on which a user may take an action. Every selector scopes through these.
Access comes from role (group) plus district, school and assignment; superuser status and
model-wide permissions grant no case content (separation of duties: IT manages accounts).
"""

from django.db.models import QuerySet

from .choices import Role
from .models import Case


class Action:
    """What a user may do on a case. Need-to-know: support staff may VIEW a case but not
    VIEW_EVIDENCE nor VIEW_DISCIPLINE; the auditor may VIEW_METADATA and AUDIT only."""

    VIEW = "view"  # read the case's narrative, parties and records
    VIEW_METADATA = "view_metadata"  # reference, school, stage, dates: no narrative or names
    VIEW_EVIDENCE = "view_evidence"  # the evidence log and supporting documents
    VIEW_DISCIPLINE = "view_discipline"  # interim measures, determinations and sanctions
    TRIAGE = "triage"  # intake, jurisdiction, classification, routing
    WORK = "work"  # harm assessment, takedowns, reports, evidence, notices, investigation
    SUPPORT = "support"  # supportive measures and remedies for the complainant
    DECIDE = "decide"  # determination sign-off, sanctions, closure, reopening
    ASSIGN = "assign"  # manage who is assigned
    AUDIT = "audit"  # the case's audit trail and access log


ALL_ACTIONS = [v for k, v in vars(Action).items() if k.isupper()]

# Which actions each role has, and over which cases: "district" (every case of the user's
# district), "school" (cases of the user's schools) or "assigned" (cases with an active
# assignment of the user).
ROLE_RIGHTS: dict[str, tuple[str, set[str]]] = {
    Role.COORDINATOR: ("district", set(ALL_ACTIONS)),
    Role.SCHOOL_ADMIN: (
        "school",
        {
            Action.VIEW,
            Action.VIEW_METADATA,
            Action.VIEW_EVIDENCE,
            Action.VIEW_DISCIPLINE,
            Action.TRIAGE,
            Action.WORK,
            Action.SUPPORT,
            Action.ASSIGN,
        },
    ),
    Role.INVESTIGATOR: (
        "assigned",
        {
            Action.VIEW,
            Action.VIEW_METADATA,
            Action.VIEW_EVIDENCE,
            Action.VIEW_DISCIPLINE,
            Action.WORK,
            Action.SUPPORT,
        },
    ),
    Role.SUPPORT_STAFF: ("assigned", {Action.VIEW, Action.VIEW_METADATA, Action.SUPPORT}),
    Role.AUDITOR: ("district", {Action.VIEW_METADATA, Action.AUDIT}),
    Role.IT_ADMIN: ("district", set()),
}


def user_role(user) -> str | None:
    """Returns the user's role (the name of its role group), or None."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    cached = getattr(user, "_ncii_role", False)
    if cached is not False:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((r.value for r in Role if r.value in names), None)
    user._ncii_role = role
    return role


def cases_visible_to(user, action: str = Action.VIEW) -> QuerySet[Case]:
    """Returns the cases on which the user may take ``action`` (by default: read content)."""
    role = user_role(user)
    if role is None or user.district_id is None:
        return Case.objects.none()
    scope, actions = ROLE_RIGHTS[role]
    if action not in actions:
        return Case.objects.none()
    in_district = Case.objects.filter(district_id=user.district_id)
    if scope == "district":
        return in_district
    if scope == "school":
        return in_district.filter(school__in=user.schools.all())
    return in_district.filter(
        pk__in=user.case_assignments.filter(ended_at__isnull=True).values("case_id")
    )


def user_can(user, action: str, case: Case) -> bool:
    """Whether the user may take ``action`` on the case."""
    return cases_visible_to(user, action).filter(pk=case.pk).exists()
