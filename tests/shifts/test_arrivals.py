"""A flood of small stream batches: each batch notes its alerts for routing, and at most one
routing message (and one case-attach message) waits in the timers queue, not two per batch;
one run routes them all."""

from datetime import timedelta
from typing import Any

import pytest
import redis

from apps.alerts.models import Alert
from apps.alerts.signals import alerts_arrived
from apps.shifts import tasks
from tests.actions.workers import celery_on_redis
from tests.alerts.payloads import stored_alert
from tests.shifts.helpers import make_shift, now

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


def _flags(client: redis.Redis) -> list[bytes]:
    found: Any = client.keys("riskdesk:waiting:*")
    return list(found)


def test_a_hundred_batches_leave_one_routing_message_and_one_run_routes_them_all(
    settings, redis_url, operator, supervisor
) -> None:
    make_shift(starts_at=now() - timedelta(hours=1), operators=[operator], supervisor=supervisor)
    alerts = [stored_alert(n) for n in range(100)]  # stored in-process, before the broker
    Alert.objects.update(offered_to=None, offered_at=None)
    client = redis.Redis.from_url(redis_url)
    client.delete("timers", tasks.ARRIVALS, *_flags(client))
    settings.REDIS_URL = redis_url
    with celery_on_redis(redis_url):
        for alert in alerts:  # what a hundred one-alert stream batches send on commit
            alerts_arrived.send(sender=Alert, alert_ids=[alert.pk])
    assert client.llen("timers") == 2  # route_arrivals and attach_new_alerts, once each
    assert client.scard(tasks.ARRIVALS) == 100

    assert tasks.route_arrivals() == 100  # the one run, as the timers worker would
    assert not Alert.objects.filter(offered_to__isnull=True).exists()
    assert client.scard(tasks.ARRIVALS) == 0
    # Its run cleared its flag: the next arrival sends a message again.
    assert _flags(client) == [b"riskdesk:waiting:apps.cases.tasks.attach_new_alerts"]
    client.delete("timers", *_flags(client))
