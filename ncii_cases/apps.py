from django.apps import AppConfig
from django.db.models.signals import post_migrate


def migrated_back(plan) -> bool:
    """True when ``migrate`` has just unapplied migrations (``post_migrate``'s ``plan`` holds a
    backwards step): the tables are then an older schema than today's models, which the
    ``post_migrate`` work here reads and writes, so it waits for the next migrate forward."""
    return any(backwards for _, backwards in plan or ())


def _sync_roles(sender, plan=None, **kwargs):
    from .roles import roles_sync

    if not migrated_back(plan):
        roles_sync()


def _case_triggers_ensure(sender, plan=None, **kwargs):
    from .case_triggers import post_migrate_ensure

    if not migrated_back(plan):
        post_migrate_ensure(sender, **kwargs)


class NciiCasesConfig(AppConfig):
    name = "ncii_cases"
    verbose_name = "NCII cases"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import checks  # noqa: F401  (registers the deployment checks)
        from .harm_rank import signals_connect as harm_rank_signals_connect
        from .middleware import session_remember_time_zone, session_stamp_login
        from .next_due import signals_connect
        from .roles import signals_connect as role_signals_connect
        from .services.accounts import accounts_signals_connect
        from .signin_events import signals_connect as signin_signals_connect

        post_migrate.connect(_sync_roles, sender=self)
        post_migrate.connect(_case_triggers_ensure, sender=self)
        role_signals_connect()
        user_logged_in.connect(session_stamp_login, dispatch_uid="ncii_session_stamp_login")
        user_logged_in.connect(
            session_remember_time_zone, dispatch_uid="ncii_session_remember_time_zone"
        )
        signals_connect()
        harm_rank_signals_connect()
        signin_signals_connect()
        accounts_signals_connect()
