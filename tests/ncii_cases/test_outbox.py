"""Notifications go through a transactional outbox: a workflow step saves its outbox row with
its event, publishes after the commit when the broker answers, and otherwise answers at once
with "notifications delayed" and leaves the row for the beat relay; nothing is lost."""

import time

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from config.celery import app as celery_app
from ncii_cases import choices as c
from ncii_cases.case_views import NOTIFICATIONS_DELAYED
from ncii_cases.events import EventType
from ncii_cases.models import Case, NotificationOutbox
from ncii_cases.tasks import notifications_relay
from tests.access.helpers import login_verified
from tests.recorded import Event, records
from tests.reporting.conftest import celery_connections_reset


class Broker:
    """Celery publishing for real to a port where nothing listens, until ``back()``."""

    def __init__(self, settings):
        self.settings = settings
        self.saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)

    def down(self):
        celery_app.conf.task_always_eager = False
        celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
        self.settings.CELERY_TASK_ALWAYS_EAGER = False
        celery_connections_reset()

    def back(self):
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = self.saved
        self.settings.CELERY_TASK_ALWAYS_EAGER = True
        celery_connections_reset()


@pytest.fixture
def broker(settings):
    state = Broker(settings)
    yield state
    state.back()


def transition(client, case, *events, queries):
    url = reverse("ncii_cases:case_transition", args=[case.pk, "begin_assessment"])
    began = time.monotonic()
    with records(*events, queries=queries):
        response = client.post(url)
    return response, time.monotonic() - began


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_a_step_is_saved_says_delayed_and_is_delivered_later(
    client, case, coordinator, broker
):
    login_verified(client, coordinator)
    broker.down()
    # When a step is taken while the broker does not answer
    response, took = transition(
        client, case, Event(EventType.TRANSITION, coordinator, {"action"}), queries=34
    )
    # Then the change is saved and the page redirects at once, saying notifications are late
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert took < 10
    assert Case.objects.get(pk=case.pk).stage == c.Stage.INITIAL_ASSESSMENT
    assert NOTIFICATIONS_DELAYED in [str(m) for m in get_messages(response.wsgi_request)]
    row = NotificationOutbox.objects.get()
    assert (row.relayed_at, row.attempts, row.task) == (
        None,
        1,
        "ncii_cases.tasks.transition_notify",
    )
    assert mail.outbox == []
    # And the beat relay, once the broker is back, delivers it exactly once
    assert notifications_relay() == 0  # still down: nothing published, nothing lost
    broker.back()
    assert notifications_relay() == 1
    assert notifications_relay() == 0
    assert len(mail.outbox) == 1 and case.reference in mail.outbox[0].subject
    assert NotificationOutbox.objects.get().relayed_at is not None


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_up_a_step_notifies_at_once_without_a_warning(client, case, coordinator):
    login_verified(client, coordinator)
    response, _ = transition(
        client,
        case,
        Event(EventType.TRANSITION, coordinator, {"action"}),
        # sent at once: the broker runs the task in the request's commit
        Event(EventType.NOTIFICATION_SENT, None, {"about", "about_event_id", "recipients"}),
        queries=42,
    )
    assert response.status_code == 302
    assert NOTIFICATIONS_DELAYED not in [str(m) for m in get_messages(response.wsgi_request)]
    assert NotificationOutbox.objects.get().relayed_at is not None
    assert len(mail.outbox) == 1


def test_the_relay_runs_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-relay"]
    assert entry["task"] == "ncii_cases.tasks.notifications_relay"
    assert entry["schedule"] <= 60


def test_the_stage_email_gives_the_due_time_in_the_districts_zone(case, coordinator):
    import zoneinfo

    from ncii_cases.workflow import case_transition

    case.district.time_zone = "America/Los_Angeles"
    case.district.save()
    moved = case_transition(actor=coordinator, case=case, action="begin_assessment")
    from ncii_cases.tasks import transition_notify

    event = moved.events.filter(to_stage=c.Stage.INITIAL_ASSESSMENT).get()
    mail.outbox.clear()
    assert transition_notify(event.pk) == 1
    local = moved.stage_due_at.astimezone(zoneinfo.ZoneInfo("America/Los_Angeles"))
    assert f"{local.hour % 12 or 12}:00 {local:%p} {local.tzname()}" in mail.outbox[0].body
    assert " left." in mail.outbox[0].body
