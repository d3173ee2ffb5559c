"""Hard negatives: legitimate customers who look like abusers at first sight."""

from __future__ import annotations

import numpy as np

from .background import add_positions, counterparties, traders
from .bursts import burst
from .market import SYMBOL_WEIGHTS, Market
from .tape import API, WEB, Tape
from .world import World


def plant_market_makers(world: World, tape: Tape, count: int) -> np.ndarray:
    """Programme market makers: thousands of cancels, both sides, a couple of incidental
    self-matches. All of it is their job."""
    makers = world.claim(count, "market_maker")
    world.market_maker[makers] = True
    rng = world.rng
    for maker in makers:
        symbols = rng.choice(len(tape.market.symbols), size=3, replace=False, p=SYMBOL_WEIGHTS)
        for symbol in symbols:
            cancels = int(rng.integers(600, 3000))
            created = world.times(cancels, world.start_ms, world.end_ms - world.start_ms)
            side = rng.integers(0, 2, cancels)
            tape.add_orders(
                account=np.full(cancels, maker),
                symbol=symbol,
                side=side,
                order_type=0,
                price=tape.market.mark_at(np.full(cancels, symbol), created)
                * (1 + np.where(side == 0, -1, 1) * 0.0005),
                qty=tape.market.contracts(np.full(cancels, symbol), created, np.full(cancels, 5e3)),
                channel=API,
                created=created,
                cancelled=created + rng.integers(100, 3000, cancels),
            )
        selfs = int(rng.integers(1, 4))  # below the 5-a-day threshold
        ts = world.times(selfs, world.start_ms, world.end_ms - world.start_ms)
        tape.add_trades(
            symbol=int(symbols[0]),
            ts=ts,
            qty=np.ones(selfs),
            buyer=np.full(selfs, maker),
            seller=np.full(selfs, maker),
            buyer_channel=API,
            seller_channel=API,
        )
        burst(
            tape,
            int(maker),
            int(symbols[0]),
            world.span(600_000),
            300,
            5.0,
            channel=API,
            fill_share=0.2,
            cancel_share=0.75,
        )
        world.label("frequent_cancel", [maker], None, "hard_negative")
    return makers


def plant_api_traders(world: World, tape: Tape, count: int) -> None:
    """Authorised algorithmic customers: message rates far above a human's, real fills."""
    traders_ = world.claim(count, "api_trader")
    world.api_allowed[traders_] = True
    for account in traders_:
        symbol = int(world.rng.choice(len(tape.market.symbols), p=SYMBOL_WEIGHTS))
        seconds = float(world.rng.uniform(300, 1200))
        rate = float(world.rng.uniform(3.0, 8.0))
        burst(
            tape,
            int(account),
            symbol,
            world.span(int(seconds * 1000)),
            seconds,
            rate,
            channel=API,
            fill_share=float(world.rng.uniform(0.2, 0.4)),
            cancel_share=0.55,
        )
        world.label("unauthorized_algo", [account], None, "hard_negative")


def plant_whales(world: World, tape: Tape, market: Market, count: int) -> None:
    """Large orders that fill; positions well inside the limit; ordinary win rates."""
    rng = world.rng
    pool, p = traders(world)
    for whale in world.claim(count, "whale"):
        symbol = int(rng.choice(2))  # BTC or ETH, where size lives
        fills = 16
        ts = world.times(fills, world.start_ms, world.end_ms - world.start_ms)
        sym = np.full(fills, symbol)
        qty = market.contracts(sym, ts, rng.uniform(3e5, 1.2e6, fills))
        effect = np.arange(fills) % 2  # open, close, open, close ...
        pnl = np.where(
            effect == 1, market.contract_value(sym, ts) * qty * rng.normal(0, 0.004, fills), 0.0
        )
        other = counterparties(world, np.full(fills, whale), pool, p)
        buys = rng.random(fills) < 0.5
        tape.add_trades(
            symbol=symbol,
            ts=ts,
            qty=qty,
            buyer=np.where(buys, whale, other),
            seller=np.where(buys, other, whale),
            taker_side=np.where(buys, 0, 1),
            buyer_effect=np.where(buys, effect, 0),
            seller_effect=np.where(buys, 0, effect),
            buyer_pnl=np.where(buys, pnl, 0.0),
            seller_pnl=np.where(buys, 0.0, pnl),
        )
        cancels = int(rng.integers(1, 4))  # second thoughts, not spoofing
        created = world.times(cancels, world.start_ms, world.end_ms - world.start_ms - 60_000)
        tape.add_orders(
            account=np.full(cancels, whale),
            symbol=symbol,
            side=rng.integers(0, 2, cancels),
            order_type=0,
            price=market.mark_at(np.full(cancels, symbol), created),
            qty=market.contracts(np.full(cancels, symbol), created, np.full(cancels, 8e5)),
            channel=WEB,
            created=created,
            cancelled=created + 20_000,
        )
        share = rng.uniform(0.3, 0.8)
        add_positions(
            world,
            market,
            np.array([whale]),
            np.array([symbol]),
            np.array([np.round(share * market.position_limit[symbol])]),
        )
        world.label("large_cancel", [whale], None, "hard_negative")
