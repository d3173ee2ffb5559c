"""The parts of one live detection cycle on a day so far, timed.

    python bench/live_cycle.py var/bench/a50000-h24-x1.2-s42 [--share 0.5]

Loads the first ``share`` of the window's trading (by time) into a ``LiveState`` as the
live detector would hold it, then times the day's view, the linking, the coded views and
each rule once. No Redis: the rows go straight into the state.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskdesk.settings")
os.environ.setdefault("DEBUG", "true")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--share", type=float, default=0.5)
    args = parser.parse_args()

    from apps.detection.context import Context
    from apps.detection.feed import read_feed
    from apps.detection.linking import link_window
    from apps.detection.live.state import LiveState
    from apps.detection.rules import RULES, views

    feed = read_feed(args.folder)
    assert feed.orders is not None
    first, last = feed.orders["created_at"].min(), feed.orders["created_at"].max()
    cut = first + (last - first) * args.share
    state = LiveState()
    for table in ("instruments", "accounts", "logins", "transfers", "promotions"):
        if (frame := feed.table(table)) is not None:
            state.add(table, frame)
    for table, column in (("orders", "created_at"), ("trades", "ts"), ("positions", "ts")):
        if (frame := feed.table(table)) is not None:
            state.add(table, frame[frame[column] < cut].reset_index(drop=True))
    if feed.mark_prices is not None:
        marks = feed.mark_prices
        state.add("mark_prices", marks[marks["ts"] < cut].reset_index(drop=True))
    day = next(iter(state.days))
    print(f"load average {os.getloadavg()[0]:.1f}")

    def timed(name: str, work: Any) -> Any:
        began = time.perf_counter()
        result = work()
        print(f"{name:28}{time.perf_counter() - began:8.2f} s")
        return result

    view = timed("day's view", lambda: state.feed(day))
    assert view.orders is not None and view.trades is not None
    print(f"{'':28}{len(view.orders):,} orders, {len(view.trades):,} trades")
    linkage = timed("linking", lambda: link_window(view))
    ctx = Context.build(view, linkage=linkage)
    timed("trades view", lambda: views.trades(ctx))
    timed("orders view", lambda: views.orders(ctx))
    for code, rule in RULES.items():
        kind = "per symbol" if rule.per_symbol else "account-level"
        timed(f"{code} ({kind})", lambda rule=rule: rule.run(ctx, dict(rule.default_params)))


if __name__ == "__main__":
    main()
