from __future__ import annotations

from typing import Any

from apps.detection.evaluate import evaluate, matches


def _alert(category: str, accounts: list[str], symbol: str | None = None) -> dict[str, Any]:
    return {"category": category, "accounts": accounts, "symbol": symbol}


def _label(
    category: str, accounts: list[str], symbol: str | None = None, kind: str = "incident"
) -> dict[str, Any]:
    return {"category": category, "accounts": accounts, "symbol": symbol, "kind": kind}


def test_an_alert_matches_a_label_of_its_category_symbol_and_half_its_accounts() -> None:
    label = _label("common_control", ["U1", "U2", "U3", "U4"])
    assert matches(_alert("common_control", ["U1", "U2"]), label)
    assert not matches(_alert("common_control", ["U1"]), label)
    assert not matches(_alert("promo_abuse", ["U1", "U2", "U3", "U4"]), label)
    stress = _label("market_stress", [], "BTCUSDT")
    assert matches(_alert("market_stress", [], "BTCUSDT"), stress)
    assert not matches(_alert("market_stress", [], "ETHUSDT"), stress)


def test_recall_precision_and_hard_negative_hits_are_counted_per_category() -> None:
    labels = [
        _label("self_trade", ["U1"], "BTCUSDT"),
        _label("self_trade", ["U2"], "BTCUSDT"),
        _label("frequent_cancel", ["MM"], None, "hard_negative"),
    ]
    alerts = [
        _alert("self_trade", ["U1"], "BTCUSDT"),
        _alert("self_trade", ["U9"], "BTCUSDT"),
        _alert("frequent_cancel", ["MM"], "BTCUSDT"),
    ]
    scores = {s.category: s for s in evaluate(alerts, labels)}
    assert (scores["self_trade"].recall, scores["self_trade"].precision) == (0.5, 0.5)
    assert scores["frequent_cancel"].hard_negative_hits == 1
    assert scores["frequent_cancel"].precision == 0.0
