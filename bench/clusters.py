"""Benchmark account linking at venue scale: 1 million accounts, about 10 million links.

    python bench/clusters.py [--accounts 1000000] [--links 10000000] [--repeat 3]

Builds (seeded) the identifier uses of a large venue: every account deposits from a wallet
of its own and logs in from a device of its own, and shared funding wallets, devices and
IP pairs tie accounts into groups, sized so that the pairs sharing something number about
``--links``. Then measures, each in a fresh child process so each gets its own peak RSS:
  1. the bare limit: scipy's connected components over the same pairs, given as arrays;
  2. the whole linking as detection runs it (apps.detection.linking.link_accounts):
     identifier widths, pair strengths, evidence rows, verdicts, clusters.
Prints both with time, peak memory and the ratio. Goal: the whole linking under 2 minutes
and 8 GiB on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.child import measured  # noqa: E402

T0 = np.datetime64("2026-11-20T00:00:00", "ms")


def venue(accounts: int, links: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Logins and deposits of the venue: (logins, transfers) in the feed's columns."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("U", np.arange(accounts).astype("U7"))
    # Shared wallets of 2-12 accounts make most pairs, 26 on average (the mean of k(k-1)/2
    # over k = 2..12), so the number of wallets follows from the links wanted.
    sizes = rng.integers(2, 13, size=max(1, links // 26))
    members = rng.integers(0, accounts, size=int(sizes.sum()))
    wallet = np.repeat(np.arange(len(sizes)), sizes)
    own = np.arange(accounts)
    deposit_account = np.concatenate([own, members])
    deposit_address = np.concatenate(
        [np.char.add("own-", own.astype("U7")), np.char.add("w-", wallet.astype("U7"))]
    )
    transfers = pd.DataFrame(
        {
            "transfer_id": np.char.add("X", np.arange(len(deposit_account)).astype("U8")),
            "account_id": ids[deposit_account],
            "ts": T0 + rng.integers(0, 86_400_000, size=len(deposit_account)),
            "kind": "deposit",
            "address": deposit_address,
            "counterparty_account_id": None,
        }
    )
    transfers["ts"] = pd.to_datetime(transfers["ts"], utc=True)
    # Devices shared within small households of accounts, the rest own.
    device = np.where(rng.random(accounts) < 0.1, own // 3, own + accounts)
    logins = pd.DataFrame(
        {
            "account_id": ids,
            "ts": pd.to_datetime(T0 + rng.integers(0, 86_400_000, size=accounts), utc=True),
            "ip": np.char.add("ip-", (own // 2).astype("U7")),
            "device_id": np.char.add("d-", device.astype("U8")),
        }
    )
    return logins, transfers


def child(mode: str, args: argparse.Namespace) -> dict[str, float]:
    logins, transfers = venue(args.accounts, args.links, args.seed)
    if mode == "bare":
        from scipy import sparse
        from scipy.sparse import csgraph

        from apps.detection.link_evidence import identifier_uses

        uses = identifier_uses(logins, transfers)[["kind", "value", "account_id"]]
        pairs = uses.merge(uses, on=["kind", "value"])
        pairs = pairs[pairs["account_id_x"] < pairs["account_id_y"]]
        codes, names = pd.factorize(pd.concat([pairs["account_id_x"], pairs["account_id_y"]]))
        half = len(pairs)
        began = time.perf_counter()
        graph = sparse.coo_matrix(
            (np.ones(half, dtype=np.int8), (codes[:half], codes[half:])),
            shape=(len(names), len(names)),
        )
        count, _ = csgraph.connected_components(graph, directed=False)
        return {"seconds": time.perf_counter() - began, "links": half, "clusters": count}
    from apps.detection.linking import link_accounts

    began = time.perf_counter()
    linkage = link_accounts(logins, transfers, population=args.accounts)
    return {
        "seconds": time.perf_counter() - began,
        "links": len(linkage.links),
        "clusters": len(linkage.clusters),
    }


def measure(mode: str, args: argparse.Namespace) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", mode]
    command += ["--accounts", str(args.accounts), "--links", str(args.links)]
    command += ["--seed", str(args.seed)]
    return measured(command, mode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--links", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", choices=["bare", "link"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args)))
        return
    runs = {mode: [measure(mode, args) for _ in range(args.repeat)] for mode in ("bare", "link")}
    print(f"{args.accounts:,} accounts; load average {os.getloadavg()[0]:.1f}")
    print(f"{'measurement':<46} {'min s':>7} {'median s':>9} {'peak GiB':>9}  result")
    for mode, label in (("bare", "bare connected components of the pairs"), ("link", "linking")):
        seconds = [run["seconds"] for run in runs[mode]]
        last = runs[mode][-1]
        print(
            f"{label:<46} {min(seconds):7.2f} {statistics.median(seconds):9.2f} "
            f"{max(run['peak_rss_gib'] for run in runs[mode]):9.2f}  "
            f"{int(last['links']):,} links, {int(last['clusters']):,} clusters"
        )
    ratio = min(r["seconds"] for r in runs["link"]) / min(r["seconds"] for r in runs["bare"])
    print(f"ratio (min / min): {ratio:.1f}x the bare components pass")


if __name__ == "__main__":
    main()
