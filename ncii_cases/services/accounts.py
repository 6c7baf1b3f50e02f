"""Account actions that touch security: ending a user's sessions, what deactivating an account
ends, and telling the account by e-mail when its password or its e-mail address changes.

When an account becomes inactive, on any path (``user_deactivate``, the admin's form, or
``user.is_active = False; user.save()`` in a shell), ``user_access_end`` runs: its sessions end,
its active case assignments end with the per-case rights they gave (one ``assignee_deactivated``
event per case), and it no longer receives case e-mail (``tasks.case_mail_recipients``, which
reads ``is_active``). The model signal below covers every path that saves the user row; a
queryset ``update()`` writes no signal, but the account still reads nothing (an inactive
account has no role) and receives no e-mail.

When the e-mail address changes, on any path that saves the user row (the admin, a roster
import, a shell), the former address is told (``two_factor.account_email_change_notify``).
When an account that read no case content is given a role that does, its second factor and
sessions end (``two_factor.second_factor_reset_on_case_access``). The same save keeps, sets
or empties the confirmation of the account's address (``email_confirmation_decide``): set-up
links of an account that reads cases go only to an address a coordinator or the operator
confirmed, never to one district IT chose alone.

Changes to the user row are kept by its history (simple-history), with who made them.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from .. import event_details
from ..audit import case_event_record
from ..models import AccountSession, CaseAssignment, CaseUserObjectPermission, User
from ..permissions import account_email_may_confirm, account_reads_cases, case_grants_sync
from .common import stamp

DEACTIVATED_REASON = "The account was deactivated."


@dataclass(frozen=True)
class AccessEnded:
    """What ``user_access_end`` ended: sessions, assignments, and the cases they were on."""

    sessions: int = 0
    assignments: int = 0
    case_ids: list[int] = field(default_factory=list)


def user_sessions_end(*, user) -> int:
    """Deletes every session signed in as the user (``AccountSession.account_id``, one
    indexed query; it decoded every session of the installation before) and returns how many
    of them had not expired yet."""
    sessions = AccountSession.objects.filter(account_id=user.pk)
    ended = sessions.filter(expire_date__gt=timezone.now()).delete()[0]
    sessions.delete()  # expired ones too: nothing of the account stays behind
    return ended


@transaction.atomic
def user_access_end(*, user, actor=None) -> AccessEnded:
    """Ends what an inactive account still holds and returns what ended: its active case
    assignments (each case gets one ``assignee_deactivated`` event with the roles ended, and
    the user's per-case rights there are set by ``case_grants_sync`` to what remains:
    nothing), any per-case right left without an assignment, and its sessions.

    Raises ``ValueError`` for an active account (deactivate it first). ``actor``: who
    deactivated it (None from a shell)."""
    if user.is_active:
        raise ValueError("Only an inactive account's access is ended here.")
    now = timezone.now()
    by_case = defaultdict(list)
    active = (
        CaseAssignment.objects.select_for_update(of=("self",))
        .filter(user=user, ended_at__isnull=True)
        .select_related("case")
        .order_by("case_id", "pk")
    )
    for assignment in active:
        assignment.ended_at = now
        stamp(assignment, actor)
        assignment.save(update_fields=["ended_at"])
        by_case[assignment.case].append(assignment)
    for case, ended in by_case.items():
        case_grants_sync(case=case, user=user)
        case_event_record(
            case=case,
            actor=actor,
            reason=DEACTIVATED_REASON,
            **event_details.assignee_deactivated(
                user_id=user.pk,
                roles=[a.role for a in ended],
                assignment_ids=[a.pk for a in ended],
            ),
        )
    # Rights that no assignment explains (written outside the services) end as well.
    stray = (
        CaseUserObjectPermission.objects.filter(user=user)
        .exclude(content_object__in=[case.pk for case in by_case])
        .select_related("content_object")
    )
    for case in {grant.content_object for grant in stray}:
        case_grants_sync(case=case, user=user)
    return AccessEnded(
        sessions=user_sessions_end(user=user),
        assignments=sum(len(ended) for ended in by_case.values()),
        case_ids=sorted(case.pk for case in by_case),
    )


@transaction.atomic
def user_deactivate(*, actor, user) -> AccessEnded:
    """Deactivates the account and returns what that ended (``user_access_end``: sessions,
    assignments and their rights, case e-mail), all in one transaction."""
    user.is_active = False
    stamp(user, actor)
    user.save(update_fields=["is_active"])
    # The save's signal ended the access when the account was active; otherwise end it now.
    ended = user.__dict__.pop("_ncii_access_ended", None)
    return ended if ended is not None else user_access_end(user=user, actor=actor)


# --- The model signal: every path that saves the user row ------------------------------------


def _actor_of(user):
    """Who is saving the account: the actor a service stamped, or the signed-in user of the
    request (the admin), or None (a shell)."""
    actor = getattr(user, "_history_user", None)
    if actor is not None:
        return actor
    from simple_history.models import HistoricalRecords

    request = getattr(HistoricalRecords.context, "request", None)
    requester = getattr(request, "user", None)
    return requester if getattr(requester, "is_authenticated", False) else None


def email_address_moved(former: str | None, new: str | None) -> bool:
    """Whether an account's address changed to another mailbox: ``former`` was set and
    ``new`` differs from it beyond capitals and surrounding spaces (a change only of those is
    the same mailbox, and its owner is not told)."""
    return bool((former or "").strip()) and not _same_mailbox(former, new)


def _same_mailbox(former: str | None, new: str | None) -> bool:
    """Whether two addresses are one mailbox: equal beyond capitals and surrounding spaces."""
    return (former or "").strip().lower() == (new or "").strip().lower()


# The columns whose change the signals act on.
WATCHED_FIELDS = {"is_active", "email", "role", "is_superuser"}
CONFIRMATION_FIELDS = {"email_confirmed_at", "email_confirmed_by"}


def email_confirmation_decide(
    *, account, actor, command_line: bool, ticked: bool, email_changed: bool, granted: bool
) -> bool | None:
    """Whether a save keeps, sets or empties the confirmation of the account's address
    (``User.email_confirmed_at``), the rule of every path that saves the account:

    - a role that reads cases given (``granted``): confirmed when whoever gives it may vouch
      (``permissions.account_email_may_confirm``) and ticked "the address is the person's
      own" on the same form (``ticked``), or on the server's command line; otherwise emptied,
      because the address was chosen while the account read no case (by district IT, a
      roster or a sign-on provider) and nobody has looked at it since;
    - the address changed to another mailbox (``email_changed``): confirmed when changed by
      someone who may vouch (or on the command line), emptied when by anyone else;
    - nothing of these, but ticked by someone who may vouch: confirmed.

    ``actor``: who saves (None: nobody signed in); ``command_line``: no request and no
    service named an actor, that is a shell or a management command on the server. Returns
    True (confirm now, by ``actor``), False (empty it) or None (leave it as it is). An
    account without an address is never confirmed."""
    vouches = command_line or account_email_may_confirm(actor, account)
    if granted:
        decision = vouches and (ticked or command_line)
    elif email_changed:
        decision = vouches
    elif ticked and vouches:
        decision = True
    else:
        return None
    return decision and bool((account.email or "").strip())


def _user_pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    ticked = instance.__dict__.pop("_ncii_email_confirm", False)  # the admin form's box
    saved = WATCHED_FIELDS if update_fields is None else WATCHED_FIELDS & set(update_fields)
    if not saved and not ticked:
        return  # a sign-in's last_login, for example
    # A new instance given the primary key of an existing account (``User(pk=...).save()``)
    # updates that account: its row is read as any other's (none when it is truly new).
    row = None
    if instance.pk is not None:
        row = (
            User.objects.filter(pk=instance.pk)
            .values_list("is_active", "email", "role", "is_superuser")
            .first()
        )
    actor, command_line = _actor_and_source(instance)
    if row is None:
        # A new account: one made with a role that reads cases (on the command line, or by
        # the operator) has its address confirmed by whoever made it.
        if (
            instance.email_confirmed_at is None
            and account_reads_cases(instance)
            and email_confirmation_decide(
                account=instance,
                actor=actor,
                command_line=command_line,
                ticked=ticked,
                email_changed=True,
                granted=False,
            )
        ):
            _confirmation_set(instance, actor, True, update_fields)
        return
    # Only what this save writes counts: a field set on the instance but left out of
    # ``update_fields`` is not changed in the database.
    if "is_active" in saved:
        instance._ncii_was_active = row[0]
    if "email" in saved:
        instance._ncii_was_email = row[1]
    granted = False
    if saved & {"role", "is_superuser"}:
        before = User(role=row[2], is_superuser=row[3])
        instance._ncii_read_cases = account_reads_cases(before)
        granted = not instance._ncii_read_cases and account_reads_cases(instance)
    email_changed = "email" in saved and not _same_mailbox(row[1], instance.email)
    decision = email_confirmation_decide(
        account=instance,
        actor=actor,
        command_line=command_line,
        ticked=ticked,
        email_changed=email_changed,
        granted=granted,
    )
    if decision is not None:
        _confirmation_set(instance, actor, decision, update_fields)


def _confirmation_set(instance, actor, confirmed: bool, update_fields) -> None:
    """Sets the account's address confirmation on the instance (saved with it and in its
    history row); when the save writes only some columns without these, post_save writes
    them."""
    instance.email_confirmed_at = timezone.now() if confirmed else None
    instance.email_confirmed_by = actor if confirmed and getattr(actor, "pk", None) else None
    if update_fields is not None and not set(update_fields) >= CONFIRMATION_FIELDS:
        instance._ncii_confirmation_unsaved = True


def _actor_and_source(user):
    """Who saves the account (``_actor_of``), and whether it is the server's command line: no
    actor named by a service and no request at all (a shell, a management command). A
    request with nobody signed in (a sign-on callback, a public form) is not."""
    actor = _actor_of(user)
    if actor is not None:
        return actor, False
    from simple_history.models import HistoricalRecords

    request = getattr(HistoricalRecords.context, "request", None)
    explicit = "_history_user" in user.__dict__
    return None, request is None and not explicit


def _user_post_save(sender, instance, created, raw=False, **kwargs):
    was_active = instance.__dict__.pop("_ncii_was_active", None)
    was_email = instance.__dict__.pop("_ncii_was_email", None)
    read_cases = instance.__dict__.pop("_ncii_read_cases", None)
    if instance.__dict__.pop("_ncii_confirmation_unsaved", False) and not raw:
        User.objects.filter(pk=instance.pk).update(
            email_confirmed_at=instance.email_confirmed_at,
            email_confirmed_by=instance.email_confirmed_by,
        )
    if raw or created:
        return
    if read_cases is False and account_reads_cases(instance):
        # (an inactive account too: it could be enabled again with the role)
        from .two_factor import second_factor_reset_on_case_access

        second_factor_reset_on_case_access(user=instance, actor=_actor_of(instance))
    if email_address_moved(was_email, instance.email):
        from .two_factor import account_email_change_notify, enrollment_links_revoke

        # Unused set-up links went to the former address.
        enrollment_links_revoke(user=instance)
        account_email_change_notify(user=instance, old_email=was_email, actor=_actor_of(instance))
    if was_active and not instance.is_active:
        instance._ncii_access_ended = user_access_end(user=instance, actor=_actor_of(instance))


def accounts_signals_connect() -> None:
    """Connects the deactivation and address-change signals (``NciiCasesConfig.ready``)."""
    from django.db.models.signals import post_save, pre_save

    pre_save.connect(_user_pre_save, sender=User, dispatch_uid="ncii_user_was_active")
    post_save.connect(_user_post_save, sender=User, dispatch_uid="ncii_user_deactivated")


class PasswordChangeNotice:
    """A password "validator" that validates nothing: Django calls its ``password_changed``
    after every save of a new password (``set_password`` then ``save``: the admin's password
    form, ``manage.py changepassword``, a shell), so the account is told by e-mail on every
    path. The e-mail holds no secret (``two_factor.account_change_notify``)."""

    def validate(self, password, user=None):
        return None

    def password_changed(self, password, user=None):
        from .two_factor import account_change_notify

        if user is not None and getattr(user, "pk", None):
            account_change_notify(user=user, change="password")

    def get_help_text(self):
        return "The account's owner is told by e-mail whenever its password changes."
