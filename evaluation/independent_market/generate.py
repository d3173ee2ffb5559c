"""Generate one market: history days of a population and an evaluated window with truth.

python -m evaluation.independent_market.generate --seed N --out DIR
    [--accounts 3000..10000] [--hours 8..24] [--history-days K] [--scale small]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from .day import run_day
from .ledger import Ledger
from .plan import Plan
from .plans import plant_all
from .population import build_population
from .spec import INSTRUMENTS, MS_PER_DAY, MS_PER_H, iso_one
from .writer import IdCounters, tables, write

BASE_DAY = int(np.datetime64("2026-11-02T00:00:00", "ms").astype(np.int64))
HISTORY_INTENSITY = 0.25


def generate(
    seed: int,
    out: Path,
    accounts: int | None = None,
    hours: int | None = None,
    history_days: int = 3,
    quiet: bool = False,
) -> dict[str, object]:
    t0 = time.time()
    rng = np.random.default_rng(seed)
    n_acc = accounts if accounts is not None else int(rng.integers(3000, 10_001))
    n_hours = hours if hours is not None else int(rng.integers(8, 25))
    day0 = BASE_DAY + int(rng.integers(0, 40)) * MS_PER_DAY
    start = day0 + int(rng.integers(0, 24 - n_hours + 1)) * MS_PER_H
    end = start + n_hours * MS_PER_H
    first = day0 - history_days * MS_PER_DAY
    pop = build_population(n_acc, first, end, rng)
    plans: list[Plan] = plant_all(pop, start, end, rng)
    ledger, ids = Ledger(), IdCounters()
    gpos: dict[int, int] = {}
    last = [i.price * float(rng.uniform(0.9, 1.1)) for i in INSTRUMENTS]
    counts: dict[str, dict[str, int]] = {}
    for k in range(history_days, 0, -1):
        d0 = day0 - k * MS_PER_DAY
        rows = run_day(
            pop, ledger, gpos, d0, d0 + MS_PER_DAY, last, rng, plans, False, HISTORY_INTENSITY
        )
        last = rows.prices.last()
        counts[f"history/day-{k}"] = write(out / "history" / f"day-{k}", tables(rows, pop, ids))
    if start > day0:  # the part of the day before the window: quiet, unrecorded
        last = [p * float(np.exp(rng.normal(0, 0.01))) for p in last]
    rows = run_day(pop, ledger, gpos, start, end, last, rng, plans, True, 1.0)
    counts["window"] = write(out / "window", tables(rows, pop, ids))
    truth = _truth(seed, start, end, plans, pop)
    (out / "truth.json").write_text(json.dumps(truth, indent=1))
    elapsed = time.time() - t0
    if not quiet:
        print(
            json.dumps(
                {
                    "seed": seed,
                    "accounts": n_acc,
                    "hours": n_hours,
                    "seconds": round(elapsed, 1),
                    "rows": counts,
                },
                indent=1,
            )
        )
    return {"accounts": n_acc, "hours": n_hours, "seconds": elapsed, "rows": counts}


def _truth(seed: int, start: int, end: int, plans: list[Plan], pop: object) -> dict[str, object]:
    aid = [a.account_id for a in pop.accounts]  # type: ignore[attr-defined]
    incidents, negatives = [], []
    for p in plans:
        sym = INSTRUMENTS[p.symbol].symbol if p.symbol is not None else None
        accs = [aid[i] for i in p.accounts]
        if p.negative:
            negatives.append(
                {
                    "id": p.id,
                    "kind": p.category,
                    "accounts": accs,
                    "symbol": sym,
                    "imitates": list(p.imitates),
                    "how": p.how,
                }
            )
        else:
            incidents.append(
                {
                    "id": p.id,
                    "category": p.category,
                    "accounts": accs,
                    "symbol": sym,
                    "strength": p.strength,
                    "how": p.how,
                }
            )
    return {
        "seed": seed,
        "window": {"start": iso_one(start), "end": iso_one(end)},
        "incidents": incidents,
        "hard_negatives": negatives,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--accounts", type=int)
    ap.add_argument("--hours", type=int)
    ap.add_argument("--history-days", type=int, default=3)
    ap.add_argument(
        "--scale",
        choices=["default", "small"],
        default="default",
        help="small: 3000 accounts, 8 hours, 1 history day (for tests)",
    )
    a = ap.parse_args(argv)
    accounts, hours, hist = a.accounts, a.hours, a.history_days
    if a.scale == "small":
        accounts, hours, hist = accounts or 3000, hours or 8, min(hist, 1)
    generate(a.seed, a.out, accounts, hours, hist)


if __name__ == "__main__":
    main()
