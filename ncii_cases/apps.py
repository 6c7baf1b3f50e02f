from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs):
    from .roles import roles_sync

    roles_sync()


class NciiCasesConfig(AppConfig):
    name = "ncii_cases"
    verbose_name = "NCII cases"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import checks  # noqa: F401  (registers the deployment checks)
        from .case_triggers import post_migrate_ensure as case_triggers_post_migrate
        from .harm_rank import signals_connect as harm_rank_signals_connect
        from .middleware import session_remember_time_zone, session_stamp_login
        from .next_due import signals_connect
        from .roles import signals_connect as role_signals_connect
        from .services.accounts import accounts_signals_connect
        from .signin_events import signals_connect as signin_signals_connect

        post_migrate.connect(_sync_roles, sender=self)
        post_migrate.connect(case_triggers_post_migrate, sender=self)
        role_signals_connect()
        user_logged_in.connect(session_stamp_login, dispatch_uid="ncii_session_stamp_login")
        user_logged_in.connect(
            session_remember_time_zone, dispatch_uid="ncii_session_remember_time_zone"
        )
        signals_connect()
        harm_rank_signals_connect()
        signin_signals_connect()
        accounts_signals_connect()
