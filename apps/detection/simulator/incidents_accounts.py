"""Planted abuse around accounts and the platform: theft, bonus farms, combined
positions over the limit, and stressed markets."""

from __future__ import annotations

import numpy as np

from .background import add_positions, add_promotions, counterparties, traders
from .clusters import plant_cluster
from .market import Market, plant_mark_deviation, plant_stress_move
from .population import add_transfers, frame_ms
from .tape import CLOSE, OPEN, Tape
from .world import MS_PER_MINUTE, World


def plant_theft(world: World) -> None:
    """A stranger's device logs in, then the balance leaves to a wallet never used before,
    directly or through a mule account the thief also controls."""
    rng = world.rng
    victim = int(world.claim(1, "inc_theft")[0])
    through_mule = rng.random() < 0.5
    key = len(world.labels)
    t0 = world.span(3 * 3_600_000)
    thief_ip = f"45.{key % 250}.{(key * 7) % 250}.9"
    thief_device = f"thief-dev-{key:05d}"
    amount = float(np.round(rng.uniform(8e3, 1.5e5), 2))
    out_at = t0 + int(rng.integers(5, 90)) * MS_PER_MINUTE
    logins = [(victim, t0)]
    accounts = [victim]
    if through_mule:
        mule = int(world.claim(1, "inc_theft", established=False)[0])
        world.new_group(np.array([victim, mule]))
        accounts.append(mule)
        logins.append((mule, t0 - 600_000))
        add_transfers(
            world,
            account=np.array([victim]),
            ts=np.array([out_at]),
            kind="internal_out",
            amount=np.array([amount]),
            counterparty=np.array([mule]),
        )
        add_transfers(
            world,
            account=np.array([mule]),
            ts=np.array([out_at]),
            kind="internal_in",
            amount=np.array([amount]),
            counterparty=np.array([victim]),
        )
        source, out_at = mule, out_at + int(rng.integers(2, 60)) * MS_PER_MINUTE
        # The thief controls both ends of the transfer: that is common control too.
        world.label("common_control", np.array([victim, mule]), None, "incident")
    else:
        source = victim
    add_transfers(
        world,
        account=np.array([source]),
        ts=np.array([out_at]),
        kind="withdrawal",
        amount=np.array([amount]),
        address=np.array([f"thief-wallet-{key:05d}"], object),
    )
    who = np.array([a for a, _ in logins])
    world.add(
        "logins",
        frame_ms(
            {
                "account_id": world.ids[who],
                "ts_ms": np.array([t for _, t in logins]),
                "ip": np.full(len(who), thief_ip, object),
                "device_id": np.full(len(who), thief_device, object),
            }
        ),
    )
    world.label("account_theft", np.array(accounts), None, "incident")


def plant_bonus_farm(world: World, campaign: int) -> None:
    """Freshly registered accounts of one controller all join one campaign."""
    members = plant_cluster(world, int(world.rng.integers(4, 13)), "inc_promo", new_accounts=True)
    add_promotions(world, members, np.full(len(members), campaign))
    world.label("promo_abuse", members, None, "incident")


def plant_combined_position(world: World, market: Market) -> None:
    rng = world.rng
    members = plant_cluster(world, int(rng.integers(2, 6)), "inc_position")
    symbol = int(rng.integers(0, len(market.symbols)))
    total = rng.uniform(1.1, 2.5) * market.position_limit[symbol]
    shares = rng.dirichlet(np.ones(len(members)))
    # Each account alone stays under the limit; together they are over it.
    shares = np.minimum(shares, 0.9 / (total / market.position_limit[symbol]))
    qty = np.round(shares / shares.sum() * total) * rng.choice([-1, 1])
    first = int(rng.integers(0, max(1, world.hours - 3)))
    hours = np.arange(first, min(world.hours, first + int(rng.integers(2, 6))))
    add_positions(world, market, members, np.full(len(members), symbol), qty, hours=hours)
    world.label("combined_position_limit", members, market.symbols[symbol], "incident")


def plant_market_stress(world: World, market: Market, symbol: int) -> dict[str, int]:
    """A crash or squeeze: sudden move, mark torn from index, a wave of liquidations.
    Each episode shows at least one of the three, chosen at random. Prices change here,
    before any trade is printed; the liquidations follow in ``plant_liquidations``."""
    rng = world.rng
    minutes = world.hours * 60
    minute = int(rng.integers(10, max(11, minutes - 30)))
    signals = rng.random(3) < 0.6
    if not signals.any():
        signals[rng.integers(0, 3)] = True
    direction = int(rng.choice([-1, 1]))
    if signals[0]:
        move = direction * rng.uniform(0.06, 0.15)
        plant_stress_move(market, symbol, minute, move, int(rng.integers(2, 5)))
    if signals[1]:
        gap = direction * rng.uniform(0.012, 0.03)
        plant_mark_deviation(market, symbol, minute, gap, int(rng.integers(5, 11)))
    world.label("market_stress", [], market.symbols[symbol], "incident")
    return {"symbol": symbol, "minute": minute, "direction": direction, "burst": int(signals[2])}


def plant_liquidations(world: World, tape: Tape, episode: dict[str, int]) -> None:
    if not episode["burst"]:
        return
    rng, market = world.rng, tape.market
    symbol, longs = episode["symbol"], episode["direction"] < 0  # a crash liquidates longs
    pool, p = traders(world)
    count = int(rng.integers(25, 121))
    losers = rng.choice(pool, size=count, replace=False)
    ts = world.start_ms + episode["minute"] * MS_PER_MINUTE + rng.integers(0, 90_000, count)
    sym = np.full(count, symbol)
    qty = market.contracts(sym, ts, rng.lognormal(np.log(3000), 0.7, count))
    loss = -market.contract_value(sym, ts) * qty * rng.uniform(0.05, 0.2, count)
    other = counterparties(world, losers, pool, p)
    tape.add_trades(
        symbol=symbol,
        ts=ts,
        qty=qty,
        buyer=other if longs else losers,
        seller=losers if longs else other,
        taker_side=1 if longs else 0,
        taker_type=1,
        reduce_only=True,
        buyer_effect=OPEN if longs else CLOSE,
        seller_effect=CLOSE if longs else OPEN,
        buyer_pnl=0.0 if longs else loss,
        seller_pnl=loss if longs else 0.0,
    )
