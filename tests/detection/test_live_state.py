"""The live state: rows in any order across streams end as the window's rows."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from apps.detection.live import LiveDetector
from apps.detection.live.decode import decode_rows
from apps.detection.live.publishing import changed
from apps.detection.live.state import LiveState

DAY = int(pd.Timestamp("2026-11-20", tz="UTC").value // 10**6 // 86_400_000)
ACCOUNT = {
    "account_id": "U1",
    "registered_at": "2026-01-01T00:00:00.000Z",
    "kyc_level": 2,
    "vip_tier": 0,
    "api_trading_allowed": False,
    "market_maker": False,
    "referrer_id": None,
}


def order(order_id: str, at: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "account_id": "U1",
        "symbol": "BTCUSDT",
        "side": "buy",
        "order_type": "limit",
        "price": 100.5,
        "qty": 2,
        "reduce_only": False,
        "channel": "web",
        "created_at": at,
        "cancelled_at": None,
        "filled_qty": 0,
    }


def trade(trade_id: str, buy: str, sell: str) -> dict[str, Any]:
    return {
        "trade_id": trade_id,
        "symbol": "BTCUSDT",
        "ts": "2026-11-20T10:00:02.000Z",
        "price": 100.5,
        "qty": 1,
        "buy_order_id": buy,
        "sell_order_id": sell,
        "buyer_id": "U1",
        "seller_id": "U1",
        "taker_side": "buy",
        "buyer_effect": "open",
        "seller_effect": "open",
        "buyer_realized_pnl": 0,
        "seller_realized_pnl": 0,
    }


def add(state: LiveState, table: str, rows: list[dict[str, Any]]) -> None:
    state.add(table, decode_rows(table, [json.dumps(rows).encode()], f"feed:{table}"))


def test_an_update_read_before_its_order_still_gives_the_order_its_state() -> None:
    state = LiveState()
    add(state, "accounts", [ACCOUNT])
    update = {"order_id": "O1", "ts": "2026-11-20T10:00:05.000Z", "filled_qty": 1.0}
    add(state, "order_updates", [{**update, "cancelled_at": "2026-11-20T10:00:05.000Z"}])
    add(state, "orders", [order("O1", "2026-11-20T10:00:00.000Z")])

    orders = state.feed(DAY).orders
    assert orders is not None
    assert orders["filled_qty"].tolist() == [1.0]
    assert orders["cancelled_at"].tolist() == [pd.Timestamp("2026-11-20T10:00:05Z")]
    assert str(orders["cancelled_at"].dtype) == "datetime64[ms, UTC]"


def test_a_trade_read_before_its_orders_waits_for_them() -> None:
    state = LiveState()
    add(state, "accounts", [ACCOUNT])
    add(state, "orders", [order("O1", "2026-11-20T10:00:00.000Z")])
    add(state, "trades", [trade("T1", "O1", "O2")])
    waiting = state.feed(DAY).trades
    assert waiting is not None and waiting.empty

    add(state, "orders", [{**order("O2", "2026-11-20T10:00:01.000Z"), "side": "sell"}])
    trades = state.feed(DAY).trades
    assert trades is not None and trades["trade_id"].tolist() == ["T1"]


def test_rows_of_a_closed_day_are_counted_as_late_and_not_used() -> None:
    state = LiveState()
    add(state, "orders", [order("O1", "2026-11-20T10:00:00.000Z")])
    state.close(DAY)
    add(state, "orders", [order("O2", "2026-11-20T23:59:59.000Z")])
    assert state.late_rows == 1 and DAY not in state.days


def alert(score: float, severity: str, metrics: dict[str, Any]) -> dict[str, Any]:
    return {
        "dedup_key": "self_trade:U1:BTCUSDT:2026-11-20",
        "score": score,
        "severity": severity,
        "metrics": metrics,
        "summary": "U1 traded with itself",
        "accounts": ["U1"],
    }


def test_a_finding_is_sent_again_only_when_it_grew_and_its_severity_never_falls() -> None:
    detector = LiveDetector(None, sink=lambda _: None)  # type: ignore[arg-type]
    assert changed(detector.saved.published, alert(90, "critical", {"self_trades": 9}))
    assert not changed(detector.saved.published, alert(90, "critical", {"self_trades": 9}))
    lower = alert(60, "medium", {"self_trades": 10})
    assert changed(detector.saved.published, lower)
    assert lower["severity"] == "critical"
