"""Position keeping: each fill's open/close effect and realized PnL, and snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .spec import INSTRUMENTS

NS = len(INSTRUMENTS)
CS = [i.contract_size for i in INSTRUMENTS]


@dataclass
class Ledger:
    """Positions carried from day to day: key acct * NS + sym -> [qty, entry]."""

    pos: dict[int, list[float]] = field(default_factory=dict)

    def apply(self, key: int, d: int, price: float) -> tuple[int, float]:
        """Book a signed fill; returns (1 if it closed anything else 0, realized pnl)."""
        p, e = self.pos.get(key, (0, 0.0))
        if p == 0 or (p > 0) == (d > 0):
            new = p + d
            self.pos[key] = [new, (abs(p) * e + abs(d) * price) / abs(new)]
            return 0, 0.0
        c = min(abs(d), abs(p))
        pnl = (price - e) * c * CS[key % NS] * (1 if p > 0 else -1)
        new = p + d
        entry = 0.0 if new == 0 else (e if (new > 0) == (p > 0) else price)
        if new == 0:
            self.pos.pop(key, None)
        else:
            self.pos[key] = [new, entry]
        return 1, pnl

    def snapshot(self, ts: int) -> list[tuple[int, int, int, int, float]]:
        return [(ts, k // NS, k % NS, int(v[0]), v[1]) for k, v in self.pos.items() if v[0]]


def settle(
    ledger: Ledger, owner: np.ndarray, fills: dict[str, list[float]], snap_times: list[int]
) -> tuple[dict[str, np.ndarray], list[tuple[int, int, int, int, float]]]:
    """Run the day's fills in time order; split a fill where a side's position crosses 0."""
    ts = np.array(fills["ts"], dtype=np.int64)
    order = np.argsort(ts, kind="stable")
    cols = (
        "ts",
        "sym",
        "price",
        "qty",
        "boid",
        "soid",
        "buyer",
        "seller",
        "taker",
        "beff",
        "seff",
        "bpnl",
        "spnl",
    )
    out: dict[str, list[float]] = {c: [] for c in cols}
    snaps: list[tuple[int, int, int, int, float]] = []
    pending = sorted(snap_times)
    f = fills
    for i in order:
        t = int(f["ts"][i])
        while pending and pending[0] <= t:
            snaps.extend(ledger.snapshot(pending.pop(0)))
        s, price, q = int(f["sym"][i]), float(f["price"][i]), int(f["qty"][i])
        bo, so = int(f["boid"][i]), int(f["soid"][i])
        b, sl = int(owner[bo]), int(owner[so])
        kb, ks = b * NS + s, sl * NS + s
        if b == sl:
            segs = [q]
        else:
            qb = ledger.pos.get(kb, (0, 0.0))[0]
            qs = ledger.pos.get(ks, (0, 0.0))[0]
            cuts = {c for c in (-qb if qb < 0 else 0, qs if qs > 0 else 0) if 0 < c < q}
            edges = [0, *sorted(int(c) for c in cuts), q]
            segs = [edges[k + 1] - edges[k] for k in range(len(edges) - 1)]
        for seg in segs:
            be, bp = ledger.apply(kb, seg, price)
            se, sp = ledger.apply(ks, -seg, price)
            for key, value in (
                ("ts", t),
                ("sym", s),
                ("price", price),
                ("qty", seg),
                ("boid", bo),
                ("soid", so),
                ("buyer", b),
                ("seller", sl),
                ("taker", f["taker"][i]),
                ("beff", be),
                ("seff", se),
                ("bpnl", round(bp, 6)),
                ("spnl", round(sp, 6)),
            ):
                out[key].append(value)
    for p in pending:
        snaps.extend(ledger.snapshot(p))
    arrays = {c: np.array(v) for c, v in out.items()}
    return arrays, snaps
