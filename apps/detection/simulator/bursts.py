"""Bursts of machine-speed order flow: authorised API traders, market makers and the
unauthorised scripts the desk must find all look like this on the tape."""

from __future__ import annotations

import numpy as np

from .background import counterparties, traders
from .tape import CLOSE, NONE, Tape


def burst(
    tape: Tape,
    account: int,
    symbol: int,
    start_ms: int,
    seconds: float,
    messages_per_second: float,
    *,
    channel: int,
    fill_share: float,
    cancel_share: float,
) -> None:
    """Orders and cancels at ``messages_per_second`` (a cancel is a message too)."""
    world, market, rng = tape.world, tape.market, tape.world.rng
    orders = int(messages_per_second * seconds / (1 + cancel_share))
    created = world.times(orders, start_ms, int(seconds * 1000))
    fate = rng.random(orders)
    filled = fate < fill_share
    cancelled = (fate >= fill_share) & (fate < fill_share + cancel_share)
    sides = rng.integers(0, 2, size=orders)
    qty = market.contracts(
        np.full(orders, symbol), created, rng.lognormal(np.log(800), 0.6, orders)
    )
    rest = ~filled
    away = rng.uniform(0.0002, 0.002, size=orders) * np.where(sides == 0, -1, 1)
    tape.add_orders(
        account=np.full(rest.sum(), account),
        symbol=symbol,
        side=sides[rest],
        order_type=0,
        price=market.mark_at(np.full(orders, symbol), created)[rest] * (1 + away[rest]),
        qty=qty[rest],
        channel=channel,
        created=created[rest],
        cancelled=np.where(
            cancelled[rest], created[rest] + rng.integers(200, 5000, rest.sum()), NONE
        ),
    )
    k = int(filled.sum())
    pool, p = traders(world)
    other = counterparties(world, np.full(k, account), pool, p)
    buys = sides[filled] == 0
    effect = (rng.random(k) < 0.5).astype(int)
    pnl = market.contract_value(np.full(k, symbol), created[filled]) * qty[filled]
    pnl = np.where(effect == CLOSE, pnl * rng.normal(0, 0.002, k), 0.0)
    tape.add_trades(
        symbol=symbol,
        ts=created[filled],
        qty=qty[filled],
        buyer=np.where(buys, account, other),
        seller=np.where(buys, other, account),
        taker_side=np.where(buys, 0, 1),
        buyer_effect=np.where(buys, effect, 0),
        seller_effect=np.where(buys, 0, effect),
        buyer_pnl=np.where(buys, pnl, 0.0),
        seller_pnl=np.where(buys, 0.0, pnl),
        buyer_channel=np.where(buys, channel, 0),
        seller_channel=np.where(buys, 0, channel),
    )
