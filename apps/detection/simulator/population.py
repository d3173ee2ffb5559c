"""Accounts, logins and transfers of the simulated population.

Besides ordinary customers it contains what makes linking hard: carrier-grade NAT IPs
used by hundreds of unrelated accounts, exchange hot-wallet deposit addresses shared by
thousands, and households of 2-4 people on one home IP who have nothing else in common.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .world import MS_PER_DAY, World

HISTORY_DAYS = 30  # logins and transfers before the window: the baseline theft needs


def home_ip(i: np.ndarray) -> np.ndarray:
    return np.array([f"10.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}" for v in i], dtype=object)


def device(i: np.ndarray, suffix: str = "a") -> np.ndarray:
    return np.array([f"dev-{v:06x}{suffix}" for v in i], dtype=object)


def frame_ms(columns: dict[str, object]) -> pd.DataFrame:
    """A DataFrame whose ``*_ms`` int columns become UTC times named without the suffix."""
    out = {}
    for name, values in columns.items():
        if name.endswith("_ms"):
            ms = np.asarray(values, dtype="float64")
            out[name[:-3]] = pd.to_datetime(ms, unit="ms", utc=True).astype("datetime64[ms, UTC]")
        else:
            out[name] = values
    return pd.DataFrame(out)


def build_accounts(world: World) -> None:
    n, rng = world.n_accounts, world.rng
    age_days = rng.exponential(300.0, size=n) + 1.0
    world.registered_ms = (world.start_ms - age_days * MS_PER_DAY).astype(np.int64)
    kyc = rng.choice(4, size=n, p=[0.1, 0.5, 0.3, 0.1])
    vip = rng.choice(10, size=n, p=[0.55, 0.15, 0.1, 0.06, 0.05, 0.04, 0.02, 0.015, 0.01, 0.005])
    world.api_allowed = rng.random(n) < 0.015  # a few ordinary customers have API keys
    ids = world.ids
    has_referrer = rng.random(n) < 0.15
    referrer = np.where(has_referrer, rng.integers(0, n, size=n), -1)
    referrer_ids = ids[np.maximum(referrer, 0)].copy()
    referrer_ids[referrer < 0] = None
    world.tables["accounts_base"] = [
        pd.DataFrame({"kyc_level": kyc, "vip_tier": vip, "referrer_id": referrer_ids})
    ]


def accounts_frame(world: World) -> pd.DataFrame:
    base = world.tables.pop("accounts_base")[0]
    frame = frame_ms({"account_id": world.ids, "registered_at_ms": world.registered_ms})
    frame["kyc_level"] = base["kyc_level"]
    frame["vip_tier"] = base["vip_tier"]
    frame["api_trading_allowed"] = world.api_allowed | world.market_maker
    frame["market_maker"] = world.market_maker
    frame["referrer_id"] = base["referrer_id"]
    return frame


def background_logins(world: World, accounts: np.ndarray) -> None:
    """Every account logs in from its own device and home IP, now and then via a carrier."""
    rng = world.rng
    count = rng.integers(3, 9, size=len(accounts))
    who = np.repeat(accounts, count)
    begin = np.maximum(world.registered_ms[who], world.start_ms - HISTORY_DAYS * MS_PER_DAY)
    ts = begin + (rng.random(len(who)) * (world.end_ms - begin)).astype(np.int64)
    ips = home_ip(world.household_ip[who])
    carriers = max(2, world.n_accounts // 1000)
    on_carrier = rng.random(len(who)) < 0.25
    ips[on_carrier] = [f"100.64.{k}.1" for k in rng.integers(0, carriers, on_carrier.sum())]
    devices = device(who)
    second = rng.random(len(who)) < 0.15  # a second phone or laptop
    devices[second] = device(who[second], "b")
    world.add(
        "logins",
        frame_ms({"account_id": world.ids[who], "ts_ms": ts, "ip": ips, "device_id": devices}),
    )


def background_transfers(world: World, accounts: np.ndarray) -> None:
    """Deposits from the customer's own wallet or from another exchange's hot wallet;
    withdrawals to a wallet the customer has used before."""
    rng = world.rng
    count = rng.integers(1, 4, size=len(accounts))
    who = np.repeat(accounts, count)
    begin = np.maximum(world.registered_ms[who], world.start_ms - HISTORY_DAYS * MS_PER_DAY)
    ts = begin + (rng.random(len(who)) * (world.end_ms - begin)).astype(np.int64)
    address = np.array([f"addr-{v:06d}" for v in who], dtype=object)
    from_hot = rng.random(len(who)) < 0.4  # thousands deposit straight from an exchange
    address[from_hot] = [f"hot-wallet-{k}" for k in rng.integers(0, 3, from_hot.sum())]
    amount = np.round(rng.lognormal(7.5, 1.2, size=len(who)), 2)
    deposits: dict[str, Any] = {
        "account": who,
        "ts": ts,
        "kind": "deposit",
        "amount": amount,
        "address": address,
    }
    outs = rng.choice(accounts, size=len(accounts) // 4, replace=False)
    out_ts = world.start_ms - (rng.random(len(outs)) * HISTORY_DAYS * MS_PER_DAY).astype(np.int64)
    late = rng.random(len(outs)) < 0.2  # some withdraw during the window too
    out_ts[late] = world.start_ms + (rng.random(late.sum()) * world.hours * 3.6e6).astype(np.int64)
    withdrawals: dict[str, Any] = {
        "account": outs,
        "ts": out_ts,
        "kind": "withdrawal",
        "amount": np.round(rng.lognormal(6.5, 1.0, size=len(outs)), 2),
        "address": np.array([f"wd-{v:06d}" for v in outs], dtype=object),
    }
    for part in (deposits, withdrawals):
        add_transfers(world, **part)


def add_transfers(
    world: World,
    *,
    account: np.ndarray,
    ts: np.ndarray,
    kind: str | np.ndarray,
    amount: np.ndarray,
    address: np.ndarray | None = None,
    counterparty: np.ndarray | None = None,
) -> None:
    n = len(account)
    ids = world.ids
    world.add(
        "transfers",
        frame_ms(
            {
                "account_id": ids[account],
                "ts_ms": ts,
                "kind": np.broadcast_to(np.asarray(kind, dtype=object), n),
                "asset": "USDT",
                "amount": amount,
                "address": address if address is not None else np.full(n, None, dtype=object),
                "counterparty_account_id": (
                    ids[counterparty] if counterparty is not None else np.full(n, None, object)
                ),
            }
        ),
    )
