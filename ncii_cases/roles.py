"""Roles by code: the group mirror of each role's model-wide admin rights, and the access-log
record of every change of an account's reach.

An account's role is ``User.role``, a stable code (``choices.Role``); ``permissions.user_role``
reads it and nothing reads a group's name to decide a role. Each role has a group of the same
name that only carries the role's model-wide permissions for the admin's screens; membership is
set from the role by code (``account_groups_sync``, ``roles_sync``), never from user input, and
groups cannot be edited in the admin. Renaming a group changes nothing anyone may do: the next
``roles_sync`` (every ``migrate``) restores the mirror.

Model-wide rights never reveal case content by themselves: every case screen scopes its rows
through ``permissions.cases_visible_to``, and every account, school, district and catalog
screen through the "where" faces of ``permissions``. Case records get "view" only: the admin is
a read-only, scoped view of them, and every write goes through the application's services.

Every change of an account's role, superuser status, district or schools, on any path (the
admin's forms, ``user.role = ...; user.save()`` in a shell, ``user.schools.add(...)`` or
``school.staff.remove(...)``, a service), writes one ``role_change`` entry to the access log
naming who made it (the signed-in user of the request, or ``system``), the account, and what
changed (before -> after). Model signals catch every path that goes through ``save()`` and the
many-to-many managers; the account manager refuses queryset ``update()`` of those fields,
which would send no signal (``models.UserQuerySet``). Bulk loads that bypass both (the
benchmark's seeding) create accounts, they change none.
"""

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.utils.translation import gettext as _

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
# Catalog rows that belong to a district or to every district (no district): a district edits
# its own rows, the deployment operator the shared ones (policies.admin).
DISTRICT_CATALOG_MODELS = [
    "platform",
    "resource",
    "measure",
    "intervention",
    "studentintervention",
    "employeecorrectiveaction",
    "reportingobligation",
    "appealground",
    # A district's reporting profile (which reports, their deadlines), with its lines inline.
    "reportingprofile",
]
# The policy's own texts: shared by every district, edited by the deployment operator only.
POLICY_TEXT_MODELS = ["definition", "policyversion"]
CATALOG_MODELS = DISTRICT_CATALOG_MODELS + POLICY_TEXT_MODELS


def _perms(actions, models):
    return [f"{a}_{m}" for a in actions for m in models]


# The model-wide rights of each role's group: they open admin screens, and each screen then
# shows only the rows the permission policy allows. The deployment operator is a superuser and
# has no group.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.COORDINATOR: _perms(["view"], CASE_RECORD_MODELS)
    + _perms(["view", "add", "change"], DISTRICT_CATALOG_MODELS)
    + _perms(["view"], POLICY_TEXT_MODELS)
    + ["view_caseevent", "view_accessevent", "view_school", "view_district"]
    # Only to set the role and schools of accounts of the district (ncii_cases.admin.UserAdmin).
    + ["view_user", "change_user"],
    Role.SCHOOL_ADMIN: _perms(["view"], CASE_RECORD_MODELS) + _perms(["view"], CATALOG_MODELS),
    Role.INVESTIGATOR: _perms(["view"], CASE_RECORD_MODELS) + _perms(["view"], CATALOG_MODELS),
    Role.SUPPORT_STAFF: _perms(["view"], CATALOG_MODELS),
    Role.AUDITOR: ["view_caseevent", "view_accessevent"],
    # District IT: its district's accounts, schools and settings (no new district), its
    # catalog rows, and removing a lost authenticator of one of its accounts.
    Role.IT_ADMIN: _perms(["view", "add", "change"], ["user", "school"])
    + ["view_district", "change_district"]
    + _perms(["view", "add", "change"], DISTRICT_CATALOG_MODELS)
    + _perms(["view"], POLICY_TEXT_MODELS)
    + _perms(["view", "delete"], ["totpdevice", "staticdevice"])
    # The district's school calendar (closures, make-up days): docs/clocks.md.
    + _perms(["view", "add", "change", "delete"], ["schoolcalendarentry"])
    # Single sign-on providers of the district, and the links of its accounts to them.
    + _perms(["view", "add", "change"], ["ssoprovider"])
    + _perms(["view", "delete"], ["ssoidentity"]),
}
PERMISSION_APPS = ("ncii_cases", "policies", "auth", "otp_totp", "otp_static")


def roles_sync() -> dict[str, Group]:
    """Creates each role's group, sets exactly its rights and exactly its members (the
    accounts holding the role), empties every other group, and returns the groups by role
    code. Runs after every ``migrate`` (not one that stepped back: ``apps.migrated_back``)."""
    from .models import User

    wanted = {code for codes in ROLE_PERMISSIONS.values() for code in codes}
    by_code = {}
    for perm in Permission.objects.filter(codename__in=wanted).select_related("content_type"):
        if perm.content_type.app_label in PERMISSION_APPS:
            by_code[perm.codename] = perm
    groups = {}
    for role, codes in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        group.permissions.set([by_code[code] for code in codes if code in by_code])
        group.user_set.set(User.objects.filter(role=role.value))
        groups[role.value] = group
    for other in Group.objects.exclude(pk__in=[g.pk for g in groups.values()]):
        other.user_set.clear()
    return groups


def account_groups_sync(*, user) -> None:
    """Puts the account in exactly its role's group (none without a role): the mirror that
    carries the role's model-wide admin rights."""
    if not user.role or user.role not in ROLE_PERMISSIONS:
        user.groups.clear()
        return
    group = Group.objects.filter(name=user.role).first() or roles_sync()[user.role]
    user.groups.set([group])


# --- The role-change record ------------------------------------------------------------------

NO_REACH = {"role": "", "is_superuser": False, "district": None}


def account_reach(user) -> dict:
    """What decides an account's reach apart from its schools: role, superuser status and
    district."""
    return {
        "role": str(user.role or ""),
        "is_superuser": bool(user.is_superuser),
        "district": user.district_id,
    }


def _request():
    from simple_history.models import HistoricalRecords

    return getattr(HistoricalRecords.context, "request", None)


def _actor(account):
    """Who is changing the account: the one named on it by the admin or a service, else the
    signed-in user of the current request, else nobody ("system")."""
    for name in ("_ncii_actor", "_history_user"):
        actor = getattr(account, name, None)
        if getattr(actor, "is_authenticated", False):
            return actor
    request = _request()
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def role_change_record(*, account, actor, before: dict, after: dict, allowed: bool = True):
    """Appends one ``role_change`` entry to the access log, in the account's district: who
    (``actor``, or "system"), which account, and each changed value as before -> after. A
    refused attempt (``allowed=False``) is recorded the same way with what was asked for."""
    from .access_log import client_ip
    from .audit import access_event_record

    what = "; ".join(
        f"{key}: {before.get(key)!r} -> {after.get(key)!r}"
        for key in after
        if before.get(key) != after.get(key)
    )
    by = actor.get_username() if actor is not None else "system"
    request = _request()
    prefix = f"{request.path} " if request is not None else ""
    district_id = after.get("district") or before.get("district") or account.district_id
    return access_event_record(
        user=actor,
        action="role_change",
        path=f"{prefix}account={account.pk} ({account.get_username()}) by={by}; {what}",
        district_id=district_id,
        method=getattr(request, "method", "") or "",
        allowed=allowed,
        ip_address=client_ip(request) if request is not None else None,
        user_agent=request.META.get("HTTP_USER_AGENT", "") if request is not None else "",
    )


def _reach_before(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    if update_fields is not None and not set(update_fields) & set(NO_REACH):
        instance._ncii_reach_before = None
        return
    if instance.pk is None:
        instance._ncii_reach_before = dict(NO_REACH)
        return
    row = (
        sender._base_manager.filter(pk=instance.pk)
        .values("role", "is_superuser", "district_id")
        .first()
    )
    instance._ncii_reach_before = (
        dict(NO_REACH)
        if row is None
        else {
            "role": row["role"] or "",
            "is_superuser": row["is_superuser"],
            "district": row["district_id"],
        }
    )


def _reach_after(sender, instance, created=False, raw=False, **kwargs):
    before = getattr(instance, "_ncii_reach_before", None)
    instance._ncii_reach_before = None
    if raw or before is None:
        return
    after = account_reach(instance)
    if created and not (after["role"] or after["is_superuser"]):
        return  # a new account without a role reaches nothing yet
    if before == after:
        return
    role_change_record(account=instance, actor=_actor(instance), before=before, after=after)
    if before["role"] != after["role"] or created:
        account_groups_sync(user=instance)


def _school_ids(user) -> list[int]:
    return sorted(user.schools.values_list("pk", flat=True))


def _schools_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    from .models import User

    if action.startswith("pre_"):
        if reverse:
            accounts = list(
                User.objects.filter(pk__in=pk_set) if pk_set is not None else instance.staff.all()
            )
        else:
            accounts = [instance]
        if action == "pre_add":
            _check_same_district(instance, reverse, pk_set, accounts)
        instance._ncii_schools_before = {a.pk: (a, _school_ids(a)) for a in accounts}
        return
    before = getattr(instance, "_ncii_schools_before", None) or {}
    instance._ncii_schools_before = None
    for account, schools in before.values():
        after = _school_ids(account)
        if after != schools:
            role_change_record(
                account=account,
                actor=_actor(account),
                before={"schools": schools},
                after={"schools": after},
            )


def _check_same_district(instance, reverse, pk_set, accounts):
    """Refuses to give an account a school of another district, on every path."""
    from .models import School

    if reverse:
        wrong = [a for a in accounts if a.district_id != instance.district_id]
    else:
        wrong = list(
            School.objects.filter(pk__in=pk_set or []).exclude(district_id=instance.district_id)
        )
    if wrong:
        raise ValidationError(
            _(
                "An account can serve only schools of its own district. Choose schools of the "
                "account's district."
            )
        )


def signals_connect() -> None:
    """Connects the role-change record to every save of an account and every change of its
    schools (called once from the app's ``ready``)."""
    from .models import User

    pre_save.connect(_reach_before, sender=User, dispatch_uid="ncii_reach_before")
    post_save.connect(_reach_after, sender=User, dispatch_uid="ncii_reach_after")
    m2m_changed.connect(
        _schools_changed, sender=User.schools.through, dispatch_uid="ncii_schools_changed"
    )
