"""Planted abuse on the order book, one planter per category, each of varying strength.

Strengths start just past the thresholds the rules use (docs/detection.md) and reach far
beyond them, so severity and score have something to grade.
"""

from __future__ import annotations

import numpy as np

from .bursts import burst
from .clusters import plant_cluster
from .fills import fills_against_crowd
from .market import SYMBOL_WEIGHTS
from .tape import APP, CLOSE, OPEN, WEB, Tape
from .world import World

HOUR = 3_600_000


def _symbol(tape: Tape) -> int:
    return int(tape.world.rng.choice(len(tape.market.symbols), p=SYMBOL_WEIGHTS))


def _span(world: World, hours: float) -> tuple[int, int]:
    duration = int(min(hours * HOUR, world.hours * HOUR * 0.9))
    return world.span(duration), duration


def plant_self_trades(world: World, tape: Tape) -> None:
    account = int(world.claim(1, "inc_self_trade")[0])
    symbol, count = _symbol(tape), int(world.rng.integers(6, 41))
    start, duration = _span(world, world.rng.uniform(1, 6))
    ts = world.times(count, start, duration)
    qty = tape.market.contracts(np.full(count, symbol), ts, world.rng.uniform(500, 5000, count))
    tape.add_trades(
        symbol=symbol, ts=ts, qty=qty, buyer=np.full(count, account), seller=np.full(count, account)
    )
    world.label("self_trade", [account], tape.market.symbols[symbol], "incident")


def _cluster_pairs(world: World, members: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Buyer/seller pairs inside a cluster that involve every member."""
    m = len(members)
    buyer = members[np.arange(count) % m]
    shift = 1 + world.rng.integers(0, m - 1, size=count) if m > 2 else np.ones(count, int)
    seller = members[(np.arange(count) + shift) % m]
    return buyer, seller


def plant_mutual_trades(world: World, tape: Tape) -> None:
    members = plant_cluster(world, int(world.rng.integers(2, 6)), "inc_mutual")
    symbol = _symbol(tape)
    count = int(world.rng.integers(max(8, 2 * len(members)), 61))
    start, duration = _span(world, world.rng.uniform(1, 8))
    ts = world.times(count, start, duration)
    buyer, seller = _cluster_pairs(world, members, count)
    qty = tape.market.contracts(np.full(count, symbol), ts, world.rng.uniform(500, 8000, count))
    tape.add_trades(symbol=symbol, ts=ts, qty=qty, buyer=buyer, seller=seller)
    world.label("linked_mutual_trade", members, tape.market.symbols[symbol], "incident")


def plant_matched_trades(world: World, tape: Tape) -> None:
    """Linked accounts print trades ever further from the mark to drag the price."""
    rng = world.rng
    members = plant_cluster(world, int(rng.integers(2, 5)), "inc_matched")
    symbol = _symbol(tape)
    count = int(rng.integers(max(6, 2 * len(members)), 31))
    start, duration = _span(world, rng.uniform(0.05, 0.25))
    ts = world.times(count, start, duration)
    push = np.linspace(0.007, rng.uniform(0.012, 0.04), count) * rng.choice([-1, 1])
    price = tape.market.mark_at(np.full(count, symbol), ts) * (1 + push)
    buyer, seller = _cluster_pairs(world, members, count)
    qty = tape.market.contracts(np.full(count, symbol), ts, rng.uniform(2000, 20000, count))
    tape.add_trades(symbol=symbol, ts=ts, qty=qty, buyer=buyer, seller=seller, price=price)
    world.label("matched_trade_price", members, tape.market.symbols[symbol], "incident")


def plant_frequent_cancels(world: World, tape: Tape) -> None:
    rng, market = world.rng, tape.market
    account = int(world.claim(1, "inc_frequent_cancel")[0])
    symbol, cancels = _symbol(tape), int(rng.integers(520, 3001))
    start, duration = _span(world, rng.uniform(6, 18))
    created = world.times(cancels, start, duration)
    side = rng.integers(0, 2, cancels)
    tape.add_orders(
        account=np.full(cancels, account),
        symbol=symbol,
        side=side,
        order_type=0,
        price=market.mark_at(np.full(cancels, symbol), created)
        * (1 + np.where(side == 0, -1, 1) * 0.0003),
        qty=market.contracts(np.full(cancels, symbol), created, np.full(cancels, 1e3)),
        channel=rng.choice([WEB, APP]),
        created=created,
        cancelled=created + rng.integers(500, 10_000, cancels),
    )
    fills = int(cancels * rng.uniform(0.0, 0.05))
    if fills:
        ts = world.times(fills, start, duration)
        qty = market.contracts(np.full(fills, symbol), ts, np.full(fills, 1e3))
        fills_against_crowd(tape, account, symbol, ts, qty, buys=rng.random(fills) < 0.5)
    world.label("frequent_cancel", [account], market.symbols[symbol], "incident")


def plant_large_cancels(world: World, tape: Tape) -> None:
    """Spoofing: large orders that are pulled within seconds, again and again."""
    rng, market = world.rng, tape.market
    account = int(world.claim(1, "inc_large_cancel")[0])
    symbol, count = _symbol(tape), int(rng.integers(12, 61))
    start, duration = _span(world, rng.uniform(1, 8))
    created = world.times(count, start, duration)
    side = rng.integers(0, 2, count)
    tape.add_orders(
        account=np.full(count, account),
        symbol=symbol,
        side=side,
        order_type=0,
        price=market.mark_at(np.full(count, symbol), created)
        * (1 + np.where(side == 0, -1, 1) * 0.001),
        qty=market.contracts(np.full(count, symbol), created, rng.uniform(4e5, 3e6, count)),
        channel=WEB,
        created=created,
        cancelled=created + rng.integers(1000, 20_000, count),
    )
    world.label("large_cancel", [account], market.symbols[symbol], "incident")


def plant_daily_open(world: World, tape: Tape) -> None:
    rng, market = world.rng, tape.market
    account = int(world.claim(1, "inc_daily_open")[0])
    symbol, fills = _symbol(tape), int(rng.integers(20, 61))
    start, duration = _span(world, rng.uniform(2, 12))
    ts = world.times(fills, start, duration)
    target = market.daily_open_limit[symbol] * rng.uniform(1.05, 3.0)
    qty = np.maximum(1.0, np.round(np.full(fills, target / fills) + 1))
    # Alternating sides (hedge mode) keeps the net position small: only the opening counts.
    fills_against_crowd(tape, account, symbol, ts, qty, buys=np.arange(fills) % 2 == 0, effect=OPEN)
    world.label("daily_open_limit", [account], market.symbols[symbol], "incident")


def plant_unauthorized_algo(world: World, tape: Tape) -> None:
    rng = world.rng
    account = int(world.claim(1, "inc_algo")[0])
    symbol = _symbol(tape)
    seconds = float(rng.uniform(300, 1500))
    burst(
        tape,
        account,
        symbol,
        world.span(int(seconds * 1000)),
        seconds,
        float(rng.uniform(3.0, 8.0)),
        channel=int(rng.choice([WEB, APP])),
        fill_share=0.55,
        cancel_share=0.3,
    )
    world.label("unauthorized_algo", [account], None, "incident")


def plant_abnormal_pnl(world: World, tape: Tape) -> None:
    """Near-perfect win rate and outsized profit: a loophole being milked."""
    rng, market = world.rng, tape.market
    account = int(world.claim(1, "inc_pnl")[0])
    symbol, closes = _symbol(tape), int(rng.integers(15, 51))
    start, duration = _span(world, rng.uniform(2, 12))
    profit = rng.uniform(6e4, 4e5)
    per_fill = profit / closes
    notional = min(per_fill / 0.08, 0.4 * 2e7 / closes)
    ts = world.times(2 * closes, start, duration)
    qty = market.contracts(np.full(2 * closes, symbol), ts, np.full(2 * closes, notional))
    effect = np.arange(2 * closes) % 2  # open then close
    wins = rng.random(2 * closes) < rng.uniform(0.9, 1.0)
    pnl = np.where(effect == CLOSE, np.where(wins, per_fill, -0.2 * per_fill), 0.0)
    fills_against_crowd(tape, account, symbol, ts, qty, buys=effect == OPEN, effect=effect, pnl=pnl)
    world.label("abnormal_pnl", [account], None, "incident")
