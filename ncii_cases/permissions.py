"""Who may see and do what: the one permission policy, and every face of it.

Nothing outside this module reads ``ROLE_RIGHTS`` or compares role codes; everything asks a
face. The faces:

- one case: ``user_can(user, action, case)``, ``actions_for(user, case)``;
- which cases: ``cases_visible_to(user, action)``;
- anywhere: ``user_can_anywhere(user, action)`` (may the user do X at all, somewhere),
  ``user_can_everywhere(user, action)`` (in every district: the operator),
  ``user_can_on_every_case(user, *actions)`` (on every case of their district) and
  ``actions_on_every_case_where(user, where)`` (on every case where they may take another);
- where: ``schools_where(user, action)``, ``accounts_where(user, action)``,
  ``districts_where(user, action)``, ``districts_for_roster_import(user)``, ``people_where(user)``,
  ``catalog_rows_where(user, action, rows)`` and ``catalog_rows_visible_to(user, rows)``;
  ``user_can_open_case_at(user, school)``;
- who: ``users_who_can_on_every_case(action, district_id=)``;
- the role itself: ``user_role(user)`` (for display and logging, never to compare).

Every face turns the role's scope into rows through one scope switch, ``Scope``.

Access comes from the role (``User.role``, a stable code) plus district, school and
assignment. A superuser is the deployment operator: it manages accounts, settings and the
shared catalogs of every district and reads no case content, whatever its ``role`` says
(separation of duties). Model-wide permissions (the role groups of ``roles.py``) only open
admin screens; they grant no case content.

Per-case rights of assigned staff are django-guardian object permissions held in the direct
foreign-key table ``CaseUserObjectPermission``; ``case_grants_sync`` sets them from the user's
active assignments (called by the assignment services in their transaction). Nothing here asks
``user.has_perm(perm, case)``: guardian's backend answers yes to every superuser.
"""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, QuerySet

from .choices import AssignmentRole, Role
from .models import (
    Case,
    CaseAssignment,
    CaseStageCount,
    CaseUserObjectPermission,
    District,
    IncomingReport,
    Person,
    School,
    User,
)


class Action:
    """What a user may do. Need-to-know: support staff may VIEW a case but not
    VIEW_EVIDENCE nor VIEW_DISCIPLINE; the auditor may VIEW_METADATA and AUDIT only.

    The first group are actions on a case; the second are actions in a district that concern
    no one case (``cases_visible_to`` returns no case for them)."""

    VIEW = "view"  # read the case's narrative, parties and records
    VIEW_METADATA = "view_metadata"  # reference, school, stage, dates: no narrative or names
    VIEW_EVIDENCE = "view_evidence"  # the evidence log and supporting documents
    VIEW_DISCIPLINE = "view_discipline"  # interim measures, determinations and sanctions
    TRIAGE = "triage"  # intake, jurisdiction, classification, routing
    WORK = "work"  # harm assessment, takedowns, reports, evidence, notices, investigation
    SUPPORT = "support"  # supportive measures and remedies for the complainant
    DECIDE = "decide"  # determination sign-off, sanctions, closure, reopening
    ASSIGN = "assign"  # manage who is assigned
    AUDIT = "audit"  # the case's audit trail and access log (and the district's review)
    # approve a redacted summary for release outside the Title IX office (the coordinator)
    RELEASE_REDACTED = "release_redacted"

    ANALYTICS = "analytics"  # figures over the cases of a scope (no names, no references)
    MANAGE_ACCOUNTS = "manage_accounts"  # create, (de)activate, reset passwords and devices
    MANAGE_ROLES = "manage_roles"  # set an account's role and schools
    MANAGE_SETTINGS = "manage_settings"  # the district's settings and its schools
    MANAGE_CATALOG = "manage_catalog"  # add and change catalog rows (operator: shared too)
    # Reports from anyone (docs/reports.md). Under Title IX in K-12 any employee's knowledge
    # is the district's knowledge (34 CFR 106.30(a), "actual knowledge"; 106.8 on reporting),
    # so every employee account may file a report; the reports' queue is the coordinator's
    # (district) and the school administrators' (their schools).
    FILE_REPORT = "file_report"  # file a staff report and follow one's own reports' status
    REVIEW_REPORTS = "review_reports"  # the incoming reports: promote, merge, close, reply
    # The district's letter templates (ncii_cases/letters.py): edit the wording of each kind.
    MANAGE_LETTERS = "manage_letters"


CASE_ACTIONS = [
    Action.VIEW,
    Action.VIEW_METADATA,
    Action.VIEW_EVIDENCE,
    Action.VIEW_DISCIPLINE,
    Action.TRIAGE,
    Action.WORK,
    Action.SUPPORT,
    Action.DECIDE,
    Action.ASSIGN,
    Action.AUDIT,
    Action.RELEASE_REDACTED,
]
DISTRICT_ACTIONS = [
    Action.ANALYTICS,
    Action.MANAGE_ACCOUNTS,
    Action.MANAGE_ROLES,
    Action.MANAGE_SETTINGS,
    Action.MANAGE_CATALOG,
    Action.FILE_REPORT,
    Action.REVIEW_REPORTS,
    Action.MANAGE_LETTERS,
]
ALL_ACTIONS = CASE_ACTIONS + DISTRICT_ACTIONS

# The scopes a role's rights hold over: "everywhere" (every district: the deployment
# operator, never for a case action), "district" (everything of the user's district),
# "school" (what belongs to the user's schools) or "assigned" (cases with an active
# assignment of the user).
EVERYWHERE, DISTRICT, SCHOOL, ASSIGNED = "everywhere", "district", "school", "assigned"

# Which actions each role has, and over which rows.
ROLE_RIGHTS: dict[str, tuple[str, set[str]]] = {
    Role.COORDINATOR: (
        DISTRICT,
        set(CASE_ACTIONS)
        | {
            Action.ANALYTICS,
            Action.MANAGE_ROLES,
            Action.MANAGE_CATALOG,
            Action.FILE_REPORT,
            Action.REVIEW_REPORTS,
            Action.MANAGE_LETTERS,
        },
    ),
    Role.SCHOOL_ADMIN: (
        SCHOOL,
        {
            Action.VIEW,
            Action.VIEW_METADATA,
            Action.VIEW_EVIDENCE,
            Action.VIEW_DISCIPLINE,
            Action.TRIAGE,
            Action.WORK,
            Action.SUPPORT,
            Action.ASSIGN,
            Action.FILE_REPORT,
            Action.REVIEW_REPORTS,
            # Their own schools' figures, small counts suppressed (docs/analytics.md).
            Action.ANALYTICS,
        },
    ),
    Role.INVESTIGATOR: (
        ASSIGNED,
        {
            Action.VIEW,
            Action.VIEW_METADATA,
            Action.VIEW_EVIDENCE,
            Action.VIEW_DISCIPLINE,
            Action.WORK,
            Action.SUPPORT,
            Action.FILE_REPORT,
        },
    ),
    Role.SUPPORT_STAFF: (
        ASSIGNED,
        {Action.VIEW, Action.VIEW_METADATA, Action.SUPPORT, Action.FILE_REPORT},
    ),
    Role.AUDITOR: (DISTRICT, {Action.VIEW_METADATA, Action.AUDIT, Action.FILE_REPORT}),
    # District IT: its own district's accounts, settings, schools and catalog rows; no case.
    Role.IT_ADMIN: (
        DISTRICT,
        {
            Action.MANAGE_ACCOUNTS,
            Action.MANAGE_SETTINGS,
            Action.MANAGE_CATALOG,
            Action.FILE_REPORT,
        },
    ),
    # Every other employee (a teacher, a bus driver, a coach): files reports of what they
    # learned and sees their own reports' status; no case, no screen of anyone else's.
    Role.STAFF_REPORTER: (DISTRICT, {Action.FILE_REPORT}),
    # The deployment operator: every district's accounts and settings, the shared catalogs
    # (and appointing a new district's first coordinator); no case, anywhere.
    Role.OPERATOR: (
        EVERYWHERE,
        {
            Action.MANAGE_ACCOUNTS,
            Action.MANAGE_ROLES,
            Action.MANAGE_SETTINGS,
            Action.MANAGE_CATALOG,
        },
    ),
}
# Separation of duties, checked once at import: a right over every district never reaches a
# case.
if any(
    scope == EVERYWHERE and actions & set(CASE_ACTIONS) for scope, actions in ROLE_RIGHTS.values()
):
    raise ImproperlyConfigured("A role of scope 'everywhere' may hold no case action.")


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


# What each assignment role promises its holder on the case, read from the grants it gives:
# an assignment page that says "investigator" promises that the person can read and work it.
GRANT_ACTION: dict[str, str] = {
    "view_case_content": Action.VIEW,
    "work_case": Action.WORK,
    "support_case": Action.SUPPORT,
}


def assignment_actions(role: str) -> set[str]:
    """Returns the actions an assignment in ``role`` (an ``AssignmentRole``) promises on its
    case: VIEW always, WORK and/or SUPPORT as its grants say."""
    return {GRANT_ACTION[codename] for codename in ASSIGNMENT_GRANTS.get(role, set())}


class AssignmentProblem:
    """Why a user cannot hold an assignment on a case (``assignment_problem``)."""

    INACTIVE = "inactive"  # the account is deactivated
    OTHER_DISTRICT = "other_district"  # the account belongs to another district (or none)
    NO_CASE_ROLE = "no_case_role"  # IT, the auditor, no role: their role works on no case
    OTHER_SCHOOL = "other_school"  # a school administrator of other schools only
    ROLE_FALLS_SHORT = "role_falls_short"  # the role lacks what the assignment promises


def _assignment_fit(role: str | None, school_ids, case: Case, assignment_role: str) -> str | None:
    """The rule of ``assignment_problem`` for a user of the case's district with ``role``."""
    if role is None:
        return AssignmentProblem.NO_CASE_ROLE
    scope, actions = ROLE_RIGHTS[role]
    if Action.VIEW not in actions:
        return AssignmentProblem.NO_CASE_ROLE  # IT, the auditor: they read no case content
    if scope == "school" and case.school_id not in school_ids:
        # School administrators reach cases through their schools (DESIGN.md: they "handle
        # cases of their own school(s)"); a per-case grant would give them nothing.
        return AssignmentProblem.OTHER_SCHOOL
    if not assignment_actions(assignment_role) <= actions:
        return AssignmentProblem.ROLE_FALLS_SHORT
    if assignment_role == AssignmentRole.SCHOOL_ADMIN and scope != "school":
        return AssignmentProblem.ROLE_FALLS_SHORT  # the title names a school administrator
    return None


def assignment_problem(user, case: Case, assignment_role: str) -> str | None:
    """Returns why the user cannot be assigned to the case in ``assignment_role`` (an
    ``AssignmentProblem``), or None when the assignment would give them exactly what it says:
    an active account of the case's district whose role can take every action the assignment
    promises (``assignment_actions``) on this case."""
    if not user.is_active:
        return AssignmentProblem.INACTIVE
    if user.district_id is None or user.district_id != case.district_id:
        return AssignmentProblem.OTHER_DISTRICT
    return _assignment_fit(user_role(user), _school_ids(user), case, assignment_role)


def users_with_roles(roles) -> QuerySet:
    """Returns the active accounts whose role (``User.role``, a stable code) is one of
    ``roles``; never a superuser (the operator's role is always OPERATOR and reads no case)."""
    return User.objects.filter(role__in=list(roles), is_active=True, is_superuser=False)


def roles_assignable() -> list[str]:
    """The role codes (``choices.Role``) whose holders can be assigned to a case in some
    assignment role and school: those whose rights include reading case content
    (``Action.VIEW``), the first rule of ``assignment_problem``. IT and the auditor are not."""
    return [role for role, (_scope, actions) in ROLE_RIGHTS.items() if Action.VIEW in actions]


def account_reads_cases(account) -> bool:
    """Whether the account's role reads case content somewhere (``roles_assignable``: a
    coordinator, a school administrator, an investigator, support staff): an account whose
    authenticator set-up links must reach its holder alone. Never a superuser (the operator
    reads no case)."""
    return not account.is_superuser and account.role in roles_assignable()


def account_email_may_confirm(actor, account) -> bool:
    """Whether ``actor`` may vouch that ``account``'s e-mail address is its holder's own, so
    that the account's authenticator set-up links may go there once it reads case content
    (``User.email_confirmed_at``). Separation of duties: the address of such an account is
    vouched for by someone who cannot set its password, so that no one person holds both
    halves of a sign-in. That is a coordinator of the account's district (who reads every
    case of it already and gives its roles, but never resets a password), for any account
    of the district but their own and a superuser's, or the deployment operator for any
    account. Never district IT, who resets passwords. ``actor`` None: nobody (the server's
    command line is decided by its caller)."""
    if actor is None or not getattr(actor, "is_active", False):
        return False
    if user_can_everywhere(actor, Action.MANAGE_ACCOUNTS):
        return True
    if account.is_superuser or actor.pk == account.pk:
        return False
    if actor.district_id is None or actor.district_id != account.district_id:
        return False
    return user_can_on_every_case(actor, Action.VIEW)


def account_email_may_change(actor, account) -> bool:
    """Whether ``actor`` may change ``account``'s e-mail address, where the account's
    authenticator set-up links and second-factor notices go (``services.two_factor``).
    Separation of duties: district IT, who resets passwords and removes second factors,
    never also chooses where the set-up link of an account that reads case content goes, or
    it could set itself up as that account and read its cases. So whoever may vouch for an
    address (``account_email_may_confirm``: a coordinator of the account's district, not for
    their own account, or the deployment operator) changes any address of the district, and
    so can correct it on the form where they give a role that reads cases; district IT
    changes the addresses of the accounts that read no case (its own, the auditor's,
    role-less accounts'), and such a change leaves the address unconfirmed. A superuser's
    address only the operator changes; nobody outside the account's district changes it."""
    if account_email_may_confirm(actor, account):
        return True
    if account.is_superuser or account_reads_cases(account):
        return False
    if actor.district_id is None or actor.district_id != account.district_id:
        return False
    return user_can_anywhere(actor, Action.MANAGE_ACCOUNTS)


def users_assignable_to(case: Case, assignment_role: str | None = None) -> QuerySet:
    """Returns the accounts that may be assigned to the case (in ``assignment_role``, or in
    at least one role): the queryset face of ``assignment_problem``, for the choices of a
    form. Ordered by name."""
    assignment_roles = [assignment_role] if assignment_role else list(ASSIGNMENT_GRANTS)
    fitting_roles, school_roles = set(), set()
    for role, (scope, _) in ROLE_RIGHTS.items():
        if any(_assignment_fit(role, {case.school_id}, case, a) is None for a in assignment_roles):
            (school_roles if scope == "school" else fitting_roles).add(role)
    fits = Q(pk__in=users_with_roles(fitting_roles).values("pk"))
    if school_roles:
        fits |= Q(pk__in=users_with_roles(school_roles).filter(schools=case.school_id).values("pk"))
    return User.objects.filter(fits, district_id=case.district_id, is_active=True).order_by(
        "last_name", "first_name", "username"
    )


def user_role(user) -> str | None:
    """Returns the user's role code (``User.role``; ``Role.OPERATOR`` for every superuser), or
    None for anonymous, inactive and role-less users. For display and logging: decisions ask
    the other faces. Never reads group names (a group can be renamed)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        # Separation of duties: a superuser runs the installation and never reads cases,
        # whatever role the account was given.
        return Role.OPERATOR.value
    return user.role if user.role in ROLE_RIGHTS else None


def _school_ids(user) -> set[int]:
    cached = getattr(user, "_ncii_school_ids", None)
    if cached is None:
        cached = set(user.schools.values_list("pk", flat=True))
        user._ncii_school_ids = cached
    return cached


class Scope:
    """The one scope switch: what a role's scope means for one user, as a queryset filter
    (``q``) or, for a single row already in memory, as a yes or no (``covers``). Every face
    goes through it, so "district", "school" and "assigned" mean the same everywhere."""

    def __init__(self, user, kind: str):
        self.user = user
        self.kind = kind

    def q(
        self,
        *,
        district: str,
        school: str | None = None,
        assigned: Callable[[], Q] | None = None,
    ) -> Q | None:
        """The filter for rows whose district id is at lookup ``district`` and school id at
        ``school`` (None: rows without a school, which a school scope does not reach);
        ``assigned`` builds the filter of the user's assigned rows. None means no row."""
        if self.kind == EVERYWHERE:
            return Q()
        if self.user.district_id is None:
            return None
        in_district = Q(**{district: self.user.district_id})
        if self.kind == DISTRICT:
            return in_district
        if self.kind == SCHOOL:
            if school is None:
                return None
            return in_district & Q(**{f"{school}__in": _school_ids(self.user)})
        if self.kind == ASSIGNED and assigned is not None:
            return in_district & assigned()
        return None

    def covers(
        self,
        *,
        district_id: int | None,
        school_id: int | None = None,
        assigned: Callable[[], bool] | None = None,
    ) -> bool:
        """Whether one row (its district and school ids) is in the scope; ``assigned``
        answers for an assigned scope (at most one query)."""
        if self.kind == EVERYWHERE:
            return True
        if self.user.district_id is None or district_id != self.user.district_id:
            return False
        if self.kind == DISTRICT:
            return True
        if self.kind == SCHOOL:
            return school_id is not None and school_id in _school_ids(self.user)
        if self.kind == ASSIGNED and assigned is not None:
            return assigned()
        return False


def _scope_for(user, action: str) -> Scope | None:
    """The scope over which the user may take ``action``, or None if their role has not it."""
    role = user_role(user)
    if role is None:
        return None
    kind, actions = ROLE_RIGHTS[role]
    if action not in actions:
        return None
    return Scope(user, kind)


def _granted_ids(user, action: str):
    """The ids of the cases on which the user holds the per-case grant of ``action``."""
    granted = CaseUserObjectPermission.objects.filter(
        user=user, permission__codename=ACTION_GRANT.get(action, "")
    )
    return granted.values("content_object_id")


def _granted(user, action: str) -> Q:
    return Q(pk__in=_granted_ids(user, action))


# --- Cases -----------------------------------------------------------------------------------


def cases_visible_to(user, action: str = Action.VIEW) -> QuerySet[Case]:
    """Returns the cases on which the user may take ``action`` (by default: read content);
    none for an action that is not a case action."""
    scope = _scope_for(user, action) if action in CASE_ACTIONS else None
    if scope is None or scope.kind == EVERYWHERE:
        return Case.objects.none()
    q = scope.q(district="district_id", school="school_id", assigned=lambda: _granted(user, action))
    return Case.objects.none() if q is None else Case.objects.filter(q)


def case_stage_counts_visible_to(user, action: str) -> QuerySet[CaseStageCount] | None:
    """The kept counts per school and stage (``CaseStageCount``) of the cases on which the
    user may take ``action``, when the user's scope is made of whole schools (a district
    scope, or the schools of a school scope): the same cases ``cases_visible_to`` gives,
    counted. None when the scope is the user's assigned cases, which no kept count
    follows: count those from ``cases_visible_to``. No rows where ``cases_visible_to`` gives
    no case."""
    scope = _scope_for(user, action) if action in CASE_ACTIONS else None
    if scope is not None and scope.kind == ASSIGNED:
        return None
    if scope is None or scope.kind == EVERYWHERE:
        return CaseStageCount.objects.none()
    q = scope.q(district="district_id", school="school_id")
    return CaseStageCount.objects.none() if q is None else CaseStageCount.objects.filter(q)


def case_scope_q(user, action: str = Action.VIEW, *, prefix: str) -> Q | None:
    """The filter of rows whose case (at lookup ``prefix``, such as "case__") is one on which
    the user may take ``action``: the rule of ``cases_visible_to`` as a condition on the
    joined case, so that a query over a few matching rows checks just their cases instead of
    first listing every visible case of the district. None means no row."""
    scope = _scope_for(user, action) if action in CASE_ACTIONS else None
    if scope is None or scope.kind == EVERYWHERE:
        return None
    return scope.q(
        district=f"{prefix}district_id",
        school=f"{prefix}school_id",
        assigned=lambda: Q(**{f"{prefix}pk__in": _granted_ids(user, action)}),
    )


def actions_for(user, case: Case) -> set[str]:
    """Returns every case action the user may take on the case (at most one query)."""
    role = user_role(user)
    if role is None:
        return set()
    kind, actions = ROLE_RIGHTS[role]
    actions = actions & set(CASE_ACTIONS)
    if not actions or kind == EVERYWHERE:
        return set()
    scope = Scope(user, kind)
    granted: set[str] | None = None

    def holds(action: str) -> bool:
        nonlocal granted
        if granted is None:
            granted = set(
                CaseUserObjectPermission.objects.filter(user=user, content_object=case).values_list(
                    "permission__codename", flat=True
                )
            )
        return ACTION_GRANT.get(action) in granted

    return {
        action
        for action in actions
        if scope.covers(
            district_id=case.district_id,
            school_id=case.school_id,
            assigned=lambda action=action: holds(action),
        )
    }


def user_can(user, action: str, case: Case) -> bool:
    """Whether the user may take ``action`` on the case."""
    return action in actions_for(user, case)


def user_can_open_case_at(user, school) -> bool:
    """Whether the user may open a new case at the school: TRIAGE rights over the school's
    cases (a coordinator of its district, an administrator of that school). Assigned-scope
    roles cannot: a case that does not exist yet has no assignment."""
    scope = _scope_for(user, Action.TRIAGE)
    return scope is not None and scope.covers(district_id=school.district_id, school_id=school.pk)


# --- Anywhere, and where ---------------------------------------------------------------------


def user_can_anywhere(user, action: str) -> bool:
    """Whether the user may take ``action`` somewhere: their role has it, and they belong to
    a district (the operator: everywhere). Answers "show the nav link", "open the page";
    the rows themselves come from the "where" faces."""
    scope = _scope_for(user, action)
    return scope is not None and (scope.kind == EVERYWHERE or user.district_id is not None)


def user_can_everywhere(user, action: str) -> bool:
    """Whether the user may take ``action`` in every district: the deployment operator's
    rights (create a district, edit the shared catalog rows, reach every district's
    accounts)."""
    scope = _scope_for(user, action)
    return scope is not None and scope.kind == EVERYWHERE


def actions_on_every_case_where(user, where: str) -> set[str]:
    """Returns the case actions the user may take on every case on which they may take
    ``where`` (every case of ``cases_visible_to(user, where)``), by the policy alone, without
    a query: for a district- or school-wide role, every case action of the role (the scope
    that gives ``where`` gives them all); for a role of assigned cases, those that need the
    same per-case grant as ``where`` (an investigator who may VIEW a case may VIEW_EVIDENCE
    and VIEW_DISCIPLINE on it, not always WORK, a grant of its own). ``where`` itself is
    among them. Empty when the user may take ``where`` on no case. An action left out may
    still hold on some of those cases: ask ``cases_visible_to`` for it."""
    role = user_role(user)
    if role is None:
        return set()
    kind, actions = ROLE_RIGHTS[role]
    actions = actions & set(CASE_ACTIONS)
    if where not in actions or kind == EVERYWHERE:
        return set()
    if kind == ASSIGNED:
        grant = ACTION_GRANT.get(where)
        if grant is None:
            return set()  # no grant gives it: ``cases_visible_to`` lists no case
        return {action for action in actions if ACTION_GRANT.get(action) == grant}
    return actions


def user_can_on_every_case(user, *actions: str) -> bool:
    """Whether the user may take every one of ``actions`` on every case of their district
    (a district-wide role holding them all: the coordinator for VIEW, VIEW_EVIDENCE,
    VIEW_DISCIPLINE and AUDIT)."""
    if not actions:
        return False
    scopes = [_scope_for(user, action) for action in actions]
    return all(
        s is not None and s.kind == DISTRICT and user.district_id is not None for s in scopes
    )


def schools_where(user, action: str) -> QuerySet[School]:
    """Returns the schools where the user may take ``action``: every school of their district
    for a district-wide role, their own schools for a school administrator, every school for
    the operator's district-level actions; none for assigned-scope roles (their rights hold
    on cases, not schools)."""
    scope = _scope_for(user, action)
    q = None if scope is None else scope.q(district="district_id", school="pk")
    return School.objects.none() if q is None else School.objects.filter(q)


def schools_of_visible_cases(user) -> QuerySet[School]:
    """The schools whose cases the user may be shown (``Action.VIEW_METADATA``): their own
    schools for a school administrator, every school of the district for a district-wide role
    and for staff who see the cases they are assigned to (those may be at any school of the
    district); none without a role or a district."""
    scope = _scope_for(user, Action.VIEW_METADATA)
    if scope is None or user.district_id is None:
        return School.objects.none()
    if scope.kind == ASSIGNED:
        return School.objects.filter(district_id=user.district_id)
    return schools_where(user, Action.VIEW_METADATA)


def accounts_where(user, action: str) -> QuerySet[User]:
    """Returns the accounts on which the user may take ``action`` (MANAGE_ACCOUNTS,
    MANAGE_ROLES): those of their own district, never a superuser's (an operator account
    placed in a district is not its IT's to reset); every account for the operator."""
    scope = _scope_for(user, action)
    q = None if scope is None else scope.q(district="district_id")
    if q is None:
        return User.objects.none()
    accounts = User.objects.filter(q)
    return accounts if scope.kind == EVERYWHERE else accounts.exclude(is_superuser=True)


def districts_where(user, action: str) -> QuerySet[District]:
    """Returns the districts whose settings the user may act on (MANAGE_SETTINGS): their
    own; every district for the operator."""
    scope = _scope_for(user, action)
    q = None if scope is None else scope.q(district="pk")
    return District.objects.none() if q is None else District.objects.filter(q)


def districts_for_roster_import(user) -> QuerySet[District]:
    """Returns the districts whose OneRoster export the user may import (schools, people and
    disabled staff accounts): where they may both manage settings and manage accounts, which
    is their own district for its IT administrator and every district for the operator."""
    return districts_where(user, Action.MANAGE_SETTINGS) & districts_where(
        user, Action.MANAGE_ACCOUNTS
    )


def people_where(user) -> QuerySet[Person]:
    """Returns the people the user may look up when naming someone at intake or on the party
    form (the roster lookup): those where the user may open cases (TRIAGE), that is every
    person of their district for the coordinator, the people of their own schools for a
    school administrator; none for other roles (they type names in), and none for the
    operator (no case content)."""
    scope = _scope_for(user, Action.TRIAGE)
    if scope is None or scope.kind == EVERYWHERE:
        return Person.objects.none()
    q = scope.q(district="district_id", school="school_id")
    return Person.objects.none() if q is None else Person.objects.filter(q)


def catalog_rows_where(user, action: str, rows: QuerySet) -> QuerySet:
    """Narrows ``rows`` of a catalog (a ``policies`` model with a nullable ``district``) to
    those the user may take ``action`` on (MANAGE_CATALOG): their own district's rows; every
    row, the shared ones (no district) included, for the operator alone."""
    scope = _scope_for(user, action)
    q = None if scope is None else scope.q(district="district_id")
    return rows.none() if q is None else rows.filter(q)


def catalog_rows_visible_to(user, rows: QuerySet) -> QuerySet:
    """Narrows ``rows`` of a catalog to those the user may read in the admin: the shared
    rows and their own district's; every row for the operator. Catalogs hold no case data,
    but another district's rows are that district's business."""
    if user_can_everywhere(user, Action.MANAGE_CATALOG):
        return rows
    if getattr(user, "district_id", None) is None:
        return rows.filter(district__isnull=True)
    return rows.filter(Q(district__isnull=True) | Q(district_id=user.district_id))


def users_who_can_on_every_case(action: str, *, district_id: int) -> QuerySet[User]:
    """Returns the active accounts of the district whose role may take ``action`` on every
    case of the district (the coordinators, for TRIAGE): whom to tell when no one assigned
    is there to be told."""
    roles = [
        role
        for role, (kind, actions) in ROLE_RIGHTS.items()
        if kind == DISTRICT and action in actions
    ]
    return User.objects.filter(
        district_id=district_id, is_active=True, is_superuser=False, role__in=roles
    )


def second_factor_reset_needs_second_person(account) -> bool:
    """Whether removing the account's second factor waits for a second person's approval
    (the two-person rule): the account reads every case of its district (the coordinator) or
    runs the installation (a superuser)."""
    return account.is_superuser or user_can_on_every_case(account, Action.VIEW)


def second_factor_reset_may_approve(actor, account) -> bool:
    """Whether ``actor`` is a second person who may approve removing ``account``'s second
    factor: the deployment operator for any account; for an account that is not a superuser,
    someone who reads every case of the account's district (another coordinator). The caller
    excludes the requester and the account themselves."""
    if user_can_everywhere(actor, Action.MANAGE_ACCOUNTS):
        return True
    return (
        not account.is_superuser
        and actor.district_id is not None
        and actor.district_id == account.district_id
        and user_can_on_every_case(actor, Action.VIEW)
    )


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


# --- Reports from anyone ---------------------------------------------------------------------


def reports_where(user, action: str = Action.REVIEW_REPORTS) -> QuerySet[IncomingReport]:
    """Returns the incoming reports on which the user may take ``action`` (REVIEW_REPORTS):
    every report of the district for the coordinator, the reports of their schools for a
    school administrator (a report that names no school is the coordinator's), none for
    anyone else. Another district's reports are never among them."""
    scope = _scope_for(user, action)
    if scope is None or scope.kind == EVERYWHERE:
        return IncomingReport.objects.none()
    q = scope.q(district="district_id", school="school_id")
    return IncomingReport.objects.none() if q is None else IncomingReport.objects.filter(q)


def user_can_on_report(user, action: str, report: IncomingReport) -> bool:
    """Whether the user may take ``action`` (REVIEW_REPORTS) on the report (no query beyond
    the user's schools, cached)."""
    scope = _scope_for(user, action)
    return (
        scope is not None
        and scope.kind != EVERYWHERE
        and scope.covers(district_id=report.district_id, school_id=report.school_id)
    )


def reports_filed_by(user) -> QuerySet[IncomingReport]:
    """Returns the staff reports the user filed, while they may file reports (FILE_REPORT):
    a reporter follows only their own reports' status, never a case."""
    if not user_can_anywhere(user, Action.FILE_REPORT):
        return IncomingReport.objects.none()
    return IncomingReport.objects.filter(submitted_by=user, district_id=user.district_id)


def users_who_may_on_case(case: Case, *actions: str) -> QuerySet[User]:
    """Returns the active accounts of the case's district that may take at least one of
    ``actions`` on this case (such as who may approve a parent-notification decision:
    TRIAGE or DECIDE), ordered by name: the queryset face of ``user_can`` for a form's
    choices. Reads each candidate's rights through ``user_can``."""
    roles = [role for role, (_, granted) in ROLE_RIGHTS.items() if set(actions) & set(granted)]
    candidates = User.objects.filter(
        district_id=case.district_id, is_active=True, is_superuser=False, role__in=roles
    )
    fitting = [u.pk for u in candidates if any(user_can(u, a, case) for a in actions)]
    return User.objects.filter(pk__in=fitting).order_by("last_name", "first_name", "username")
