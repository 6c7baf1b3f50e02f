"""The test provider's claims: each person's ID token carries the claims written for them in
the provider's configuration (e-mail, its verification, names, ``amr``, Google's ``hd``, and
for the hostile cases a ``sub`` or ``aud`` of the test's choosing)."""

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator


class ClaimsValidator(OAuth2Validator):
    # Every configured claim is given whatever the scopes (amr and hd belong to no scope).
    oidc_claim_scope = None

    def get_additional_claims(self, request):
        return dict(settings.CONFIG["users"][request.user.username]["claims"])
