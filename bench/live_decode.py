"""Decoding the live feed's entries: Arrow's JSON reader against the plain json.loads path.

    python bench/live_decode.py [--accounts 1500] [--hours 8] [--repeat 3]

Builds a window's entries as ``replay_feed`` would (unpaced: a minute of event time per
entry), then decodes every entry of each trading stream both ways (``decode_rows`` and
``_decode_plain``: both end in the window reader's ``parse_column``) and prints rows/s,
best of ``--repeat``, with the load average. No Redis: only the decoding.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskdesk.settings")
os.environ.setdefault("DEBUG", "true")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1500)
    parser.add_argument("--hours", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from apps.detection.feed import read_feed
    from apps.detection.live.decode import SCHEMAS, _decode_plain, decode_rows
    from apps.detection.replay import window_batches, window_events
    from apps.detection.simulator import simulate

    with tempfile.TemporaryDirectory() as folder:
        window = simulate(Path(folder), seed=7, accounts=args.accounts, hours=args.hours)
        entries: dict[str, list[bytes]] = {}
        rows: dict[str, int] = {}
        for batch in window_batches(window_events(read_feed(window))):
            entries.setdefault(batch.table, []).append(batch.payload)
            rows[batch.table] = rows.get(batch.table, 0) + batch.rows
    print(f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(
        f"{'stream':15}{'rows':>10}{'json.loads':>14}{'Arrow':>14}  rows/s, best of {args.repeat}"
    )
    for table in ("orders", "order_updates", "trades"):
        plain = _best(lambda t=table: _decode_plain(SCHEMAS[t], entries[t], t), args.repeat)
        arrow = _best(lambda t=table: decode_rows(t, entries[t], t), args.repeat)
        n = rows[table]
        print(f"{table:15}{n:>10,}{n / plain:>14,.0f}{n / arrow:>14,.0f}")


def _best(run: object, repeat: int) -> float:
    assert callable(run)
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return best


if __name__ == "__main__":
    main()
