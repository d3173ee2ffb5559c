"""Price paths: a random walk per contract with the moves that plans inject."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .spec import INSTRUMENTS, MS_PER_MIN, MS_PER_S


@dataclass(frozen=True)
class Impulse:
    """A move added to a contract's log price: ramp over [t0, t1], then revert part of it."""

    sym: int
    t0: int
    t1: int
    logret: float
    revert: float = 0.0  # fraction given back after t1
    revert_ms: int = 30 * MS_PER_MIN
    index_too: bool = True  # False: only the contract moves, the spot index does not
    vol_factor: float = 1.0  # extra noise inside [t0, t1]


class PricePaths:
    """Mid and index prices per second of one day-window."""

    def __init__(
        self,
        start: int,
        end: int,
        last: list[float],
        impulses: list[Impulse],
        rng: np.random.Generator,
    ) -> None:
        self.start = start
        self.end = end
        n = (end - start) // MS_PER_S + 1
        secs = np.arange(n, dtype=np.float64)
        self.mid: list[np.ndarray] = []
        self.index: list[np.ndarray] = []
        for s, inst in enumerate(INSTRUMENTS):
            sigma = inst.daily_vol / np.sqrt(86_400.0)
            steps = rng.standard_normal(n) * sigma
            steps[0] = 0.0
            contract_only = np.zeros(n)
            for imp in impulses:
                if imp.sym != s:
                    continue
                a = (imp.t0 - start) / MS_PER_S
                b = max(a + 1.0, (imp.t1 - start) / MS_PER_S)
                shape = np.clip((secs - a) / (b - a), 0.0, 1.0) * imp.logret
                if imp.revert:
                    back = np.clip((secs - b) / (imp.revert_ms / MS_PER_S), 0.0, 1.0)
                    shape -= back * imp.revert * imp.logret
                if imp.vol_factor != 1.0:
                    inside = (secs >= a) & (secs <= b)
                    steps[inside] *= imp.vol_factor
                if imp.index_too:
                    steps += np.diff(shape, prepend=0.0)
                else:
                    contract_only += shape
            walk = np.cumsum(steps)
            base = np.log(last[s]) + walk
            self.index.append(np.exp(base + rng.standard_normal(n) * 0.0001))
            self.mid.append(np.exp(base + contract_only))

    def mid_at(self, sym: int, t: int) -> float:
        i = min(max((t - self.start) // MS_PER_S, 0), len(self.mid[sym]) - 1)
        return float(self.mid[sym][i])

    def mids(self, sym: int, t: np.ndarray) -> np.ndarray:
        i = np.clip((t - self.start) // MS_PER_S, 0, len(self.mid[sym]) - 1)
        return self.mid[sym][i]

    def last(self) -> list[float]:
        return [float(m[-1]) for m in self.mid]

    def minute_marks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(symbol index, ts, mark, index) one row per contract per minute."""
        ts = np.arange(self.start, self.end, MS_PER_MIN, dtype=np.int64)
        i = (ts - self.start) // MS_PER_S
        syms, tss, marks, idxs = [], [], [], []
        for s in range(len(INSTRUMENTS)):
            syms.append(np.full(len(ts), s))
            tss.append(ts)
            # The mark is the fair price: index plus a damped share of the contract's basis.
            marks.append(self.index[s][i] + 0.7 * (self.mid[s][i] - self.index[s][i]))
            idxs.append(self.index[s][i])
        return (
            np.concatenate(syms),
            np.concatenate(tss),
            np.concatenate(marks),
            np.concatenate(idxs),
        )
