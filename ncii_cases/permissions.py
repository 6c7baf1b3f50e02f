"""Who may see and do what: the permission policy's two faces.

``user_can(user, action, case)`` answers for one case; ``cases_visible_to(user, action)``
returns the cases on which a user may take an action. Every selector scopes through these.
Access comes from role (group) plus district, school and assignment; superuser status and
model-wide permissions grant no case content (separation of duties: IT manages accounts).

Per-case rights of assigned staff are django-guardian object permissions held in the direct
foreign-key table ``CaseUserObjectPermission``; ``case_grants_sync`` sets them from the user's
active assignments (called by the assignment services in their transaction). Nothing here asks
``user.has_perm(perm, case)``: guardian's backend answers yes to every superuser.
"""

from django.db.models import QuerySet

from .choices import AssignmentRole, Role
from .models import Case, CaseAssignment, CaseUserObjectPermission


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
    # approve a redacted summary for release outside the Title IX office (the coordinator)
    RELEASE_REDACTED = "release_redacted"


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


# The object permissions each assignment role gives on its case.
ASSIGNMENT_GRANTS: dict[str, set[str]] = {
    AssignmentRole.LEAD: {"view_case_content", "work_case", "support_case"},
    AssignmentRole.INVESTIGATOR: {"view_case_content", "work_case"},
    AssignmentRole.SUPPORT: {"view_case_content", "support_case"},
    AssignmentRole.SCHOOL_ADMIN: {"view_case_content", "work_case", "support_case"},
}
GRANT_CODENAMES = set().union(*ASSIGNMENT_GRANTS.values())

# For a role of "assigned" scope, the object permission an action needs on the case.
ACTION_GRANT: dict[str, str] = {
    Action.VIEW: "view_case_content",
    Action.VIEW_METADATA: "view_case_content",
    Action.VIEW_EVIDENCE: "view_case_content",
    Action.VIEW_DISCIPLINE: "view_case_content",
    Action.WORK: "work_case",
    Action.SUPPORT: "support_case",
}


def user_role(user) -> str | None:
    """Returns the user's role (the name of its role group; always IT for a superuser), or
    None for anonymous, inactive and role-less users."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    cached = getattr(user, "_ncii_role", False)
    if cached is not False:
        return cached
    if user.is_superuser:
        # Separation of duties: a superuser manages accounts and never reads cases, whatever
        # groups the account was put in.
        role = Role.IT_ADMIN.value
    else:
        names = set(user.groups.values_list("name", flat=True))
        role = next((r.value for r in Role if r.value in names), None)
    user._ncii_role = role
    return role


def _school_ids(user) -> set[int]:
    cached = getattr(user, "_ncii_school_ids", None)
    if cached is None:
        cached = set(user.schools.values_list("pk", flat=True))
        user._ncii_school_ids = cached
    return cached


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
        return in_district.filter(school_id__in=_school_ids(user))
    granted = CaseUserObjectPermission.objects.filter(
        user=user, permission__codename=ACTION_GRANT[action]
    )
    return in_district.filter(pk__in=granted.values("content_object_id"))


def actions_for(user, case: Case) -> set[str]:
    """Returns every action the user may take on the case (at most one query)."""
    role = user_role(user)
    if role is None or user.district_id is None or case.district_id != user.district_id:
        return set()
    scope, actions = ROLE_RIGHTS[role]
    if scope == "district":
        return set(actions)
    if scope == "school":
        return set(actions) if case.school_id in _school_ids(user) else set()
    granted = set(
        CaseUserObjectPermission.objects.filter(user=user, content_object=case).values_list(
            "permission__codename", flat=True
        )
    )
    return {a for a in actions if ACTION_GRANT.get(a) in granted}


def user_can(user, action: str, case: Case) -> bool:
    """Whether the user may take ``action`` on the case."""
    return action in actions_for(user, case)


def user_can_open_case_at(user, school) -> bool:
    """Whether the user may open a new case at the school: TRIAGE rights over the school's
    cases (a coordinator of its district, an administrator of that school). Assigned-scope
    roles cannot: a case that does not exist yet has no assignment."""
    role = user_role(user)
    if role is None or user.district_id is None or school.district_id != user.district_id:
        return False
    scope, actions = ROLE_RIGHTS[role]
    if Action.TRIAGE not in actions:
        return False
    if scope == "district":
        return True
    if scope == "school":
        return school.pk in _school_ids(user)
    return False


def case_grants_sync(*, case: Case, user) -> set[str]:
    """Sets the user's object permissions on the case to exactly what their active
    assignments give, and returns them. Call inside the assignment's transaction."""
    from guardian.shortcuts import assign_perm, remove_perm

    wanted = set()
    roles = CaseAssignment.objects.filter(case=case, user=user, ended_at__isnull=True)
    for role in roles.values_list("role", flat=True):
        wanted |= ASSIGNMENT_GRANTS.get(role, set())
    held = set(
        CaseUserObjectPermission.objects.filter(
            user=user, content_object=case, permission__codename__in=GRANT_CODENAMES
        ).values_list("permission__codename", flat=True)
    )
    for codename in wanted - held:
        assign_perm(f"ncii_cases.{codename}", user, case)
    for codename in held - wanted:
        remove_perm(f"ncii_cases.{codename}", user, case)
    return wanted
