"""The safety net for routing: alerts whose route_alerts message was lost are offered by a
periodic scan, not left unoffered for good."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from apps.alerts.ingest import Incoming, alerts_ingest
from apps.alerts.models import Alert, WayIn
from apps.notifications.models import Notification
from apps.shifts import tasks
from tests.alerts.payloads import alert_payload
from tests.shifts.helpers import make_shift, now

pytestmark = pytest.mark.django_db


def arrive_unrouted(count: int) -> list[Alert]:
    """Stored, but the commit's follow-up (route_alerts) never runs: the message is lost."""
    items = [Incoming.of(alert_payload(n)) for n in range(1, count + 1)]
    outcomes = alerts_ingest(items=items, way_in=WayIn.API)
    return list(Alert.objects.filter(pk__in=[o.alert_id for o in outcomes]))


def test_alerts_whose_routing_message_was_lost_are_offered_by_the_periodic_net(
    operator, supervisor
) -> None:
    make_shift(starts_at=now() - timedelta(hours=1), operators=[operator], supervisor=supervisor)
    alerts = arrive_unrouted(3)
    assert tasks.route_unoffered() == 0  # just arrived: the on-arrival message has its turn
    Alert.objects.update(first_seen=timezone.now() - timedelta(minutes=1))
    assert tasks.route_unoffered() == 3
    assert {a.offered_to for a in Alert.objects.filter(pk__in=[a.pk for a in alerts])} == {operator}
    assert tasks.route_unoffered() == 0


def test_with_nobody_on_duty_the_net_does_not_tell_supervisors_again_every_minute(
    supervisor,
) -> None:
    arrive_unrouted(2)
    Alert.objects.update(first_seen=timezone.now() - timedelta(minutes=1))
    assert tasks.route_unoffered() == 0
    assert not Notification.objects.exists()


def test_the_net_is_on_beat() -> None:
    tasks_on_beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "apps.shifts.tasks.route_unoffered" in tasks_on_beat
