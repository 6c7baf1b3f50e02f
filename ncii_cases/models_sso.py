"""Single sign-on over OpenID Connect: a district's providers, the link of an account to a
provider's stable subject, and the "device" that stands for a provider's own multi-factor
sign-in when the district trusts it (docs/sso.md).

Imported at the end of ``models``; the sign-in flow is in ``ncii_cases.sso`` and
``ncii_cases.sso_views``, the account rules in ``ncii_cases.services.sso``.
"""

import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device
from simple_history.models import HistoricalRecords

from .history_chain import AuditedHistoryModel

DOMAIN_HELP = _(
    "The e-mail domains of the district's staff, separated by commas, for example "
    "district.example.org, staff.district.example.org. Nobody else can sign in with this "
    "provider."
)


def domains_parse(value: str) -> list[str]:
    """The domains of a comma- or space-separated list, lower-cased, without "@" or empties."""
    parts = value.replace(",", " ").split()
    return sorted({p.strip().lstrip("@").lower() for p in parts if p.strip().lstrip("@")})


class SsoProvider(models.Model):
    """One OpenID Connect provider of a district (a Google Workspace domain, a Microsoft Entra
    tenant, or another provider). The client secret is written here or named by an environment
    variable; it is never shown back (``ncii_cases.admin.SsoProviderAdmin``)."""

    class Kind(models.TextChoices):
        GOOGLE = "google", _("Google Workspace")
        ENTRA = "entra", _("Microsoft Entra ID")
        OTHER = "other", _("Another OpenID Connect provider")

    district = models.ForeignKey(
        "ncii_cases.District", on_delete=models.PROTECT, related_name="sso_providers"
    )
    name = models.CharField(
        max_length=100,
        help_text=_(
            "What the sign-in button says after 'Sign in with', e.g. 'Springfield Google account'."
        ),
    )
    slug = models.SlugField(unique=True, help_text=_("A short name used in the sign-in address."))
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OTHER)
    issuer = models.URLField(
        max_length=300,
        help_text=_(
            "The provider's issuer: https://accounts.google.com for Google; "
            "https://login.microsoftonline.com/<tenant id>/v2.0 for Microsoft Entra ID."
        ),
    )
    client_id = models.CharField(max_length=300)
    client_secret = models.CharField(
        max_length=500,
        blank=True,
        help_text=_("Leave empty to keep the secret saved before. It is never shown again."),
    )
    client_secret_env = models.CharField(
        _("client secret from environment variable"),
        max_length=100,
        blank=True,
        help_text=_(
            "Name of an environment variable holding the secret, instead of saving it "
            "here (for example SSO_SPRINGFIELD_SECRET)."
        ),
    )
    allowed_domains = models.CharField(max_length=500, help_text=DOMAIN_HELP)
    scopes = models.CharField(max_length=200, default="openid email profile")
    enabled = models.BooleanField(default=True)
    create_accounts = models.BooleanField(
        _("create accounts on first sign-in"),
        default=False,
        help_text=_(
            "A person of the district's domains without an account gets one on first "
            "sign-in, with no role (no access to any case) until a coordinator gives one."
        ),
    )
    link_by_email = models.BooleanField(
        _("link existing accounts by verified e-mail"),
        default=False,
        help_text=_(
            "The first sign-in of a person with an existing account (same district, same "
            "e-mail address, confirmed by the provider) links the two. Afterwards the provider's "
            "stable identifier is used, never the e-mail address."
        ),
    )
    trust_provider_mfa = models.BooleanField(
        _("trust the provider's multi-factor sign-in"),
        default=False,
        help_text=_(
            "When the provider says the person used a second factor (the 'amr' claim), "
            "this application does not ask for its own code. Google does not say so: leave this "
            "off for Google."
        ),
    )

    history = HistoricalRecords(excluded_fields=["client_secret"], bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["district", "name"]
        verbose_name = "single sign-on provider"

    def __str__(self):
        return self.name

    def clean(self):
        if self.slug == "callback":
            raise ValidationError({"slug": "Choose another short name: this one is reserved."})
        if not domains_parse(self.allowed_domains):
            raise ValidationError({"allowed_domains": "Enter at least one e-mail domain."})
        issuer = self.issuer or ""
        if not issuer.startswith("https://") and not settings.SSO_ALLOW_HTTP_ISSUERS:
            raise ValidationError({"issuer": "The issuer must be an https:// address."})
        if self.client_secret_env and self.client_secret_env not in os.environ:
            problem = (
                "No such environment variable is set for the application. Set it and restart, "
                "or enter the secret instead."
            )
            raise ValidationError({"client_secret_env": problem})

    @property
    def domains(self) -> list[str]:
        return domains_parse(self.allowed_domains)

    def secret(self) -> str:
        """The client secret: from the environment variable when one is named."""
        if self.client_secret_env:
            return os.environ.get(self.client_secret_env, "")
        return self.client_secret


class SsoIdentity(models.Model):
    """An account's link to a provider's person: the issuer and the stable subject (``sub``)
    of its ID tokens. Sign-ins are matched by this pair, never by e-mail address."""

    provider = models.ForeignKey(SsoProvider, on_delete=models.PROTECT, related_name="identities")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities"
    )
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    email = models.CharField(
        max_length=254, blank=True, help_text=_("The e-mail address at the last sign-in.")
    )
    how_linked = models.CharField(
        max_length=20,
        choices=[
            ("created", _("Account created on first sign-in")),
            ("email", _("Linked by verified e-mail")),
        ],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "single sign-on link"
        verbose_name_plural = "single sign-on links"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="uniq_sso_subject"),
            models.UniqueConstraint(fields=["provider", "user"], name="uniq_sso_provider_user"),
        ]

    def __str__(self):
        return f"{self.user} — {self.provider}"


class SsoSignInDevice(Device):
    """Stands for the provider's own multi-factor sign-in, for a district that trusts it: the
    session of such a sign-in is verified by this device (django-otp), so every check of the
    second factor keeps working unchanged. It verifies no typed code."""

    provider = models.ForeignKey(SsoProvider, on_delete=models.CASCADE, related_name="+")

    class Meta(Device.Meta):
        verbose_name = "provider multi-factor sign-in"
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="uniq_sso_device"),
        ]

    def verify_token(self, token):
        return False
