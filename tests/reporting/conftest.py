import pytest

from config.celery import app as celery_app
from tests.reporting.s1 import s1_build


@pytest.fixture
def s1(school, coordinator, investigator, counselor):
    return s1_build(
        school=school, coordinator=coordinator, investigator=investigator, counselor=counselor
    )


def celery_connections_reset():
    """Drops Celery's references to its broker connections (without closing pools that kombu
    keeps in a process-wide registry), so that the next publish uses broker_url."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down(settings):
    """Celery publishing for real, to a port where nothing listens."""
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url)
    conf.task_always_eager = False
    conf.broker_url = "redis://127.0.0.1:1/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_connections_reset()
    yield
    conf.task_always_eager, conf.broker_url = saved
    celery_connections_reset()
