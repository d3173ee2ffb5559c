"""A deterministic market simulator: a feed window with labelled incidents.

``simulate(out, seed=..., accounts=..., hours=...)`` writes the nine feed tables and
``labels.jsonl`` (category, accounts, symbol, kind = incident | hard_negative).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from .clusters import plant_cluster, plant_households
from .population import accounts_frame, background_logins, background_transfers, build_accounts
from .world import World
from .writer import serial_ids, write_labels, write_table

__all__ = ["simulate", "simulate_population"]


def simulate_population(world: World) -> None:
    """Accounts, logins and transfers: background, hubs, households, controlled clusters."""
    n = world.n_accounts
    build_accounts(world)
    plant_households(world, max(4, n // 150))
    for _ in range(max(3, n // 400)):
        plant_cluster(world, int(world.rng.integers(3, 16)), "cluster")
    everyone = np.arange(n)
    background_logins(world, everyone)
    background_transfers(world, everyone)


def population_tables(world: World) -> dict[str, pd.DataFrame]:
    logins = pd.concat(world.tables.pop("logins"), ignore_index=True)
    logins = logins.sort_values(["ts", "account_id"], kind="stable", ignore_index=True)
    transfers = pd.concat(world.tables.pop("transfers"), ignore_index=True)
    transfers = transfers.sort_values(["ts", "account_id"], kind="stable", ignore_index=True)
    transfers.insert(0, "transfer_id", serial_ids("X", len(transfers)).to_pandas())
    return {"accounts": accounts_frame(world), "logins": logins, "transfers": transfers}


def simulate(
    out: Path,
    seed: int,
    accounts: int = 2000,
    hours: int = 24,
    fmt: Literal["csv", "parquet"] = "csv",
    *,
    market: bool = True,
) -> Path:
    """Write one window into ``out``; the same arguments always write the same files."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    world = World(rng=np.random.default_rng(seed), n_accounts=accounts, hours=hours)
    simulate_population(world)
    tables = population_tables(world)
    for name, frame in tables.items():
        write_table(out, name, frame, fmt)
    write_labels(out, world.labels)
    return out
