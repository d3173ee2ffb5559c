from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from apps.detection.feed import read_feed
from apps.detection.simulator import simulate

POPULATION = ["accounts", "logins", "transfers"]


@pytest.fixture(scope="module")
def window(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate(tmp_path_factory.mktemp("pop"), seed=5, accounts=1200, hours=6, market=False)


def _labels(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "labels.jsonl").read_text().splitlines()]


def test_the_same_seed_writes_the_same_files(window: Path, tmp_path: Path) -> None:
    again = simulate(tmp_path, seed=5, accounts=1200, hours=6, market=False)
    for name in POPULATION:
        assert (again / f"{name}.csv").read_bytes() == (window / f"{name}.csv").read_bytes()
    other = simulate(tmp_path / "other", seed=6, accounts=1200, hours=6, market=False)
    assert (other / "logins.csv").read_bytes() != (window / "logins.csv").read_bytes()


def test_the_population_reads_under_the_feed_contract(window: Path) -> None:
    feed = read_feed(window, tables=POPULATION)
    assert feed.accounts is not None and len(feed.accounts) == 1200
    assert set(feed.accounts["kyc_level"]) <= {0, 1, 2, 3}
    assert set(feed.accounts["vip_tier"]) <= set(range(10))
    assert 0 < feed.accounts["api_trading_allowed"].mean() < 0.1


def test_carrier_ips_and_hot_wallets_are_hubs_of_hundreds(window: Path) -> None:
    feed = read_feed(window, tables=POPULATION)
    assert feed.logins is not None and feed.transfers is not None
    per_ip = feed.logins.groupby("ip")["account_id"].nunique()
    per_address = feed.transfers.groupby("address")["account_id"].nunique()
    assert per_ip.max() >= 200 and per_address.max() >= 200


def test_households_share_one_ip_and_nothing_else(window: Path) -> None:
    feed = read_feed(window, tables=POPULATION)
    assert feed.logins is not None and feed.transfers is not None
    households = [
        set(label["accounts"])
        for label in _labels(window)
        if label["kind"] == "hard_negative" and label["category"] == "common_control"
    ]
    assert households
    for members in households:
        logins = feed.logins[feed.logins["account_id"].isin(members)]
        devices = logins.groupby("device_id")["account_id"].nunique()
        assert devices.max() == 1
        private_ips = logins[logins["ip"].str.startswith("10.")]
        assert private_ips.groupby("ip")["account_id"].nunique().max() == len(members)


def test_controlled_clusters_are_labelled_with_3_to_15_accounts(window: Path) -> None:
    clusters = [
        label
        for label in _labels(window)
        if label["kind"] == "incident" and label["category"] == "common_control"
    ]
    assert len(clusters) >= 3
    assert all(3 <= len(label["accounts"]) <= 15 for label in clusters)
