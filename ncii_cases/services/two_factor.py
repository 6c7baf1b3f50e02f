"""Two-factor devices and how an account gets one: a TOTP authenticator per user, a set of
one-time recovery codes, one-time enrollment links and two-person resets.

Nobody who merely holds an account's password (for example the IT administrator who just reset
it) can end up signed in as that account: an authenticator is set up only through a one-time
link e-mailed to the account's own address (``enrollment_link_create``), and a removed
authenticator (``second_factor_reset_request``) needs such a link again. The removal of a
coordinator's or a superuser's second factor waits for a second person
(``second_factor_reset_approve``). The account is told by e-mail whenever its password or its
second factor changes (``account_change_notify``); those e-mails hold no secret.

A user has at most one pending (unconfirmed) authenticator while enrolling, and one recovery
device whose codes are replaced as a set.
"""

import datetime as dt
import hashlib
import logging
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..models import EnrollmentLink, SecondFactorReset, User
from ..permissions import (
    account_reads_cases,
    second_factor_reset_may_approve,
    second_factor_reset_needs_second_person,
)

logger = logging.getLogger(__name__)

AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 5


class EnrollmentLinkInvalid(Exception):
    """An enrollment link that cannot be used; ``str(error)`` says why and what to do."""


class EnrollmentAddressUnconfirmed(ValueError):
    """No set-up link goes to the account's address: it reads case content and nobody who
    may vouch for its address has confirmed it (``enrollment_address_unconfirmed``);
    ``str(error)`` says what to do."""


UNCONFIRMED_ADDRESS = gettext_noop(
    "No set-up link can be sent yet: your account reads case records, and nobody who may has "
    "confirmed that its e-mail address is yours. Ask your district's Title IX coordinator to "
    "check the address on your account and confirm it (a coordinator asks another "
    "coordinator or the deployment operator); then come back here and ask for the link."
)


def enrollment_address_unconfirmed(user) -> bool:
    """Whether set-up links are held back from the account: it reads case content
    (``permissions.account_reads_cases``) and its address is not confirmed
    (``User.email_confirmed_at`` empty: district IT, a roster import or a sign-on provider
    chose it, or a role that reads cases was given without anyone confirming it). Otherwise
    whoever chose the address, and can reset the password, could set up the account's
    authenticator and read its cases."""
    return account_reads_cases(user) and user.email_confirmed_at is None


# --- Devices ---------------------------------------------------------------------------------


def user_has_authenticator(user) -> bool:
    """Whether the user has a confirmed authenticator app."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_device_pending(*, user) -> TOTPDevice:
    """Returns the user's unconfirmed authenticator, creating it the first time."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


@transaction.atomic
def recovery_codes_create(*, user, count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Replaces the user's recovery codes with a new set and returns it (to show once)."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _number in range(count)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_unused(*, user) -> list[str]:
    """Returns the recovery codes not used yet."""
    return list(
        StaticToken.objects.filter(device__user=user, device__name=RECOVERY_NAME).values_list(
            "token", flat=True
        )
    )


# --- E-mails to the account ------------------------------------------------------------------

CHANGE_TEXTS = {
    "password": "The password of your account was set or changed.",  # nosec B105 (a notice)
    "authenticator_enrolled": "An authenticator app was set up for your account.",
    "second_factor_removed": (
        "The authenticator app and recovery codes of your account were removed by your "
        "district's IT team, so that you can set up a new one."
    ),
    "recovery_codes": "A new set of recovery codes was made for your account; the old ones "
    "no longer work.",
    "case_access_given": (
        "Your account was given a role that reads case records. The authenticator app and "
        "recovery codes it had were removed and its sessions ended, so that only you can "
        "set up its second factor: sign in with your password and ask for a set-up link, "
        "which is sent to this address."
    ),
    # The same, when nobody who may vouch for the address confirmed it with the grant
    # (``enrollment_address_unconfirmed``): no link goes to it until someone does.
    "case_access_given_unconfirmed": (
        "Your account was given a role that reads case records. The authenticator app and "
        "recovery codes it had were removed and its sessions ended, so that only you can "
        "set up its second factor. No set-up link can be sent yet: nobody who may has "
        "confirmed that this address is yours. Ask your district's Title IX coordinator to "
        "check the address on your account and confirm it; then sign in with your password "
        "and ask for a set-up link."
    ),
}


# The changes after which the owner has something to do (set up a new authenticator, or
# first have the address confirmed): their e-mail does not end "there is nothing to do".
CHANGES_ASKING_THE_OWNER = frozenset(
    {"second_factor_removed", "case_access_given", "case_access_given_unconfirmed"}
)


def account_email_change_notify(*, user, old_email: str, actor=None) -> bool:
    """E-mails the account's former address (``old_email``) that its address changed, after
    the transaction commits: the new address, when, and who changed it (``actor``; None from
    a shell or the command line). Whoever controlled the new address could receive the
    account's set-up links, so the owner must hear of it where they still read their mail.
    Returns False when there was no former address. Holds no secret."""
    return account_email_changes_notify(changes=[(user, old_email)], actor=actor) == 1


def account_email_changes_notify(*, changes: list[tuple[User, str]], actor=None) -> int:
    """``account_email_change_notify`` for many accounts at once (``changes``: pairs of the
    account, holding its new address, and its former address), as a roster import changes
    them: the e-mails go out after the transaction commits, over one connection to the mail
    server (one connection per e-mail before). Returns how many e-mails it sends; an account
    without a former address gets none."""
    when = timezone.localtime().strftime("%b %d, %Y at %H:%M %Z")
    by = actor.get_username() if getattr(actor, "pk", None) else "the server's command line"
    messages = [
        EmailMessage(
            "Your NCII case manager account changed",
            f"Hello {user.get_username()},\n\nThe e-mail address of your account was changed "
            f"from this address to {user.email or '(none)'} by {by} ({when}). E-mail for the "
            "account, its set-up links included, now goes to the new address.\n\n"
            "If you expected this, there is nothing to do. If you did not, tell your "
            "district's Title IX coordinator or IT team at once: someone else may be trying "
            "to use your account.\n",
            settings.DEFAULT_FROM_EMAIL,
            [old_email],
        )
        for user, old_email in changes
        if old_email
    ]
    if messages:
        _messages_send_after_commit(messages)
    return len(messages)


def _messages_send_after_commit(messages: list[EmailMessage]) -> None:
    """Sends the e-mails over one connection once the transaction commits; a mail server
    that is down or refuses them is logged and never undoes the change."""

    def send():
        try:
            get_connection().send_messages(messages)
        except Exception:  # a mail server that is down must not undo the change
            logger.exception(
                "Could not send the account e-mail %r (%d in all)",
                messages[0].subject,
                len(messages),
            )

    transaction.on_commit(send)


def _send_after_commit(subject: str, body: str, recipient: str) -> None:
    _messages_send_after_commit(
        [EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])]
    )


def account_change_notify(*, user, change: str) -> bool:
    """E-mails the account that its password or second factor changed (``change``: a key of
    ``CHANGE_TEXTS``), after the transaction commits. The e-mail holds no secret, only what
    changed, when, and whom to tell if it was not expected. Returns False when the account has
    no e-mail address."""
    if not user.email:
        return False
    when = timezone.localtime().strftime("%b %d, %Y at %H:%M %Z")
    closing = (
        "If you did not expect this"
        if change in CHANGES_ASKING_THE_OWNER
        else "If you expected this, there is nothing to do. If you did not"
    )
    _send_after_commit(
        "Your NCII case manager account changed",
        f"Hello {user.get_username()},\n\n{CHANGE_TEXTS[change]} ({when})\n\n"
        f"{closing}, tell your district's Title IX coordinator or IT team at once: someone "
        "else may be trying to use your account.\n",
        user.email,
    )
    return True


# --- Enrollment links ------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def enrollment_link_recently_sent(*, user) -> bool:
    """Whether a link was sent to the user less than ``ENROLLMENT_LINK_RESEND_SECONDS`` ago
    (a person asking again is told to check their e-mail instead)."""
    since = timezone.now() - dt.timedelta(seconds=settings.ENROLLMENT_LINK_RESEND_SECONDS)
    # A revoked link does not count: it went to a former address, or before the account's
    # second factor was removed (the owner has no usable link to look for).
    return EnrollmentLink.objects.filter(
        user=user, created_at__gt=since, revoked_at__isnull=True, used_at__isnull=True
    ).exists()


def enrollment_link_no_email_text(user) -> str:
    """Why no set-up link can go to an account without an address, and whom to ask: its
    Title IX coordinator for an account that reads cases (district IT may not choose that
    address), else district IT."""
    if account_reads_cases(user):
        return _(
            "This account has no e-mail address, so no set-up link can be sent. Ask your "
            "district's Title IX coordinator to add your e-mail address to your account."
        )
    return _(
        "This account has no e-mail address, so no set-up link can be sent. Ask your "
        "district IT team to add your e-mail address to your account."
    )


@transaction.atomic
def enrollment_link_create(
    *, user, actor, base_url: str, after_reset: bool = False
) -> EnrollmentLink:
    """Makes a one-time link for setting up an authenticator and e-mails it to the account's
    own address after the transaction commits; earlier unused links of the account stop
    working. The link expires ``ENROLLMENT_LINK_HOURS`` hours from now. ``base_url``: the
    site's address (scheme and host) the link starts with. ``after_reset``: the link follows
    a reset of the account's second factor (the e-mail says so) rather than the owner's own
    sign-in without an authenticator. Raises ValueError when the account
    has no e-mail address; EnrollmentAddressUnconfirmed (a ValueError) when the account
    reads cases and its address is not confirmed (``enrollment_address_unconfirmed``)."""
    if not user.email:
        raise ValueError(enrollment_link_no_email_text(user))
    if enrollment_address_unconfirmed(user):
        raise EnrollmentAddressUnconfirmed(_(UNCONFIRMED_ADDRESS))
    now = timezone.now()
    enrollment_links_revoke(user=user, now=now)
    token = secrets.token_urlsafe(32)
    link = EnrollmentLink.objects.create(
        user=user,
        token_hash=_token_hash(token),
        created_at=now,
        expires_at=now + dt.timedelta(hours=settings.ENROLLMENT_LINK_HOURS),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    url = base_url.rstrip("/") + reverse("login_enroll_link", args=[token])
    hours = settings.ENROLLMENT_LINK_HOURS
    if after_reset:
        why = (
            "Your second factor for the NCII case manager was reset, so you need to set up a "
            "new authenticator app before you can sign in again."
        )
        unexpected = (
            "If you did not expect this reset, tell your district's Title IX coordinator or IT "
            "team."
        )
    else:
        why = (
            "To finish signing in to the NCII case manager you need to set up an authenticator app."
        )
        unexpected = (
            "If you did not try to sign in, tell your district's Title IX coordinator or IT "
            "team: someone else may know your password."
        )
    _send_after_commit(
        "Set up your authenticator app for the NCII case manager",
        f"Hello {user.get_username()},\n\n"
        f"{why} Open this link, sign in with your password, and follow the steps:\n\n"
        f"{url}\n\n"
        f"The link works once and for {hours} hours. Do not forward it. {unexpected}\n",
        user.email,
    )
    return link


ASK_AGAIN = gettext_noop("Sign in with your password to have a new link sent to your e-mail.")


def enrollment_link_check(*, token: str) -> EnrollmentLink:
    """Returns the link for ``token`` if it can still be used; raises EnrollmentLinkInvalid
    (unknown, already used, replaced, expired) with a message that says what to do."""
    link = (
        EnrollmentLink.objects.select_related("user").filter(token_hash=_token_hash(token)).first()
    )
    if link is None:
        raise EnrollmentLinkInvalid(
            _("This set-up link is not valid. %(ask_again)s") % {"ask_again": _(ASK_AGAIN)}
        )
    error = enrollment_link_problem(link)
    if error:
        exc = EnrollmentLinkInvalid(error)
        exc.link = link
        raise exc
    return link


def enrollment_link_problem(link: EnrollmentLink) -> str:
    """Why the link cannot be used, in words for the person holding it, or "" if it can."""
    ask_again = _(ASK_AGAIN)
    if link.used_at is not None:
        return _("This set-up link was already used; each link works once. %(ask_again)s") % {
            "ask_again": ask_again
        }
    if link.revoked_at is not None:
        return _(
            "A newer set-up link replaced this one. Use the newest e-mail, or: %(ask_again)s"
        ) % {"ask_again": ask_again}
    if link.expires_at <= timezone.now():
        return _("This set-up link has expired (links work for %(hours)s hours). %(ask_again)s") % {
            "hours": settings.ENROLLMENT_LINK_HOURS,
            "ask_again": ask_again,
        }
    if not link.user.is_active:
        return _("This account is not active. Ask your district IT team.")
    if enrollment_address_unconfirmed(link.user):
        return _(UNCONFIRMED_ADDRESS)
    return ""


def enrollment_links_revoke(*, user, now=None) -> int:
    """Revokes the account's unused set-up links (a newer link replaces them, its second
    factor was removed, or its address changed: they went to the former address); returns
    how many. ``now``: the time to record (UTC), now by default."""
    return enrollment_links_revoke_many(user_ids=[user.pk], now=now)


def enrollment_links_revoke_many(*, user_ids, now=None) -> int:
    """``enrollment_links_revoke`` for many accounts (ids) in one query, for a roster import
    that moves their addresses in bulk (no save signal); returns how many links."""
    return EnrollmentLink.objects.filter(
        user_id__in=list(user_ids), used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now or timezone.now())


def totp_device_enroll(*, link_id: int, user, device: TOTPDevice, token: str) -> bool:
    """Confirms the pending authenticator with a code from the app, using up the enrollment
    link, in one transaction; returns False (nothing changed) when the code does not match.
    Raises EnrollmentLinkInvalid when the link is not the user's or can no longer be used (a
    second use of the same link included)."""
    with transaction.atomic():
        link = (
            EnrollmentLink.objects.select_for_update()
            .select_related("user")
            .filter(pk=link_id, user=user)
            .first()
        )
        if link is None:
            raise EnrollmentLinkInvalid("This set-up link is not for this account.")
        problem = enrollment_link_problem(link)
        if problem:
            raise EnrollmentLinkInvalid(problem)
        if device.user_id != user.pk or device.confirmed or not device.verify_token(token):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
        account_change_notify(user=user, change="authenticator_enrolled")
    return True


# --- Given access to case records ----------------------------------------------------------


def second_factor_reset_on_case_access(*, user, actor=None) -> bool:
    """Removes the second factor of an account that has just been given a role that reads
    case content (``permissions.account_reads_cases``, from a role that reads none: no role,
    district IT, the auditor), revokes its unused set-up links and ends its sessions; the
    owner is told by e-mail and sets up a new authenticator through a link sent to the
    account's address, which a coordinator sees (and confirms) when giving the role; when
    nobody confirmed it (``enrollment_address_unconfirmed``), the e-mail says whom to ask
    first instead of promising a link. Why: district IT,
    which resets passwords and changes the addresses of accounts that read no case, could
    otherwise set up an authenticator on an account it makes, have a coordinator give it
    the investigator role, and sign in as an investigator. ``actor``: who gave the role (None
    from a shell), logged in the account's district's access log with "Second factor
    removed". Returns True when there was an authenticator, recovery codes or a session to
    end (an account that had none is neither e-mailed nor logged)."""
    from django.contrib.auth.models import AnonymousUser

    from ..audit import access_event_record
    from .accounts import user_sessions_end

    # All or nothing (a shell's save runs this after its own commit). A sign-in checking a
    # code at this moment cannot write the removed authenticator back: django-otp's
    # ``match_token`` locks the device rows it checks (``for_verify``), so it waits for the
    # removal to commit and then finds none.
    with transaction.atomic():
        had_factor = _factors_delete(user=user)
        ended = user_sessions_end(user=user)
        if not (had_factor or ended):
            return False
        account_change_notify(
            user=user,
            change=(
                "case_access_given_unconfirmed"
                if enrollment_address_unconfirmed(user)
                else "case_access_given"
            ),
        )
        access_event_record(
            user=actor if getattr(actor, "pk", None) else AnonymousUser(),
            action="second_factor_removed",
            path=reverse("admin:ncii_cases_user_change", args=[user.pk]),
            method="POST",
            allowed=True,
            district_id=user.district_id,
        )
    return True


# --- Removing a second factor (two-person rule for coordinators and superusers) --------------


def reset_needs_second_person(user) -> bool:
    """Whether removing the account's second factor waits for a second person: the account
    is a coordinator (who reads every case of the district) or a superuser."""
    return second_factor_reset_needs_second_person(user)


def reset_may_approve(*, actor, reset: SecondFactorReset) -> bool:
    """Whether ``actor`` may approve the pending reset: a coordinator of the account's district
    or a superuser (the deployment operator), who is neither the requester nor the account.
    A superuser's reset is approved by another superuser only."""
    if reset.status != SecondFactorReset.Status.PENDING or not actor.is_active:
        return False
    if actor.pk in (reset.user_id, reset.requested_by_id):
        return False
    return second_factor_reset_may_approve(actor, reset.user)


def second_factor_resets_for_user(*, user) -> dict[str, list[SecondFactorReset]]:
    """The pending resets the user may approve (``to_approve``) and those the user asked for
    (``requested``), newest first."""
    pending = SecondFactorReset.objects.filter(status=SecondFactorReset.Status.PENDING)
    pending = pending.select_related("user", "requested_by")
    if not user.is_superuser:
        pending = pending.filter(user__district_id=user.district_id)
    return {
        "to_approve": [r for r in pending if reset_may_approve(actor=user, reset=r)],
        "requested": list(
            SecondFactorReset.objects.filter(requested_by=user).select_related("user")[:20]
        ),
    }


def _factors_delete(*, user) -> bool:
    """Deletes the account's authenticators and recovery codes (confirmed or not) and revokes
    its unused set-up links; returns whether it had an authenticator or recovery codes."""
    deleted = TOTPDevice.objects.filter(user=user).delete()[0]
    deleted += StaticDevice.objects.filter(user=user).delete()[0]
    enrollment_links_revoke(user=user)
    return deleted > 0


def _second_factor_remove(*, user) -> None:
    """Removes the account's second factor (authenticators, recovery codes, unused set-up
    links), ends its sessions and tells it by e-mail. The sessions end too: a factor is
    reset because a phone was lost or taken, and a session signed in with it (a thief's)
    would otherwise stay signed in, sent to set up a new authenticator."""
    from .accounts import user_sessions_end

    _factors_delete(user=user)
    user_sessions_end(user=user)
    account_change_notify(user=user, change="second_factor_removed")


def _approvers_emails(reset: SecondFactorReset) -> list[str]:
    users = User.objects.filter(is_active=True).exclude(email="")
    users = users.exclude(pk__in=[reset.user_id, reset.requested_by_id])
    if reset.user.is_superuser:
        candidates = users.filter(is_superuser=True)
    else:
        candidates = users.filter(district_id=reset.user.district_id) | users.filter(
            is_superuser=True, district__isnull=True
        )
    return sorted(
        {u.email for u in candidates if u.is_superuser or reset_may_approve(actor=u, reset=reset)}
    )


@transaction.atomic
def second_factor_reset_request(
    *, actor, user, reason: str = "", base_url: str, record
) -> SecondFactorReset:
    """Asks to remove the account's authenticator and recovery codes so that it can set up a
    new one. For most accounts the removal happens at once: the account is told by e-mail and
    sent a new enrollment link. For a coordinator or a superuser the request waits for a
    second person (``second_factor_reset_approve``), who is told by e-mail; nothing changes
    until then. ``record(action, allowed, district_id)`` writes the access-log entry in the
    same transaction. Raises ValueError when a request for the account is already waiting."""
    if SecondFactorReset.objects.filter(
        user=user, status=SecondFactorReset.Status.PENDING
    ).exists():
        raise ValueError(
            f"A reset of {user.get_username()}'s second factor is already waiting for approval."
        )
    now = timezone.now()
    reset = SecondFactorReset.objects.create(
        user=user, requested_by=actor, requested_at=now, reason=reason[:300]
    )
    if reset_needs_second_person(user):
        record("second_factor_reset_requested", True, user.district_id)
        recipients = _approvers_emails(reset)
        url = base_url.rstrip("/") + reverse("second_factor_resets")
        for email in recipients:
            _send_after_commit(
                "A second-factor reset is waiting for your approval",
                f"{actor.get_username()} asked to remove the authenticator app of the account "
                f"{user.get_username()}, so that it can be set up again. A second person must "
                f"approve this before anything changes. Review it here:\n\n{url}\n\n"
                "Approve only if you have confirmed with the account's owner, in person or by "
                "phone, that they asked for it.\n",
                email,
            )
        return reset
    _reset_carry_out(reset=reset, actor=actor, base_url=base_url, record=record, now=now)
    return reset


def _reset_carry_out(*, reset, actor, base_url, record, now) -> None:
    _second_factor_remove(user=reset.user)
    reset.status = SecondFactorReset.Status.APPROVED
    reset.decided_by = actor
    reset.decided_at = now
    reset.save(update_fields=["status", "decided_by", "decided_at"])
    record("second_factor_removed", True, reset.user.district_id)
    # (an address nobody confirmed gets no link: the owner asks a coordinator to confirm it,
    # then asks for a link when signing in)
    if reset.user.email and not enrollment_address_unconfirmed(reset.user):
        enrollment_link_create(user=reset.user, actor=actor, base_url=base_url, after_reset=True)


def second_factor_reset_approve(
    *, actor, reset_id: int, base_url: str, record
) -> SecondFactorReset:
    """Approves a waiting reset and carries it out in one transaction: the account's second
    factor is removed, the account is told and sent a new enrollment link (none while its
    address awaits a coordinator's confirmation: ``enrollment_address_unconfirmed``), and
    returns the reset. Raises
    PermissionDenied when the actor may not approve it (see ``reset_may_approve``), including
    a reset no longer waiting; the refusal is recorded too."""
    district_id = None
    with transaction.atomic():
        reset = (
            SecondFactorReset.objects.select_for_update()
            .select_related("user", "requested_by")
            .filter(pk=reset_id)
            .first()
        )
        if reset is not None:
            district_id = reset.user.district_id
            if reset_may_approve(actor=actor, reset=reset):
                record("second_factor_reset_approved", True, district_id)
                _reset_carry_out(
                    reset=reset, actor=actor, base_url=base_url, record=record, now=timezone.now()
                )
                return reset
    record("second_factor_reset_approved", False, district_id)
    raise PermissionDenied("You cannot approve this reset.")


def second_factor_reset_cancel(*, actor, reset_id: int, record) -> None:
    """Cancels a waiting reset (by its requester or by someone who may approve it); nothing
    else changes. Raises PermissionDenied otherwise (the refusal is recorded too)."""
    district_id = None
    with transaction.atomic():
        reset = (
            SecondFactorReset.objects.select_for_update()
            .select_related("user")
            .filter(pk=reset_id, status=SecondFactorReset.Status.PENDING)
            .first()
        )
        if reset is not None:
            district_id = reset.user.district_id
            if reset.requested_by_id == actor.pk or reset_may_approve(actor=actor, reset=reset):
                reset.status = SecondFactorReset.Status.CANCELLED
                reset.decided_by = actor
                reset.decided_at = timezone.now()
                reset.save(update_fields=["status", "decided_by", "decided_at"])
                record("second_factor_reset_cancelled", True, district_id)
                return
    record("second_factor_reset_cancelled", False, district_id)
    raise PermissionDenied("You cannot cancel this reset.")
