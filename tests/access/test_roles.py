"""The roles of DESIGN.md, as implemented: the action table per role and scope, and the
model-wide rights of each role group (which never reach case content on their own)."""

import pytest

from ncii_cases.choices import Role
from ncii_cases.permissions import CASE_ACTIONS, ROLE_RIGHTS, Action
from ncii_cases.roles import CASE_RECORD_MODELS, ROLE_PERMISSIONS, roles_sync

A = Action
EXPECTED = {
    Role.COORDINATOR: (
        "district",
        set(CASE_ACTIONS)
        | {A.ANALYTICS, A.MANAGE_ROLES, A.MANAGE_CATALOG, A.FILE_REPORT, A.REVIEW_REPORTS}
        | {A.MANAGE_LETTERS},
    ),
    Role.SCHOOL_ADMIN: (
        "school",
        {A.VIEW, A.VIEW_METADATA, A.VIEW_EVIDENCE, A.VIEW_DISCIPLINE, A.TRIAGE, A.WORK}
        | {A.SUPPORT, A.ASSIGN, A.FILE_REPORT, A.REVIEW_REPORTS, A.ANALYTICS},
    ),
    Role.INVESTIGATOR: (
        "assigned",
        {A.VIEW, A.VIEW_METADATA, A.VIEW_EVIDENCE, A.VIEW_DISCIPLINE, A.WORK, A.SUPPORT}
        | {A.FILE_REPORT},
    ),
    Role.SUPPORT_STAFF: ("assigned", {A.VIEW, A.VIEW_METADATA, A.SUPPORT, A.FILE_REPORT}),
    Role.AUDITOR: ("district", {A.VIEW_METADATA, A.AUDIT, A.FILE_REPORT}),
    Role.IT_ADMIN: (
        "district",
        {A.MANAGE_ACCOUNTS, A.MANAGE_SETTINGS, A.MANAGE_CATALOG, A.FILE_REPORT},
    ),
    # Every employee files reports (Title IX: an employee's knowledge is the district's).
    Role.STAFF_REPORTER: ("district", {A.FILE_REPORT}),
    Role.OPERATOR: (
        "everywhere",
        {A.MANAGE_ACCOUNTS, A.MANAGE_ROLES, A.MANAGE_SETTINGS, A.MANAGE_CATALOG},
    ),
}


def test_every_role_has_exactly_the_designed_rights():
    assert {str(r): v for r, v in ROLE_RIGHTS.items()} == {str(r): v for r, v in EXPECTED.items()}


@pytest.mark.parametrize("role", [Role.SUPPORT_STAFF, Role.AUDITOR, Role.IT_ADMIN])
def test_roles_outside_casework_hold_no_model_right_on_case_records(db, role):
    group = roles_sync()[role.value]
    codes = set(group.permissions.values_list("codename", flat=True))
    touching = {code for code in codes if code.split("_", 1)[1] in CASE_RECORD_MODELS}
    assert touching == set(), touching


def test_it_admin_manages_accounts_and_settings(db):
    codes = set(roles_sync()[Role.IT_ADMIN.value].permissions.values_list("codename", flat=True))
    assert {"add_user", "change_user", "change_school", "change_platform"} <= codes
    assert "view_caseevent" not in codes and "view_accessevent" not in codes
    # No new district, no editing of the policy's texts, no group
    assert not {"add_district", "change_definition", "view_group", "change_group"} & codes


def test_the_operator_holds_no_case_action_and_no_group():
    scope, actions = ROLE_RIGHTS[Role.OPERATOR]
    assert not actions & set(CASE_ACTIONS)
    assert Role.OPERATOR not in ROLE_PERMISSIONS


def test_auditor_reads_the_audit_rows_only(db):
    codes = set(roles_sync()[Role.AUDITOR.value].permissions.values_list("codename", flat=True))
    assert codes == {"view_caseevent", "view_accessevent"}
