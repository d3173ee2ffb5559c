"""The rows of one day-window, and the small verbs plans use to write them."""

from __future__ import annotations

import numpy as np

from .population import Population
from .prices import PricePaths
from .spec import INSTRUMENTS, Instrument, round_price

SPREAD_BPS = (0.5, 0.8, 1.5, 2.0, 2.0, 5.0, 5.0)
ORDER_COLS = (
    "acct",
    "sym",
    "side",
    "otype",
    "price",
    "qty",
    "reduce",
    "channel",
    "created",
    "cancelled",
)


def split_qty(qty: int, k: int, rng: np.random.Generator) -> list[int]:
    """`qty` contracts in `k` positive integer pieces (fewer if qty < k)."""
    k = max(1, min(k, qty))
    cuts: list[int] = []
    if k > 1:
        cuts = sorted(int(c) for c in rng.choice(np.arange(1, qty), size=k - 1, replace=False))
    edges = [0, *[int(c) for c in cuts], qty]
    return [edges[i + 1] - edges[i] for i in range(k)]


class DayBook:
    """Orders, fills, logins, transfers and promotions of one day-window."""

    def __init__(
        self,
        start: int,
        end: int,
        pop: Population,
        prices: PricePaths,
        rng: np.random.Generator,
        is_window: bool,
    ) -> None:
        self.start, self.end, self.pop, self.prices, self.rng = start, end, pop, prices, rng
        self.is_window = is_window
        self.chunks: list[dict[str, np.ndarray]] = []
        self.pending: dict[str, list[object]] = {c: [] for c in ORDER_COLS}
        self.n_orders = 0
        self.fills: dict[str, list[float]] = {
            c: [] for c in ("ts", "sym", "price", "qty", "boid", "soid", "taker")
        }
        self.logins: list[tuple[int, int, str, str]] = []
        self.transfers: list[tuple[int, int, str, float, str | None, int]] = []
        self.promos: list[tuple[str, int, int, float, str, int]] = []
        self.manual_login: set[int] = set()
        self.maker_pool: list[np.ndarray] = []  # per symbol: accounts that rest orders
        self.big_pool: list[np.ndarray] = []  # per symbol: market makers and whales
        self.order_owner: list[int] = []

    # ---- orders and fills -------------------------------------------------------------
    def order(
        self,
        acct: int,
        sym: int,
        side: int,
        price: float | None,
        qty: int,
        created: int,
        cancelled: int = -1,
        channel: str | None = None,
        reduce_only: bool = False,
    ) -> int:
        p = self.pending
        p["acct"].append(acct)
        p["sym"].append(sym)
        p["side"].append(side)
        p["otype"].append(1 if price is None else 0)
        p["price"].append(np.nan if price is None else price)
        p["qty"].append(int(qty))
        p["reduce"].append(reduce_only)
        p["channel"].append(channel or self.pop.accounts[acct].channel)
        p["created"].append(int(created))
        p["cancelled"].append(int(cancelled))
        self.n_orders += 1
        return self.n_orders - 1

    def bulk_orders(self, cols: dict[str, np.ndarray]) -> np.ndarray:
        self.flush()
        n = len(cols["acct"])
        self.chunks.append(cols)
        ids = np.arange(self.n_orders, self.n_orders + n)
        self.n_orders += n
        return ids

    def flush(self) -> None:
        if self.pending["acct"]:
            self.chunks.append({c: np.array(v) for c, v in self.pending.items()})
            self.pending = {c: [] for c in ORDER_COLS}

    def fill(
        self, ts: int, sym: int, price: float, qty: int, boid: int, soid: int, taker: int
    ) -> None:
        f = self.fills
        for key, value in (
            ("ts", ts),
            ("sym", sym),
            ("price", price),
            ("qty", qty),
            ("boid", boid),
            ("soid", soid),
            ("taker", taker),
        ):
            f[key].append(value)

    # ---- prices -----------------------------------------------------------------------
    def touch(self, sym: int, t: int, side: int, level: int = 0) -> float:
        """Best price a taker on `side` meets (ask for a buy), `level` levels deeper."""
        inst = INSTRUMENTS[sym]
        mid = self.prices.mid_at(sym, t)
        off = SPREAD_BPS[sym] * 1e-4 * (1 + level)
        return round_price(mid * (1 + off) if side == 0 else mid * (1 - off), inst, side == 0)

    def away(self, sym: int, t: int, side: int, frac: float) -> float:
        """A price `frac` away from the mid, on the passive side of an order of `side`."""
        mid = self.prices.mid_at(sym, t)
        return round_price(mid * (1 - frac) if side == 0 else mid * (1 + frac), INSTRUMENTS[sym])

    # ---- verbs for plans --------------------------------------------------------------
    def cross(
        self,
        ts: int,
        sym: int,
        price: float,
        qty: int,
        taker: int,
        maker: int,
        taker_side: int,
        taker_channel: str | None = None,
        maker_delay: int | None = None,
        maker_oid: int | None = None,
    ) -> tuple[int, int]:
        """`taker` hits a resting order of `maker` at `price`; orders made unless given."""
        if maker_oid is None:
            delay = maker_delay if maker_delay is not None else int(self.rng.exponential(15_000))
            maker_oid = self.order(maker, sym, 1 - taker_side, price, qty, self.before(ts, delay))
        toid = self.order(
            taker,
            sym,
            taker_side,
            price,
            qty,
            ts - int(self.rng.integers(1, 80)),
            channel=taker_channel,
        )
        b, s = (toid, maker_oid) if taker_side == 0 else (maker_oid, toid)
        self.fill(ts, sym, price, qty, b, s, taker_side)
        return toid, maker_oid

    def counterparty(self, sym: int, piece: int, exclude: set[int]) -> int:
        inst: Instrument = INSTRUMENTS[sym]
        pool = self.big_pool[sym] if piece > 20 * inst.typical_qty else self.maker_pool[sym]
        for _ in range(20):
            c = int(pool[self.rng.integers(0, len(pool))])
            if c not in exclude:
                return c
        raise RuntimeError("no counterparty")

    def take(
        self,
        ts: int,
        sym: int,
        acct: int,
        side: int,
        qty: int,
        channel: str | None = None,
        exclude: set[int] | None = None,
        price_shift: float = 0.0,
        reduce_only: bool = False,
    ) -> int:
        """`acct` sends a market order of `qty` that sweeps resting orders of the pool."""
        inst = INSTRUMENTS[sym]
        excl = {acct} | (exclude or set())
        piece = max(int(inst.typical_qty * self.rng.uniform(1, 4)), -(-qty // 40))
        pieces = split_qty(qty, -(-qty // piece), self.rng)
        oid = self.order(
            acct,
            sym,
            side,
            None,
            qty,
            ts - int(self.rng.integers(1, 60)),
            channel=channel,
            reduce_only=reduce_only,
        )
        for j, q in enumerate(pieces):
            price = self.touch(sym, ts, side, min(j, 6))
            if price_shift:
                price = round_price(price * (1 + price_shift), inst)
            maker = self.counterparty(sym, q, excl)
            moid = self.order(
                maker, sym, 1 - side, price, q, self.before(ts, int(self.rng.exponential(20_000)))
            )
            b, s = (oid, moid) if side == 0 else (moid, oid)
            self.fill(ts + j, sym, price, q, b, s, side)
        return oid

    def provide(
        self,
        ts: int,
        sym: int,
        acct: int,
        side: int,
        qty: int,
        price: float,
        over_ms: int = 60_000,
        exclude: set[int] | None = None,
        channel: str | None = None,
    ) -> int:
        """`acct` rests a limit order that pool takers fill in pieces over `over_ms`."""
        excl = {acct} | (exclude or set())
        oid = self.order(acct, sym, side, price, qty, ts, channel=channel)
        k = max(1, min(qty, int(self.rng.integers(1, 5))))
        times = np.sort(self.rng.integers(ts + 50, ts + over_ms, size=k))
        for q, t in zip(split_qty(qty, k, self.rng), times, strict=False):
            taker = self.counterparty(sym, q, excl)
            toid = self.order(taker, sym, 1 - side, None, q, int(t) - 20)
            b, s = (oid, toid) if side == 0 else (toid, oid)
            self.fill(int(t), sym, price, q, b, s, 1 - side)
        return oid

    def login(self, acct: int, ts: int, ip: str, device: str) -> None:
        self.logins.append((acct, int(ts), ip, device))

    def transfer(
        self, acct: int, ts: int, kind: str, amount: float, address: str | None = None, cp: int = -1
    ) -> None:
        self.transfers.append((acct, int(ts), kind, round(float(amount), 2), address, cp))

    def internal(self, ts: int, src: int, dst: int, amount: float) -> None:
        self.transfer(src, ts, "internal_out", amount, cp=dst)
        self.transfer(dst, ts, "internal_in", amount, cp=src)

    def promo(
        self, campaign: str, acct: int, joined: int, reward: float, kind: str, paid: int = -1
    ) -> None:
        self.promos.append((campaign, acct, int(joined), round(reward, 2), kind, int(paid)))

    def before(self, ts: int, delay: int) -> int:
        """`delay` ms before `ts`, but inside the window and strictly before `ts`."""
        t = ts - 1 - delay
        return t if t >= self.start else self.start + int((ts - 1 - self.start) * self.rng.random())

    def at(self, lo: float, hi: float) -> int:
        """A random time between fractions `lo` and `hi` of the window."""
        span = self.end - self.start
        return int(self.start + span * self.rng.uniform(lo, hi))
