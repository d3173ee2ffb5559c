"""Fills of one account against the crowd: the building block of most incidents."""

from __future__ import annotations

import numpy as np

from .background import counterparties, traders
from .tape import WEB, Tape


def fills_against_crowd(
    tape: Tape,
    account: int,
    symbol: int,
    ts: np.ndarray,
    qty: np.ndarray,
    *,
    buys: np.ndarray,
    effect: np.ndarray | int = 0,
    pnl: np.ndarray | float = 0.0,
    channel: int = WEB,
    reduce_only: bool = False,
) -> None:
    n = len(ts)
    pool, p = traders(tape.world)
    other = counterparties(tape.world, np.full(n, account), pool, p)
    effect = np.broadcast_to(np.asarray(effect), n)
    pnl = np.broadcast_to(np.asarray(pnl, dtype=float), n)
    tape.add_trades(
        symbol=symbol,
        ts=ts,
        qty=qty,
        buyer=np.where(buys, account, other),
        seller=np.where(buys, other, account),
        taker_side=np.where(buys, 0, 1),
        buyer_effect=np.where(buys, effect, 0),
        seller_effect=np.where(buys, 0, effect),
        buyer_pnl=np.where(buys, pnl, 0.0),
        seller_pnl=np.where(buys, 0.0, pnl),
        buyer_channel=np.where(buys, channel, WEB),
        seller_channel=np.where(buys, WEB, channel),
        reduce_only=reduce_only,
    )
