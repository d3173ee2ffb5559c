"""Building emergency plans and a market_stress alert for tests."""

from datetime import timedelta

from apps.actions.plans.demo import DEMO_PLANS, demo_plans_create
from apps.actions.plans.models import EmergencyPlan
from apps.people.models import User
from tests.shifts.helpers import make_shift, now

CASCADE = "liquidation-cascade"  # six measures, one of them platform-wide


def seeded_plans(by: User) -> dict[str, EmergencyPlan]:
    demo_plans_create(by)
    return {key: EmergencyPlan.objects.get(key=key, is_current=True) for key, *_ in DEMO_PLANS}


def on_duty(supervisor: User | None, operators: list[User] = ()) -> None:  # type: ignore[assignment]
    make_shift(
        starts_at=now() - timedelta(hours=2), supervisor=supervisor, operators=list(operators)
    )


def stress_alert(symbol: str = "BTCUSDT", signals: tuple[str, ...] = ("liquidation_burst",)):
    from tests.alerts.payloads import stored_alert

    return stored_alert(
        dedup_key=f"market_stress:{symbol}:2026-11-20",
        summary=f"{symbol} under stress: liquidation burst (48 accounts in one minute)",
        accounts=[],
        category="market_stress",
        rule="market_stress",
        symbol=symbol,
        metrics={"signals": list(signals), "liquidated_accounts": 48, "mark_index_gap": 0.004},
    )
