"""Ordinary trading: the bulk of the tape, generated in a few vectorised draws."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .market import SYMBOL_WEIGHTS, Market
from .population import frame_ms
from .tape import API, APP, CLOSE, NONE, WEB, Tape
from .world import World

TRADER_ROLES = ("background", "household", "cluster")


def traders(world: World) -> tuple[np.ndarray, np.ndarray]:
    """Accounts that trade in the background, and how active each one is."""
    accounts = np.flatnonzero(np.isin(world.role, TRADER_ROLES))
    weight = world.rng.lognormal(0.0, 1.0, size=len(accounts))
    return accounts, weight / weight.sum()


def counterparties(world: World, buyer: np.ndarray, pool: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Sellers for ``buyer``: never the same account, household or controlled cluster."""
    seller = world.rng.choice(pool, size=len(buyer), p=p)
    for _ in range(20):
        same = (seller == buyer) | (
            (world.group[seller] == world.group[buyer]) & (world.group[buyer] > 0)
        )
        if not same.any():
            break
        seller[same] = world.rng.choice(pool, size=int(same.sum()), p=p)
    return seller


def channels(world: World, accounts: np.ndarray) -> np.ndarray:
    channel = np.where(world.rng.random(len(accounts)) < 0.5, WEB, APP)
    api = world.api_allowed[accounts] & (world.rng.random(len(accounts)) < 0.7)
    return np.where(api, API, channel)


def background_trades(world: World, tape: Tape, per_account_hour: float) -> None:
    rng, market = world.rng, tape.market
    pool, p = traders(world)
    n = int(per_account_hour * world.n_accounts * world.hours)
    buyer = rng.choice(pool, size=n, p=p)
    seller = counterparties(world, buyer, pool, p)
    makers = np.flatnonzero(world.market_maker)
    if len(makers):
        # Market makers provide the other side of a third of the flow, on both sides.
        quoted = rng.random(n) < 0.3
        buy_side = rng.random(n) < 0.5
        buyer = np.where(quoted & buy_side, rng.choice(makers, n), buyer)
        seller = np.where(quoted & ~buy_side, rng.choice(makers, n), seller)
    symbol = rng.choice(len(market.symbols), size=n, p=SYMBOL_WEIGHTS)
    ts = world.start_ms + rng.integers(0, world.end_ms - world.start_ms, size=n)
    notional = rng.lognormal(np.log(1500.0), 1.0, size=n)
    qty = market.contracts(symbol, ts, notional)
    buyer_effect = (rng.random(n) < 0.45).astype(int)
    seller_effect = (rng.random(n) < 0.45).astype(int)
    swing = market.contract_value(symbol, ts) * qty * rng.normal(0.0, 0.004, size=(2, n))
    tape.add_trades(
        symbol=symbol,
        ts=ts,
        qty=qty,
        buyer=buyer,
        seller=seller,
        taker_type=(rng.random(n) < 0.6).astype(int),
        buyer_effect=buyer_effect,
        seller_effect=seller_effect,
        buyer_pnl=np.where(buyer_effect == CLOSE, swing[0], 0.0),
        seller_pnl=np.where(seller_effect == CLOSE, swing[1], 0.0),
        buyer_channel=np.where(world.market_maker[buyer], API, channels(world, buyer)),
        seller_channel=np.where(world.market_maker[seller], API, channels(world, seller)),
    )
    resting_orders(world, tape, pool, p, int(1.3 * n))


def resting_orders(world: World, tape: Tape, pool: np.ndarray, p: np.ndarray, n: int) -> None:
    """Limit orders that never fill: most are cancelled after a while, some stay open."""
    rng, market = world.rng, tape.market
    account = rng.choice(pool, size=n, p=p)
    symbol = rng.choice(len(market.symbols), size=n, p=SYMBOL_WEIGHTS)
    created = world.start_ms + rng.integers(0, world.end_ms - world.start_ms, size=n)
    side = rng.integers(0, 2, size=n)
    away = rng.uniform(0.001, 0.01, size=n) * np.where(side == 0, -1, 1)
    life = rng.exponential(120_000, size=n).astype(np.int64)
    tape.add_orders(
        account=account,
        symbol=symbol,
        side=side,
        order_type=0,
        price=market.mark_at(symbol, created) * (1 + away),
        qty=market.contracts(symbol, created, rng.lognormal(np.log(1500.0), 1.0, size=n)),
        channel=channels(world, account),
        created=created,
        cancelled=np.where(rng.random(n) < 0.8, created + life, NONE),
    )


def background_positions(world: World, market: Market) -> None:
    """Hourly snapshots of small positions for a share of the traders."""
    rng = world.rng
    pool, _ = traders(world)
    holders = rng.choice(pool, size=len(pool) // 3, replace=False)
    symbol = rng.choice(len(market.symbols), size=len(holders), p=SYMBOL_WEIGHTS)
    notional = rng.lognormal(np.log(5000.0), 1.0, size=len(holders))
    qty = market.contracts(symbol, np.full(len(holders), world.start_ms), notional)
    qty *= np.where(rng.random(len(holders)) < 0.5, 1, -1)
    add_positions(world, market, holders, symbol, qty, every_hours=4)


def add_positions(
    world: World,
    market: Market,
    account: np.ndarray,
    symbol: np.ndarray,
    qty: np.ndarray,
    *,
    every_hours: int = 1,
    hours: np.ndarray | None = None,
) -> None:
    steps = np.arange(0, world.hours, every_hours) if hours is None else hours
    k = len(steps)
    ts = np.tile(world.start_ms + steps * 3_600_000, len(account))
    who, sym, size = np.repeat(account, k), np.repeat(symbol, k), np.repeat(qty, k)
    mark = market.mark_at(sym, ts)
    entry = mark * (1 + world.rng.normal(0, 0.01, size=len(ts)))
    value = np.abs(size) * market.contract_size[sym]
    leverage = world.rng.choice([5.0, 10.0, 20.0], size=len(ts))
    frame = frame_ms({"ts_ms": ts, "account_id": world.ids[who]})
    frame["symbol"] = np.array(market.symbols)[sym]
    frame["qty"] = size
    frame["entry_price"] = market.round_price(sym, entry)
    frame["leverage"] = leverage
    frame["margin"] = np.round(value * entry / leverage, 2)
    frame["unrealized_pnl"] = np.round(size * market.contract_size[sym] * (mark - entry), 2)
    world.add("positions", frame)


def background_promotions(world: World, campaigns: int = 4) -> None:
    rng = world.rng
    pool, _ = traders(world)
    joined = rng.choice(pool, size=max(1, len(pool) // 20), replace=False)
    add_promotions(world, joined, rng.integers(0, campaigns, size=len(joined)))


def add_promotions(world: World, accounts: np.ndarray, campaign: np.ndarray) -> None:
    rng = world.rng
    n = len(accounts)
    joined = world.start_ms + rng.integers(0, world.end_ms - world.start_ms, size=n)
    joined = np.maximum(joined, world.registered_ms[accounts] + 60_000)
    paid = joined + rng.integers(3_600_000, 4 * 3_600_000, size=n)
    kinds = np.array(["trial_fund", "fee_rebate", "deposit_bonus"], dtype=object)
    kind = kinds[campaign % 3]
    frame = frame_ms(
        {
            "campaign_id": np.array([f"CAMP-{c:03d}" for c in campaign], dtype=object),
            "account_id": world.ids[accounts],
            "joined_at_ms": joined,
            "reward": np.round(rng.uniform(10, 100, size=n), 2),
            "reward_kind": kind,
            "paid_at_ms": np.where(paid < world.end_ms, paid, np.nan),
        }
    )
    world.add("promotions", frame)


def positions_frame(world: World) -> pd.DataFrame:
    frame = pd.concat(world.tables.pop("positions"), ignore_index=True)
    return frame.sort_values(["ts", "account_id"], kind="stable", ignore_index=True)
