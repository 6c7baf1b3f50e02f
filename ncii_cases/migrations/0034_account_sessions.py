"""Sessions move to ``AccountSession`` (Django's database session plus the signed-in
account's id; ``SESSION_ENGINE = "ncii_cases.session_store"``). The sessions that have not
expired are copied over with their account's id, so nobody is signed out by the upgrade; a
session that cannot be decoded (another SECRET_KEY) is left behind, as Django would ignore
it. Going back leaves ``django_session`` as the upgrade found it."""

from django.contrib.auth import SESSION_KEY
from django.db import migrations, models
from django.utils import timezone


def sessions_copy(apps, schema_editor):
    from django.contrib.sessions.backends.db import SessionStore

    old = apps.get_model("sessions", "Session")
    new = apps.get_model("ncii_cases", "AccountSession")
    decoder = SessionStore()
    rows = []
    for session in old.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=2000):
        data = decoder.decode(session.session_data)
        if not data:
            continue  # not readable with this installation's key: Django would ignore it
        try:
            account_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            account_id = None
        rows.append(
            new(
                session_key=session.session_key,
                session_data=session.session_data,
                expire_date=session.expire_date,
                account_id=account_id,
            )
        )
        if len(rows) >= 2000:
            new.objects.bulk_create(rows, ignore_conflicts=True)
            rows.clear()
    new.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("ncii_cases", "0033_user_email_confirmed"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccountSession",
            fields=[
                (
                    "session_key",
                    models.CharField(
                        max_length=40, primary_key=True, serialize=False, verbose_name="session key"
                    ),
                ),
                ("session_data", models.TextField(verbose_name="session data")),
                ("expire_date", models.DateTimeField(db_index=True, verbose_name="expire date")),
                ("account_id", models.BigIntegerField(db_index=True, null=True)),
            ],
            options={
                "verbose_name": "session",
                "verbose_name_plural": "sessions",
                "db_table": "ncii_cases_accountsession",
                "abstract": False,
            },
        ),
        migrations.RunPython(sessions_copy, migrations.RunPython.noop),
    ]
