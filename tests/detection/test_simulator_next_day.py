"""The demo's live day: the day after a simulated window, of the same population, with
incidents of its own (so the embedded live feed raises new ones, not the loaded day's)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from apps.detection.feed import read_feed
from apps.detection.simulator import simulate, simulate_next_day

# Standing facts of the population, true on every day: its controlled clusters and
# households (common_control), its market makers and API traders (hard negatives), and
# the market's stress episodes, labelled by symbol only.
STANDING = {"common_control", "market_stress", "frequent_cancel", "unauthorized_algo"}


@pytest.fixture(scope="module")
def days(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("days")
    first = simulate(root / "first", seed=5, accounts=400, hours=4, fmt="parquet")
    return first, simulate_next_day(
        root / "next", first, seed=5, day_seed=6, accounts=400, hours=4, fmt="parquet"
    )


def _labels(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "labels.jsonl").read_text().splitlines()]


def test_the_next_day_keeps_the_population(days: tuple[Path, Path]) -> None:
    first, after = (read_feed(day, ["accounts"]).accounts for day in days)
    assert first is not None and after is not None
    farms = {a for x in _labels(days[1]) if x["category"] == "promo_abuse" for a in x["accounts"]}
    same = ~after["account_id"].isin(farms)
    pd.testing.assert_frame_equal(first[same], after[same])
    # Only the day's new promotion farms registered anew (fresh accounts are the abuse).
    assert (first["registered_at"] != after["registered_at"]).sum() <= len(farms)
    assert after["market_maker"].sum() > 0 and after["api_trading_allowed"].sum() > 0
    # The households and controlled clusters (what simulate plants before any trading).
    alone = simulate(days[0].parent / "population", seed=5, accounts=400, hours=4, market=False)
    population = _labels(alone)
    assert population and all(x in _labels(days[1]) for x in population)


def test_the_next_day_is_a_day_later_with_incidents_of_its_own(days: tuple[Path, Path]) -> None:
    first, after = (read_feed(day, ["orders"]).orders for day in days)
    assert first is not None and after is not None
    assert after["created_at"].min().normalize() == first["created_at"].min().normalize() + (
        pd.Timedelta(days=1)
    )

    def incidents(day: Path) -> set[tuple[str, tuple[str, ...]]]:
        return {
            (x["category"], tuple(x["accounts"]))
            for x in _labels(day)
            if x["kind"] == "incident" and x["category"] not in STANDING
        }

    loaded, live = incidents(days[0]), incidents(days[1])
    assert len(live) > 20
    assert not loaded & live
    implicated = {a for _, accounts in loaded for a in accounts}
    assert not {a for _, accounts in live for a in accounts} & implicated
