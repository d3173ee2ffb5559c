"""Background trading: takers meeting resting orders, quotes, and orders that never fill."""

from __future__ import annotations

import math

import numpy as np

from .book import SPREAD_BPS, DayBook
from .spec import INSTRUMENTS, MS_PER_H

TAKER_EVENTS_PER_ACCOUNT_HOUR = 0.35
RETAIL_RESTING_PER_HOUR = 0.05
MM_QUOTES_PER_ACCOUNT_HOUR = 2.3  # venue-wide quote flow, shared by the market makers
API_ORDERS_PER_HOUR = 25.0
API_CANCEL_CAP = 380  # an API trader's own discipline per contract per day


def active_accounts(book: DayBook) -> np.ndarray:
    """Accounts trading in the background today (plans write the scripted ones)."""
    pop, rng = book.pop, book.rng
    out = [
        a.idx
        for a in pop.accounts
        if a.registered_at < book.start
        and not (book.is_window and a.scripted)
        and rng.random() < a.p_active
    ]
    return np.array(out, dtype=np.int64)


def set_pools(book: DayBook, active: np.ndarray) -> None:
    accs = book.pop.accounts
    for s in range(len(INSTRUMENTS)):
        on = [i for i in active if s in accs[i].symbols]
        mms = [i for i in on if accs[i].mm]
        others = [i for i in on if not accs[i].mm]
        big = mms + [i for i in others if accs[i].kind == "whale"]
        book.maker_pool.append(np.array(mms * max(1, len(others) // max(1, 2 * len(mms))) + others))
        book.big_pool.append(np.array(big))


def takers(book: DayBook, active: np.ndarray, gpos: dict[int, int], intensity: float) -> None:
    """Taker events in time order; each sweeps one to three resting orders."""
    pop, rng, accs = book.pop, book.rng, book.pop.accounts
    ns = len(INSTRUMENTS)
    hours = (book.end - book.start) / MS_PER_H
    n = int(rng.poisson(TAKER_EVENTS_PER_ACCOUNT_HOUR * len(pop.accounts) * hours * intensity))
    w = np.array([i.weight for i in INSTRUMENTS])
    sym = rng.choice(ns, size=n, p=w / w.sum())
    ts = np.sort(rng.integers(book.start + 1_000, book.end - 1_000, size=n))
    acct = np.zeros(n, dtype=np.int64)
    mms: list[list[int]] = []
    rest: list[list[int]] = []
    for s in range(ns):
        cand = np.array([i for i in active if s in accs[i].symbols and not accs[i].mm])
        wt = np.array([accs[i].activity for i in cand])
        at = sym == s
        acct[at] = rng.choice(cand, size=int(at.sum()), p=wt / wt.sum())
        mms.append([i for i in active if accs[i].mm])
        rest.append([i for i in cand if accs[i].kind != "api"])
    typ = np.array([i.typical_qty for i in INSTRUMENTS])
    scale = np.array([a.qty_scale for a in accs])
    qty = np.ceil(typ[sym] * scale[acct] * rng.lognormal(0.0, 0.7, n)).astype(np.int64)
    caps = np.array([a.cap_factor for a in accs])
    mid = np.zeros(n)
    for s in range(ns):
        at = sym == s
        mid[at] = book.prices.mids(s, ts[at])
    u = rng.random((n, 6))
    nmk = 1 + (u[:, 5] > 0.7).astype(int) + (u[:, 5] > 0.92).astype(int)
    olim = [0.3 * i.daily_open_limit for i in INSTRUMENTS]
    opened: dict[int, int] = {}
    cols: dict[str, list[float]] = {
        c: [] for c in ("acct", "sym", "side", "otype", "price", "qty", "created", "cancelled")
    }
    book.flush()
    base = book.n_orders

    def add(a: int, s: int, side: int, price: float, q: int, created: int, canc: int) -> int:
        cols["acct"].append(a)
        cols["sym"].append(s)
        cols["side"].append(side)
        cols["otype"].append(1 if math.isnan(price) else 0)
        cols["price"].append(price)
        cols["qty"].append(q)
        cols["created"].append(created)
        cols["cancelled"].append(canc)
        return base + len(cols["acct"]) - 1

    def bump(a: int, s: int, d: int) -> None:
        key = a * ns + s
        p = gpos.get(key, 0)
        if abs(p + d) > abs(p):
            opened[key] = opened.get(key, 0) + abs(p + d) - abs(p)
        gpos[key] = p + d

    for e in range(n):
        a, s, t, q = int(acct[e]), int(sym[e]), int(ts[e]), int(qty[e])
        key = a * ns + s
        pos = gpos.get(key, 0)
        cap = caps[a] * typ[s]
        over = opened.get(key, 0) >= olim[s]
        if pos != 0 and (over or u[e, 0] < 0.3 + 0.6 * min(1.0, abs(pos) / cap)):
            side = 1 if pos > 0 else 0
            q = abs(pos) if u[e, 1] < 0.5 else min(q, abs(pos))
        elif over:
            continue
        else:
            side = 0 if u[e, 1] < 0.5 else 1
            q = max(1, min(q, int(cap - abs(pos)))) if abs(pos) < cap else 1
        inst = INSTRUMENTS[s]
        pieces = [q] if q < 2 or nmk[e] == 1 else _pieces(q, int(nmk[e]), rng)
        sgn = 1 if side == 0 else -1
        worst = 0.0
        fills: list[tuple[int, float, int]] = []
        for j, piece in enumerate(pieces):
            off = SPREAD_BPS[s] * 1e-4 * (1 + j)
            raw = mid[e] * (1 + sgn * off) / inst.tick
            price = round(
                (math.ceil(raw) if side == 0 else max(1, math.floor(raw))) * inst.tick,
                inst.decimals,
            )
            worst = price
            m = -1
            if u[e, 2] > 0.7 and rest[s]:
                c = rest[s][int(rng.integers(0, len(rest[s])))]
                cp = gpos.get(c * ns + s, 0) - sgn * piece
                if c != a and abs(cp) <= caps[c] * typ[s]:
                    m = c
            if m < 0:
                c1 = mms[s][int(rng.integers(0, len(mms[s])))]
                c2 = mms[s][int(rng.integers(0, len(mms[s])))]
                m = c1 if sgn * gpos.get(c1 * ns + s, 0) >= sgn * gpos.get(c2 * ns + s, 0) else c2
            mmk = accs[m].mm
            created = t - 2 - int(rng.exponential(8_000 if mmk else 600_000))
            if created < book.start:  # rested since before the window: spread, not piled up
                created = book.start + int((t - 2 - book.start) * rng.random())
            extra = 0
            canc = -1
            if rng.random() < 0.25:
                extra = max(1, int(piece * rng.uniform(0.2, 2.0)))
                c_at = t + 5 + int(rng.exponential(3_000 if mmk else 1_200_000))
                canc = c_at if c_at < book.end else -1
            moid = add(m, s, 1 - side, price, piece + extra, created, canc)
            fills.append((moid, price, piece))
            bump(m, s, -sgn * piece)
        limit = u[e, 3] < 0.35
        tprice = round(worst + sgn * inst.tick * int(1 + 3 * u[e, 4]), inst.decimals)
        toid = add(a, s, side, tprice if limit else math.nan, q, t - 5 - int(300 * u[e, 4]), -1)
        bump(a, s, sgn * q)
        for j, (moid, price, piece) in enumerate(fills):
            b, sl = (toid, moid) if side == 0 else (moid, toid)
            book.fill(t + j, s, price, piece, b, sl, side)
    arr = {k: np.array(v) for k, v in cols.items()}
    _finish(book, arr)


def _pieces(q: int, k: int, rng: np.random.Generator) -> list[int]:
    k = min(k, q)
    cuts = sorted(int(c) for c in rng.choice(np.arange(1, q), size=k - 1, replace=False))
    edges = [0, *cuts, q]
    return [edges[i + 1] - edges[i] for i in range(k)]


def _finish(book: DayBook, arr: dict[str, np.ndarray]) -> None:
    accs = book.pop.accounts
    n = len(arr["acct"])
    if n == 0:
        return
    arr["acct"] = arr["acct"].astype(np.int64)
    arr["reduce"] = np.zeros(n, dtype=bool)
    arr["channel"] = np.array([accs[int(i)].channel for i in arr["acct"]])
    for c in ("sym", "side", "otype", "qty", "created", "cancelled"):
        arr[c] = arr[c].astype(np.int64)
    book.bulk_orders(arr)


def resting(book: DayBook, active: np.ndarray, intensity: float) -> None:
    """Quotes of market makers, API traders' orders and retail limits that never fill."""
    rng, accs = book.rng, book.pop.accounts
    hours = (book.end - book.start) / MS_PER_H
    n_acc = len(book.pop.accounts)
    mms = [int(i) for i in active if accs[i].mm]
    parts: list[tuple[int, int, int, float, float, float]] = []  # acct, sym, n, life, lvl, size
    per_mm = MM_QUOTES_PER_ACCOUNT_HOUR * n_acc * hours * intensity / max(1, len(mms))
    w = np.array([i.weight for i in INSTRUMENTS]) ** 0.5
    w = w / w.sum()
    for m in mms:
        for s in range(len(INSTRUMENTS)):
            sz = accs[m].qty_scale * 0.5
            parts.append((m, s, int(rng.poisson(per_mm * w[s])), 6_000.0, 0.5, sz))
    for i in active:
        a = accs[int(i)]
        if a.kind == "api":
            rate = API_ORDERS_PER_HOUR * rng.lognormal(0, 0.4) * hours * intensity
            for s in a.symbols:
                k = min(int(rng.poisson(rate / len(a.symbols))), API_CANCEL_CAP)
                parts.append((a.idx, s, k, 20_000.0, 1.0, a.qty_scale))
        elif not a.mm:
            for s in a.symbols:
                k = int(rng.poisson(RETAIL_RESTING_PER_HOUR * hours * intensity * 3))
                parts.append((a.idx, s, k, 2_400_000.0, 20.0, a.qty_scale))
    n = sum(p[2] for p in parts)
    acct = np.concatenate([np.full(p[2], p[0]) for p in parts]).astype(np.int64)
    sym = np.concatenate([np.full(p[2], p[1]) for p in parts]).astype(np.int64)
    life = np.concatenate([np.full(p[2], p[3]) for p in parts])
    lvl = np.concatenate([np.full(p[2], p[4]) for p in parts])
    size = np.concatenate([np.full(p[2], p[5]) for p in parts])
    created = rng.integers(book.start + 500, book.end - 500, size=n)
    side = rng.integers(0, 2, size=n)
    typ = np.array([i.typical_qty for i in INSTRUMENTS])[sym]
    qty = np.ceil(typ * size * rng.lognormal(0, 0.5, n)).astype(np.int64)
    tick = np.array([i.tick for i in INSTRUMENTS])[sym]
    bps = np.array(SPREAD_BPS)[sym] * 1e-4
    mid = np.zeros(n)
    for s in range(len(INSTRUMENTS)):
        at = sym == s
        mid[at] = book.prices.mids(s, created[at])
    offs = bps * (1 + rng.exponential(lvl))
    raw = np.where(side == 0, mid * (1 - offs), mid * (1 + offs)) / tick
    ticks = np.maximum(1, np.where(side == 0, np.floor(raw), np.ceil(raw)))
    price = np.zeros(n)
    for s, inst in enumerate(INSTRUMENTS):
        at = sym == s
        price[at] = np.round(ticks[at] * inst.tick, inst.decimals)
    cancelled = created + 50 + rng.exponential(life).astype(np.int64)
    cancelled = np.where(cancelled < book.end, cancelled, -1)
    order = np.argsort(created, kind="stable")
    arr = {
        "acct": acct[order],
        "sym": sym[order],
        "side": side[order],
        "otype": np.zeros(n, dtype=np.int64),
        "price": price[order],
        "qty": qty[order],
        "created": created[order],
        "cancelled": cancelled[order],
    }
    _finish(book, arr)
