from datetime import timedelta

import pytest
from django.utils import timezone

from apps.actions import services, tasks
from apps.actions.measures import Measure, Scope
from apps.actions.models import Action, Restriction
from apps.actions.sandbox.models import SandboxRestriction
from apps.alerts.contract import FIELDS
from apps.alerts.models import Alert
from tests.actions.conftest import request_one

pytestmark = pytest.mark.django_db
ALERT_FIELDS = FIELDS - {"score"}  # score is the one optional field


def test_an_expiry_lifts_the_restriction_on_the_scan(operator, run_on_commit) -> None:
    with run_on_commit():
        ban = request_one(
            operator, Measure.SUSPEND_OPEN, expires_at=timezone.now() + timedelta(hours=1)
        )
    restriction = Restriction.objects.get(action=ban)
    assert restriction.status == "active"
    assert services.restrictions_expire() == 0
    assert services.restrictions_expire(now=timezone.now() + timedelta(hours=1, seconds=1)) == 1
    restriction.refresh_from_db()
    ban.refresh_from_db()
    assert restriction.status == Restriction.Status.EXPIRED and restriction.ended_at is not None
    assert ban.status == Action.Status.LIFTED
    assert restriction.history.first().history_change_reason == "expired"


def test_the_timer_task_expires_what_is_due(operator, run_on_commit) -> None:
    with run_on_commit():
        ban = request_one(
            operator, Measure.TRADING_BAN, expires_at=timezone.now() + timedelta(hours=2)
        )
    Restriction.objects.filter(action=ban).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert tasks.run_action_timers()["restrictions_ended"] == 1
    history = Restriction.objects.get(action=ban).history.first()
    assert history.history_task == "actions.run_action_timers"


def test_reconciliation_notices_a_restriction_removed_behind_the_desks_back(
    operator, published, run_on_commit
) -> None:
    with run_on_commit():
        ban = request_one(operator, Measure.TRADING_BAN)
        other = request_one(operator, Measure.CLOSE_ONLY)
    assert tasks.reconcile_restrictions() == 0 and published == []

    SandboxRestriction.objects.filter(pk=ban.reference).delete()  # someone at the exchange
    SandboxRestriction.objects.filter(pk=other.reference).update(params={"note": 1})
    assert tasks.reconcile_restrictions() == 2
    by_rule = {alert["rule"]: alert for alert in published}
    missing = by_rule["restriction_missing_on_exchange"]
    assert set(missing) == ALERT_FIELDS
    assert missing["category"] == "other" and missing["severity"] == "high"
    assert missing["accounts"] == [ban.account_id]
    assert missing["dedup_key"] == f"restriction_missing_on_exchange:{ban.reference}"
    mismatch = by_rule["restriction_mismatch"]
    assert mismatch["evidence"]["fields"] == ["params"]

    published.clear()
    tasks.reconcile_restrictions()  # the same differences again: the same keys
    assert sorted(a["dedup_key"] for a in published) == sorted(
        by_rule[r]["dedup_key"] for r in by_rule
    )
    # Stored by the real alerts app, once each: the second run counts as repeats.
    stored = dict(Alert.objects.values_list("dedup_key", "repeat_count"))
    assert stored == {by_rule[r]["dedup_key"]: 1 for r in by_rule}


def test_reconciliation_notices_a_restriction_the_desk_never_placed(published) -> None:
    SandboxRestriction.objects.create(
        id="X-1",
        account_id=None,
        scope="platform",
        symbol=None,
        measure="withdrawal_hold",
        params={},
        reason_code="ops",
        applied_at=timezone.now(),
    )
    assert tasks.reconcile_restrictions() == 1
    (alert,) = published
    assert alert["rule"] == "restriction_unknown_to_desk" and alert["accounts"] == []
    assert alert["category"] == "market_stress"  # the alerts contract: no account, market-wide


def test_reconciliation_leaves_out_actions_still_on_their_way(operator, published) -> None:
    ban = request_one(operator, Measure.TRADING_BAN)  # approved, no worker has run it yet
    SandboxRestriction.objects.create(
        id=ban.reference,
        account_id=ban.account_id,
        scope="account",
        symbol=None,
        measure="trading_ban",
        params={},
        reason_code="self_trade",
        applied_at=timezone.now(),
    )
    assert services.reconciliation_differences() == []


def test_a_symbol_wide_measure_is_one_action_for_everyone(
    operator, supervisor, run_on_commit
) -> None:
    with run_on_commit():
        halt = request_one(operator, Measure.SUSPEND_OPEN, scope=Scope.SYMBOL, symbol="pepeusdt")
        services.action_approve(action=halt, by=supervisor)
    exchange = SandboxRestriction.objects.get(pk=halt.reference)
    assert (exchange.scope, exchange.account_id, exchange.symbol) == ("symbol", None, "PEPEUSDT")
