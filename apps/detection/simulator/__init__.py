"""A deterministic market simulator: a feed window with labelled incidents.

``simulate(out, seed=..., accounts=..., hours=...)`` writes the nine feed tables and
``labels.jsonl`` (category, accounts, symbol, kind = incident | hard_negative).
``simulate_next_day`` writes the day after such a window: the same population, a new day.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ..feed import read_feed
from . import incidents_trading as trading
from .background import (
    background_positions,
    background_promotions,
    background_trades,
    positions_frame,
)
from .clusters import plant_cluster, plant_households
from .incidents_accounts import (
    plant_bonus_farm,
    plant_combined_position,
    plant_liquidations,
    plant_market_stress,
    plant_theft,
)
from .market import build_market, instruments_frame, mark_prices_frame
from .negatives import plant_api_traders, plant_market_makers, plant_whales
from .population import accounts_frame, background_logins, background_transfers, build_accounts
from .tape import Tape
from .world import MS_PER_DAY, World
from .writer import serial_ids, write_labels, write_table

__all__ = ["simulate", "simulate_next_day"]

TRADING_PLANTERS = [
    trading.plant_self_trades,
    trading.plant_mutual_trades,
    trading.plant_matched_trades,
    trading.plant_frequent_cancels,
    trading.plant_large_cancels,
    trading.plant_daily_open,
    trading.plant_unauthorized_algo,
    trading.plant_abnormal_pnl,
]


def simulate_population(world: World) -> None:
    """Accounts, households and plain controlled clusters (logins/transfers come later,
    once every planted account is known)."""
    n = world.n_accounts
    build_accounts(world)
    plant_households(world, max(4, n // 150))
    for _ in range(min(30, max(3, n // 400))):
        plant_cluster(world, int(world.rng.integers(3, 16)), "cluster")


def population_tables(world: World) -> dict[str, pd.DataFrame]:
    everyone = np.arange(world.n_accounts)
    background_logins(world, everyone)
    background_transfers(world, everyone)
    logins = pd.concat(world.tables.pop("logins"), ignore_index=True)
    logins = logins.sort_values(["ts", "account_id"], kind="stable", ignore_index=True)
    transfers = pd.concat(world.tables.pop("transfers"), ignore_index=True)
    transfers = transfers.sort_values(["ts", "account_id"], kind="stable", ignore_index=True)
    transfers.insert(0, "transfer_id", serial_ids("X", len(transfers)).to_pandas())
    return {"accounts": accounts_frame(world), "logins": logins, "transfers": transfers}


def simulate_market(world: World, activity: float) -> dict[str, pd.DataFrame]:
    rng, n = world.rng, world.n_accounts
    incidents = min(40, max(3, n // 300))
    market = build_market(world)
    stressed = rng.choice(len(market.symbols), size=min(incidents, 6), replace=False)
    episodes = [plant_market_stress(world, market, int(s)) for s in stressed]
    tape = Tape(world, market)
    plant_market_makers(world, tape, min(20, max(3, n // 400)))
    plant_api_traders(world, tape, min(30, max(4, n // 150)))
    plant_whales(world, tape, market, min(30, max(3, n // 300)))
    for planter in TRADING_PLANTERS:
        for _ in range(incidents):
            planter(world, tape)
    for k in range(incidents):
        plant_theft(world)
        plant_bonus_farm(world, campaign=100 + k)
        plant_combined_position(world, market)
    background_trades(world, tape, activity)
    for episode in episodes:
        plant_liquidations(world, tape, episode)
    background_positions(world, market)
    background_promotions(world)
    orders, trades = tape.frames()
    promotions = pd.concat(world.tables.pop("promotions"), ignore_index=True)
    return {
        "instruments": instruments_frame(market),
        "mark_prices": mark_prices_frame(market),
        "orders": orders,
        "trades": trades,
        "positions": positions_frame(world),
        "promotions": promotions.sort_values("joined_at", kind="stable", ignore_index=True),
    }


def simulate(
    out: Path,
    seed: int,
    accounts: int = 2000,
    hours: int = 24,
    fmt: Literal["csv", "parquet"] = "csv",
    *,
    market: bool = True,
    activity: float = 1.2,
) -> Path:
    """Write one window into ``out``; the same arguments always write the same files.

    ``activity`` is background trades per account-hour: the scale knob (the bench uses
    ~1.2 with 50,000 accounts over 24 hours for >1M trades and >5M orders).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    world = World(rng=np.random.default_rng(seed), n_accounts=accounts, hours=hours)
    simulate_population(world)
    tables = simulate_market(world, activity) if market else {}
    tables.update(population_tables(world))
    for name, frame in tables.items():
        write_table(out, name, frame, fmt)
    write_labels(out, world.labels)
    return out


def simulate_next_day(
    out: Path,
    before: Path,
    seed: int,
    day_seed: int,
    accounts: int = 2000,
    hours: int = 24,
    fmt: Literal["csv", "parquet"] = "csv",
    *,
    activity: float = 1.2,
) -> Path:
    """Write the day after ``before`` (the window ``simulate`` wrote with ``seed``,
    ``accounts`` and ``hours``) into ``out``.

    The population is ``before``'s: the same accounts as its accounts table (registration,
    KYC, VIP tier, referrer, market makers, API traders), households and controlled
    clusters. The day is new: its trading, logins and transfers and its own planted
    incidents come from ``day_seed``, one day later, on accounts none of ``before``'s
    incidents involved.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    world = World(rng=np.random.default_rng(seed), n_accounts=accounts, hours=hours)
    simulate_population(world)
    keep_the_day_before(world, before)
    world.start_ms += MS_PER_DAY
    world.rng = np.random.default_rng(day_seed)
    tables = simulate_market(world, activity)
    tables.update(population_tables(world))
    for name, frame in tables.items():
        write_table(out, name, frame, fmt)
    write_labels(out, world.labels)
    return out


def keep_the_day_before(world: World, before: Path) -> None:
    """Give a population just simulated what ``before`` (a day of it) left: its accounts'
    registration and standing roles (market makers, API traders); the accounts of its
    incidents are set aside, so the next day's fall on others and none reads as
    yesterday's again."""
    known = read_feed(before, ["accounts"]).accounts
    if known is None or list(known["account_id"]) != list(world.ids):
        raise ValueError(f"{before} is not a window of this population")
    # Registered as the day before has it (its promotion farms were new then).
    world.registered_ms = known["registered_at"].dt.as_unit("ms").astype("int64").to_numpy().copy()
    makers = known["market_maker"].to_numpy(dtype=bool)
    allowed = known["api_trading_allowed"].to_numpy(dtype=bool)
    world.reserve("market_maker", np.flatnonzero(makers))
    world.reserve("api_trader", np.flatnonzero(allowed & ~makers & ~world.api_allowed))
    before_labels = (before / "labels.jsonl").read_text().splitlines()
    implicated = {
        a for x in map(json.loads, before_labels) if x["kind"] == "incident" for a in x["accounts"]
    }
    world.reserve(
        "incident_before",
        np.flatnonzero(np.isin(world.ids, list(implicated)) & (world.role == "background")),
    )
