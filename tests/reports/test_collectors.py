"""A handover lists what the database holds open: built from a realistic desk state through
the apps' own services, then compared with plain queries."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.actions import services as actions
from apps.actions.measures import Measure, Scope
from apps.actions.models import Action, Restriction
from apps.actions.sandbox.exchange import order_fault
from apps.alerts import services as alerts
from apps.alerts.models import Alert
from apps.cases.models import OPEN_STATUSES, Case
from apps.cases.services import case_move, case_open
from apps.reports.collectors import LIMIT
from apps.shifts.services import handover_write
from tests.actions.conftest import request_one
from tests.alerts.payloads import overdue, stored_alert
from tests.cases.helpers import alert_on, linked_cluster
from tests.factories import make_person
from tests.shifts.helpers import make_shift, now

pytestmark = pytest.mark.django_db


def refs(handover, key: str) -> set[str]:
    [section] = [s for s in handover.items["sections"] if s["key"] == key]
    assert "error" not in section
    return {item["ref"] for item in section["items"]}


@pytest.fixture
def desk(operator, supervisor, django_capture_on_commit_callbacks):
    """A working day: alerts in every state, cases open and closed, actions at every step."""
    vera = make_person("vera", "supervisor")
    run = lambda: django_capture_on_commit_callbacks(execute=True)  # noqa: E731
    new = [stored_alert(n) for n in range(1, 4)]
    for n, alert in enumerate([stored_alert(n) for n in range(4, 8)]):
        alerts.alert_claim(alert=alert, by=operator)
        if n == 0:
            alerts.alert_dismiss(alert=alert, by=operator, reason="duplicate", note="")
    alerts.alert_release(alert=alerts.alert_claim(alert=new[0], by=operator), by=operator)

    open_cluster, closed_cluster = linked_cluster("C1"), linked_cluster("C2")
    open_case = case_open(alerts=[alert_on(open_cluster.ids)], by=operator, title="C1").case
    closed_case = case_open(alerts=[alert_on(closed_cluster.ids)], by=operator, title="C2").case
    case_move(case=closed_case, by=supervisor, to="investigating")
    case_move(case=closed_case, by=supervisor, to="closed", outcome="no_action", note="hedging")

    with run():
        waiting = request_one(operator, Measure.FREEZE)  # needs a second person
        temporary = request_one(operator, Measure.FREQUENCY_LIMIT,
                                params={"max_orders_per_second": 5},
                                expires_at=timezone.now() + timedelta(hours=6))  # fmt: skip
        standing = request_one(operator, Measure.CLOSE_ONLY)  # no end: not temporary
        emergency = request_one(operator, Measure.CLOSE_ONLY, scope=Scope.SYMBOL,
                                symbol="BTCUSDT")  # fmt: skip
        actions.action_approve(action=emergency, by=vera)
    order_fault("unavailable", count=99)  # the exchange goes down
    with run(), override_settings(RISKDESK_ACTION_MAX_ATTEMPTS=1):
        failed = request_one(operator, Measure.TRADING_BAN)
    return locals()


def test_handover_items_are_what_the_database_holds_open(operator, supervisor, desk) -> None:
    shift = make_shift(starts_at=now() - timedelta(hours=11), operators=[operator],
                       supervisor=supervisor)  # fmt: skip
    handover = handover_write(shift=shift, by=operator, note="Ring C1 is the big one.")

    def alert_refs(status: str) -> set[str]:
        return {
            f"alert:{pk}" for pk in Alert.objects.filter(status=status).values_list("pk", flat=True)
        }

    assert refs(handover, "alerts_unclaimed") == alert_refs("new") and len(alert_refs("new")) == 3
    assert refs(handover, "alerts_claimed") == alert_refs("claimed") != set()
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True)
    assert refs(handover, "cases_open") == {f"case:{pk}" for pk in open_cases}
    assert refs(handover, "cases_open") == {f"case:{desk['open_case'].pk}"}

    def action_refs(status: str) -> set[str]:
        return {
            f"action:{pk}"
            for pk in Action.objects.filter(status=status).values_list("pk", flat=True)
        }

    assert refs(handover, "approvals_pending") == action_refs("awaiting_approval")
    assert refs(handover, "approvals_pending") == {f"action:{desk['waiting'].pk}"}
    assert refs(handover, "actions_failed") == action_refs("failed")
    assert refs(handover, "actions_failed") == {f"action:{desk['failed'].pk}"}

    active = Restriction.objects.filter(status="active")
    temporary = active.filter(expires_at__isnull=False).values_list("pk", flat=True)
    emergency = active.filter(scope__in=["symbol", "platform"]).values_list("pk", flat=True)
    assert refs(handover, "measures_temporary") == {f"restriction:{pk}" for pk in temporary}
    assert refs(handover, "measures_emergency") == {f"restriction:{pk}" for pk in emergency}
    assert [r.action_id for r in Restriction.objects.filter(pk__in=temporary)] == [
        desk["temporary"].pk
    ]
    assert [r.action_id for r in Restriction.objects.filter(pk__in=emergency)] == [
        desk["emergency"].pk
    ]
    assert active.count() == 3  # the standing close-only is in neither list
    assert len(refs(handover, "alerts_claimed")) == 3
    assert len(refs(handover, "coverage_gaps")) == 1  # nobody after this shift
    assert handover.open_item_count == 3 + 3 + 1 + 1 + 1 + 1 + 1 + 1


def test_a_long_list_ends_with_how_many_more(operator, supervisor) -> None:
    for n in range(LIMIT + 5):
        stored_alert(n)
    shift = make_shift(starts_at=now() - timedelta(hours=1), operators=[operator])
    handover = handover_write(shift=shift, by=operator, note="busy")
    [section] = [s for s in handover.items["sections"] if s["key"] == "alerts_unclaimed"]
    assert len(section["items"]) == LIMIT + 1
    assert section["items"][-1]["title"] == "… and 5 more"


def test_the_handover_says_past_sla_as_the_queue_does(operator) -> None:
    """An alert claimed within its SLA met it for good (alerts.vocabulary.sla_breached); the
    handover used to call every open alert past its due time "PAST SLA"."""
    claimed_in_time = alerts.alert_claim(alert=stored_alert(1), by=operator)
    missed = overdue(stored_alert(2))
    ago = timezone.now() - timedelta(minutes=10)  # claimed, then due five minutes later
    Alert.objects.filter(pk=claimed_in_time.pk).update(
        claimed_at=ago, sla_due_at=ago + timedelta(minutes=5)
    )
    shift = make_shift(starts_at=now() - timedelta(hours=1), operators=[operator])
    handover = handover_write(shift=shift, by=operator, note="n")
    details = {
        item["ref"]: item["detail"]
        for section in handover.items["sections"]
        for item in section["items"]
    }
    assert "PAST SLA" in details[f"alert:{missed.pk}"]
    assert "PAST SLA" not in details[f"alert:{claimed_in_time.pk}"]
