"""One meaning of "SLA breached", everywhere: an alert breaches its SLA when nobody picked it
up — claimed or decided it — by its due time. A claim in time meets it for good; a late one
does not undo the breach."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.alerts import queue_selectors
from apps.alerts.models import Alert, sla_breached
from apps.alerts.services import alert_claim
from apps.cases.models import Escalation
from apps.cases.services import timers_scan
from apps.reports.shift_dashboard import read_shift
from tests.alerts.payloads import stored_alert

pytestmark = pytest.mark.django_db


def _at(alert: Alert, **moments) -> Alert:
    Alert.objects.filter(pk=alert.pk).update(**moments)
    alert.refresh_from_db()
    return alert


def _cast(operator) -> dict[str, Alert]:
    now = timezone.now()
    due_past = now - timedelta(minutes=5)
    cast = {
        "unclaimed, due": _at(stored_alert(1), sla_due_at=due_past),
        "unclaimed, not yet due": stored_alert(2),
        "claimed in time, still open": _at(stored_alert(3), sla_due_at=due_past),
        "claimed late": _at(stored_alert(4), sla_due_at=due_past),
    }
    for name, minutes in (("claimed in time, still open", -10), ("claimed late", +2)):
        alert = alert_claim(alert=cast[name], by=operator)
        cast[name] = _at(alert, claimed_at=due_past + timedelta(minutes=minutes))
    return cast


BREACHED = {"unclaimed, due", "claimed late"}


def test_an_alert_breaches_its_sla_only_when_nobody_picked_it_up_in_time(operator) -> None:
    cast = _cast(operator)
    assert {name for name, alert in cast.items() if alert.sla_breached()} == BREACHED
    in_sql = set(Alert.objects.filter(sla_breached(timezone.now())).values_list("pk", flat=True))
    assert in_sql == {cast[name].pk for name in BREACHED}


def test_the_queue_the_home_page_and_the_shift_dashboard_count_the_same_breaches(
    operator, supervisor
) -> None:
    _cast(operator)
    now = timezone.now()
    assert queue_selectors.breached_count(now) == len(BREACHED)
    assert queue_selectors.queue_summary(operator).breached == len(BREACHED)
    assert read_shift(now - timedelta(hours=1), now).open_breached == len(BREACHED)
    assert read_shift(now - timedelta(hours=1), now).sla_breached == len(BREACHED)


def test_the_timer_escalates_only_a_breached_alert_nobody_holds(operator, supervisor) -> None:
    cast = _cast(operator)
    timers_scan()
    assert set(Escalation.objects.values_list("alert_id", flat=True)) == {cast["unclaimed, due"].pk}
