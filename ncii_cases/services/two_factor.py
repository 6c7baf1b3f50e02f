"""Two-factor devices: a TOTP authenticator per user and a set of one-time recovery codes.

A user has at most one pending (unconfirmed) authenticator while enrolling, and one recovery
device whose codes are replaced as a set.
"""

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 5


def user_has_authenticator(user) -> bool:
    """Whether the user has a confirmed authenticator app."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_device_pending(*, user) -> TOTPDevice:
    """Returns the user's unconfirmed authenticator, creating it the first time."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, token: str) -> bool:
    """Confirms the authenticator if the code matches; returns whether it did."""
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True


@transaction.atomic
def recovery_codes_create(*, user, count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Replaces the user's recovery codes with a new set and returns it (to show once)."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(count)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_unused(*, user) -> list[str]:
    """Returns the recovery codes not used yet."""
    return list(
        StaticToken.objects.filter(device__user=user, device__name=RECOVERY_NAME).values_list(
            "token", flat=True
        )
    )
