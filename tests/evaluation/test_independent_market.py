"""The independent market generator: deterministic, contract-clean, every category planted."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from evaluation.independent_market.checks import accidental, contract_errors
from evaluation.independent_market.generate import generate
from evaluation.independent_market.score import score
from evaluation.independent_market.spec import CATEGORIES


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for f in [*sorted(folder.rglob("*.csv")), folder / "truth.json"]:
        h.update(f.relative_to(folder).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("im") / "a"
    generate(11, out, accounts=3000, hours=8, history_days=1, quiet=True)
    return out


def test_same_seed_same_market(market: Path, tmp_path: Path) -> None:
    generate(11, tmp_path / "b", accounts=3000, hours=8, history_days=1, quiet=True)
    assert _digest(market) == _digest(tmp_path / "b")


def test_window_passes_the_contract_checks(market: Path) -> None:
    assert contract_errors(market / "window") == []
    assert contract_errors(market / "history" / "day-1") == []


def test_background_breaks_no_absolute_rule(market: Path) -> None:
    truth = json.loads((market / "truth.json").read_text())
    assert accidental(market / "window", truth) == []


def test_truth_has_every_category_and_lives_outside_the_window(market: Path) -> None:
    truth = json.loads((market / "truth.json").read_text())
    cats = [i["category"] for i in truth["incidents"]]
    assert set(cats) == set(CATEGORIES)
    assert all(3 <= cats.count(c) <= 6 for c in CATEGORIES)
    assert {i["strength"] for i in truth["incidents"]} == {"blatant", "moderate", "subtle"}
    assert truth["hard_negatives"]
    assert not list((market / "window").glob("truth*"))
    culprits = {a for i in truth["incidents"] for a in i["accounts"]}
    negatives = {a for n in truth["hard_negatives"] for a in n["accounts"]}
    assert not culprits & negatives


TRUTH = {
    "incidents": [
        {"id": "I1", "category": "self_trade", "accounts": ["A"], "symbol": "BTCUSDT"},
        {"id": "I2", "category": "self_trade", "accounts": ["B"], "symbol": "ETHUSDT"},
        {"id": "I3", "category": "common_control", "accounts": ["C", "D"], "symbol": None},
        {"id": "I4", "category": "market_stress", "accounts": [], "symbol": "SOLUSDT"},
    ],
    "hard_negatives": [
        {"id": "H1", "kind": "market_makers", "accounts": ["M"], "imitates": ["frequent_cancel"]},
        {
            "id": "H2",
            "kind": "orderly_trend",
            "accounts": [],
            "symbol": "XRPUSDT",
            "imitates": ["market_stress"],
        },
    ],
}


def test_scorer_on_hand_made_alerts() -> None:
    alerts: list[dict[str, Any]] = [
        {"category": "self_trade", "accounts": ["A"], "symbol": "BTCUSDT"},  # true
        {"category": "self_trade", "accounts": ["A"], "symbol": "BTCUSDT"},  # true, same one
        {"category": "self_trade", "accounts": ["B"], "symbol": "BTCUSDT"},  # wrong symbol
        {"category": "common_control", "accounts": ["C", "D", "X", "Y"], "symbol": None},
        {"category": "frequent_cancel", "accounts": ["M"], "symbol": "BTCUSDT"},  # hn hit
        {"category": "market_stress", "accounts": [], "symbol": "SOLUSDT"},  # true
        {"category": "market_stress", "accounts": [], "symbol": "XRPUSDT"},  # hn hit
        {"category": "other", "accounts": ["Z"], "symbol": None},
    ]
    r = score(TRUTH, alerts)
    st = r["categories"]["self_trade"]
    assert (st["incidents"], st["found"], st["alerts"], st["true_alerts"]) == (2, 1, 3, 2)
    assert st["recall"] == 0.5 and st["precision"] == pytest.approx(2 / 3)
    cc = r["categories"]["common_control"]
    assert cc["recall"] == 1.0 and cc["precision"] == 1.0 and cc["purity"] == 0.5
    assert r["categories"]["frequent_cancel"]["hard_negative_hits"] == 1
    assert r["categories"]["market_stress"]["found"] == 1
    o = r["overall"]
    assert (o["incidents"], o["found"], o["alerts"], o["true_alerts"]) == (4, 3, 8, 4)
    assert o["recall"] == 0.75 and o["precision"] == 0.5 and o["hard_negative_hits"] == 2
