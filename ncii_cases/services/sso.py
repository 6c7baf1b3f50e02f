"""Which account a single sign-on is, from the checked claims of an ID token
(``ncii_cases.sso``): the rules of docs/sso.md, in one place.

1. The person's e-mail domain must be one of the provider's (the district's) domains; for
   Google the ``hd`` claim (the Workspace domain) too, when the token has one.
2. An account is found by the provider's stable subject (``iss`` + ``sub``, ``SsoIdentity``),
   never by e-mail address alone: addresses are reassigned when staff leave, subjects are not.
3. No link yet: if the provider allows it and the provider says the address is verified
   (``email_verified``; ``xms_edov`` for Microsoft Entra ID), the one active account of the
   district with that address (never a superuser) is linked, once.
4. Still none: an account is created only if the provider allows it, as a staff reporter (it
   files reports and follows its own; no access to any case) with no usable password; other
   roles are given in the application.
5. The account must be active and of the provider's district.

Each outcome is returned for the access log; a refusal raises ``SsoRefused`` with the reason
(for the log) and a message for the person. Writes (the link, a new account, the time of the
last sign-in) happen in one transaction.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import choices as c
from ..models import SsoIdentity, SsoProvider, SsoSignInDevice, User

ASK_IT = gettext_lazy("If you think this is a mistake, ask your district IT team.")


class SsoRefused(Exception):
    """A sign-in the provider confirmed but this application refuses; ``reason`` is a short
    code for the access log, ``str(error)`` the message for the person, ``user`` the account
    when one was found."""

    def __init__(self, reason: str, message: str, user=None):
        super().__init__(message)
        self.reason = reason
        self.user = user


@dataclass(frozen=True)
class SsoAccount:
    """The account a sign-in is: ``how`` is "matched" (by subject), "linked" (first sign-in,
    by verified e-mail) or "created" (just-in-time)."""

    user: User
    identity: SsoIdentity
    how: str


def _email_of(claims: dict) -> str:
    return str(claims.get("email") or "").strip().lower()


def _email_verified(provider: SsoProvider, claims: dict) -> bool:
    verified = claims.get("email_verified")
    if provider.kind == SsoProvider.Kind.ENTRA:
        # Entra's optional claim: the e-mail's domain is owned by the tenant (docs/sso.md).
        verified = verified or claims.get("xms_edov")
    return verified is True or str(verified).lower() == "true"


def sso_domain_problem(provider: SsoProvider, claims: dict) -> str | None:
    """Why the claims are outside the provider's domains (a reason code), or None."""
    email = _email_of(claims)
    if "@" not in email:
        return "no_email"
    domains = provider.domains
    if email.rsplit("@", 1)[1] not in domains:
        return "domain"
    hosted = claims.get("hd")
    if provider.kind == SsoProvider.Kind.GOOGLE and (not hosted or hosted.lower() not in domains):
        return "domain"
    return None


def _username_for(email: str) -> str:
    return email[:150]


@transaction.atomic
def sso_account_for_claims(*, provider: SsoProvider, claims: dict) -> SsoAccount:
    """Returns the account of a checked ID token's claims (rules above), linking or creating
    it when the provider allows. Raises ``SsoRefused``."""
    if sso_domain_problem(provider, claims):
        raise SsoRefused(
            "domain",
            _("This account is not one of the district's. Sign in with your district account. ")
            + ASK_IT,
        )
    email = _email_of(claims)
    identity = (
        SsoIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=claims["iss"], subject=str(claims["sub"]))
        .first()
    )
    how = "matched"
    if identity is None:
        identity, how = _identity_new(provider=provider, claims=claims, email=email)
    user = identity.user
    if identity.provider_id != provider.pk or user.district_id != provider.district_id:
        raise SsoRefused("district", "This sign-in belongs to another district. " + ASK_IT, user)
    if not user.is_active:
        raise SsoRefused(
            "inactive",
            _("This account is switched off. Ask your district IT team to switch it on again."),
            user,
        )
    identity.email = email
    identity.last_sign_in_at = timezone.now()
    identity.save(update_fields=["email", "last_sign_in_at"])
    return SsoAccount(user=user, identity=identity, how=how)


def _identity_link(provider: SsoProvider, user, claims: dict, email: str, *, how: str):
    """Links ``user`` to the provider's person (the token's issuer and subject) and returns
    the new ``SsoIdentity``; ``how``: "email" (an account found by its address) or
    "created" (an account made at this sign-in)."""
    return SsoIdentity.objects.create(
        provider=provider,
        user=user,
        issuer=claims["iss"],
        subject=str(claims["sub"]),
        email=email,
        how_linked=how,
    )


def _identity_new(*, provider: SsoProvider, claims: dict, email: str):
    if provider.link_by_email and _email_verified(provider, claims):
        candidates = list(
            User.objects.filter(
                district_id=provider.district_id, email__iexact=email, is_superuser=False
            )[:2]
        )
        if len(candidates) == 1:
            user = candidates[0]
            if SsoIdentity.objects.filter(provider=provider, user=user).exists():
                # The account is linked to another person of this provider already.
                raise SsoRefused(
                    "linked_to_other",
                    _("This account is already linked to another sign-in. ") + ASK_IT,
                    user,
                )
            return _identity_link(provider, user, claims, email, how="email"), "linked"
    if not provider.create_accounts:
        raise SsoRefused(
            "unknown",
            _(
                "There is no account for you in this application yet. Ask your district IT team "
                "to create one."
            ),
        )
    if User.objects.filter(username__iexact=_username_for(email)).exists():
        raise SsoRefused(
            "username_taken",
            _("An account with your e-mail address as its username exists already. ") + ASK_IT,
        )
    try:
        with transaction.atomic():
            user = User(
                username=_username_for(email),
                email=email,
                first_name=str(claims.get("given_name") or "")[:150],
                last_name=str(claims.get("family_name") or "")[:150],
                district_id=provider.district_id,
                # Every employee may file a report (Title IX: any employee's knowledge is the
                # district's); nothing more until the district gives a role in the app.
                role=c.Role.STAFF_REPORTER,
            )
            user.set_unusable_password()
            user.save()
            identity = _identity_link(provider, user, claims, email, how="created")
    except IntegrityError as error:  # a second tab signing the same person in at once
        raise SsoRefused("race", "Sign-in was started twice. Please try again.") from error
    return identity, "created"


def sso_mfa_device(*, user: User, provider: SsoProvider) -> SsoSignInDevice:
    """The device that stands for this provider's multi-factor sign-in of ``user``."""
    device, _created = SsoSignInDevice.objects.get_or_create(
        user=user,
        provider=provider,
        defaults={"name": f"Multi-factor sign-in with {provider.name}"[:64], "confirmed": True},
    )
    return device


def password_sign_in_allowed(user) -> bool:
    """Whether ``user`` may sign in with a password: always a superuser (the deployment
    operator's break-glass account) and an account without a district; otherwise as its
    district says (``District.password_sign_in``)."""
    if user.is_superuser or user.district_id is None:
        return True
    return user.district.password_sign_in
