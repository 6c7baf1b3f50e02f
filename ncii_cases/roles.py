"""The roles of DESIGN.md as groups, with the model-wide rights each needs for the admin.

Model-wide rights never reveal case content by themselves: every case screen scopes its rows
through ``permissions.cases_visible_to``. Per-case rights come from assignments.

Case records get "view" only: the admin is a read-only, scoped view of them, and every write
goes through the application's services (action check, workflow, ``CaseEvent``).
"""

from django.contrib.auth.models import Group, Permission

from .choices import Role

CASE_RECORD_MODELS = [
    "case",
    "caseparty",
    "caseassignment",
    "harmassessment",
    "casemeasure",
    "resolutionoffer",
    "takedownrequest",
    "externalreport",
    "evidenceitem",
    "custodyentry",
    "supportingdocument",
    "determination",
    "sanction",
    "partynotice",
    "person",
]
CATALOG_MODELS = [
    "platform",
    "resource",
    "measure",
    "intervention",
    "studentintervention",
    "employeecorrectiveaction",
    "reportingobligation",
    "definition",
    "policyversion",
]


def _perms(actions, models):
    return [f"{a}_{m}" for a in actions for m in models]


ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.COORDINATOR: _perms(["view"], CASE_RECORD_MODELS)
    + _perms(["view", "add", "change"], CATALOG_MODELS)
    + ["view_caseevent", "view_accessevent", "view_school", "view_district"]
    # Only to set the role and schools of accounts of the district (ncii_cases.admin.UserAdmin).
    + ["view_user", "change_user"],
    Role.SCHOOL_ADMIN: _perms(["view"], CASE_RECORD_MODELS) + _perms(["view"], CATALOG_MODELS),
    Role.INVESTIGATOR: _perms(["view"], CASE_RECORD_MODELS) + _perms(["view"], CATALOG_MODELS),
    Role.SUPPORT_STAFF: _perms(["view"], CATALOG_MODELS),
    Role.AUDITOR: ["view_caseevent", "view_accessevent"],
    Role.IT_ADMIN: _perms(
        ["view", "add", "change"], ["user", "school", "district", "schoolcalendarentry"]
    )
    + ["delete_schoolcalendarentry"]
    + ["view_group"]
    + _perms(["view", "add", "change"], CATALOG_MODELS),
}


def roles_sync() -> dict[str, Group]:
    """Creates each role's group and sets exactly its rights; returns the groups by role."""
    wanted = {code for codes in ROLE_PERMISSIONS.values() for code in codes}
    by_code = {}
    for perm in Permission.objects.filter(codename__in=wanted).select_related("content_type"):
        if perm.content_type.app_label in ("ncii_cases", "policies", "auth"):
            by_code[perm.codename] = perm
    groups = {}
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set([by_code[code] for code in codes if code in by_code])
        groups[role.value] = group
    return groups
