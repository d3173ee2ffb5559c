from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.alerts.models import Category
from apps.detection.feed import read_feed
from apps.detection.simulator import simulate

# Every category of the alert contract is planted, except "other".
CATEGORIES = set(Category.values) - {Category.OTHER}


@pytest.fixture(scope="module")
def window(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate(tmp_path_factory.mktemp("m"), seed=3, accounts=900, hours=6, fmt="parquet")


def test_every_category_is_planted_and_hard_negatives_are_labelled(window: Path) -> None:
    labels = [json.loads(line) for line in (window / "labels.jsonl").read_text().splitlines()]
    assert {lab["category"] for lab in labels if lab["kind"] == "incident"} == CATEGORIES
    negatives = {lab["category"] for lab in labels if lab["kind"] == "hard_negative"}
    assert negatives == {"common_control", "frequent_cancel", "unauthorized_algo", "large_cancel"}


def test_the_market_reads_under_the_contract_and_trades_match_their_orders(window: Path) -> None:
    feed = read_feed(window)  # raises on any unknown order or bad value
    assert feed.orders is not None and feed.trades is not None
    orders = feed.orders.set_index("order_id")
    buys = orders.loc[feed.trades["buy_order_id"]]
    assert (buys["account_id"].to_numpy() == feed.trades["buyer_id"].to_numpy()).all()
    assert (buys["side"] == "buy").all()
    assert (buys["created_at"].to_numpy() <= feed.trades["ts"].to_numpy()).all()
    assert feed.mark_prices is not None and len(feed.mark_prices) == 12 * 6 * 60


def test_the_simulation_is_deterministic(window: Path, tmp_path: Path) -> None:
    again = simulate(tmp_path, seed=3, accounts=900, hours=6, fmt="parquet")
    for name in ("orders", "trades", "positions"):
        assert (again / f"{name}.parquet").read_bytes() == (window / f"{name}.parquet").read_bytes()
    assert (again / "labels.jsonl").read_text() == (window / "labels.jsonl").read_text()
