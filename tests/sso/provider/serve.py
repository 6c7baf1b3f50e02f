"""Starts the test provider: ``python -m tests.sso.provider.serve PORT`` (with
DJANGO_SETTINGS_MODULE=tests.sso.provider.settings and SSO_TEST_PROVIDER_CONFIG set).
Creates its database, its people and its client, then serves on 127.0.0.1:PORT."""

import os
import sys


def main(port: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.sso.provider.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from oauth2_provider.models import get_application_model

    call_command("migrate", verbosity=0)
    users = get_user_model()
    for username, person in settings.CONFIG["users"].items():
        user, _ = users.objects.get_or_create(username=username)
        user.set_password(person["password"])
        user.save()
    application = get_application_model()
    for client in settings.CONFIG["clients"]:
        application.objects.filter(client_id=client["client_id"]).delete()
        application.objects.create(
            name=client["client_id"],
            client_id=client["client_id"],
            client_secret=client["client_secret"],
            client_type=application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(client["redirect_uris"]),
            algorithm=application.RS256_ALGORITHM,
            skip_authorization=True,
        )
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, verbosity=0)


if __name__ == "__main__":
    main(sys.argv[1])
