"""The broker (Redis) is down while people request and approve measures: what they did is
saved, they are told plainly, a second click makes nothing twice, and the periodic scan
carries the work out once the queue is back."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from apps.actions import tasks
from apps.actions.models import Action
from tests.actions.test_pages import FREEZE_FORM, client_for
from tests.actions.workers import celery_on_redis

# Nothing listens there: every publish is refused.
DEAD_BROKER = "redis://127.0.0.1:1/9"
QUEUE_DOWN = "saved; the exchange call will run when the queue is back"

pytestmark = pytest.mark.django_db(transaction=True)


def told(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_an_approval_with_the_queue_down_is_saved_and_said_so_then_run_by_the_scan(
    operator, supervisor, account
) -> None:
    key = str(uuid.uuid4())
    with celery_on_redis(DEAD_BROKER):
        requested = client_for(operator).post(
            reverse("actions:new"), FREEZE_FORM | {"request_key": key}
        )
        assert requested.status_code == 302
        freeze = Action.objects.get()
        approved = client_for(supervisor).post(
            reverse("actions:approve", args=[freeze.pk]), {"confirmed": "yes"}
        )
        assert approved.status_code == 302
        assert any(QUEUE_DOWN in text for text in told(approved))
        again = client_for(operator).post(
            reverse("actions:new"), FREEZE_FORM | {"request_key": key}
        )
        assert again.status_code == 302
    freeze.refresh_from_db()
    assert Action.objects.count() == 1
    assert freeze.status == Action.Status.APPROVED and freeze.queued_at is None
    # The queue is back (here: in-process). The scan finds the approved freeze in the database.
    Action.objects.filter(pk=freeze.pk).update(decided_at=timezone.now() - timedelta(minutes=1))
    tasks.run_action_timers()
    freeze.refresh_from_db()
    assert freeze.status == Action.Status.EXECUTED


def test_a_request_sent_twice_with_the_queue_down_makes_one_action(operator, account) -> None:
    form = FREEZE_FORM | {"measure": "trading_ban", "request_key": str(uuid.uuid4())}
    with celery_on_redis(DEAD_BROKER):
        first = client_for(operator).post(reverse("actions:new"), form)
        assert first.status_code == 302
        assert any(QUEUE_DOWN in text for text in told(first))
        second = client_for(operator).post(reverse("actions:new"), form)
    (ban,) = Action.objects.all()
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert any("already" in text for text in told(second))
    assert ban.status == Action.Status.APPROVED
    Action.objects.filter(pk=ban.pk).update(requested_at=timezone.now() - timedelta(minutes=1))
    tasks.run_action_timers()
    ban.refresh_from_db()
    assert ban.status == Action.Status.EXECUTED


def test_the_request_form_carries_a_fresh_key_each_time(operator) -> None:
    client = client_for(operator)
    pages = [client.get(reverse("actions:new")).content.decode() for _ in range(2)]
    keys = [page.split('name="request_key" value="')[1][:36] for page in pages]
    assert keys[0] != keys[1] and all(uuid.UUID(key) for key in keys)
