"""Score the account linking on a labelled window, across a sweep of ``min_strength``.

    python bench/cluster_quality.py ../shared/data/hop-dev/feed \\
        --labels ../shared/data/hop-dev/labels.json [--strengths 0.15 0.2 0.25 0.3 0.35]

For each setting the window is linked exactly as `manage.py detect` links it
(apps.detection.linking.link_window), every cluster is written as one common_control alert,
and the shared scorer (`../shared/tools/score_clusters.py`) prints its last line. Also
prints the naive baseline of the issue (ignore addresses shared by more than 2 accounts,
then connected components) so the two are read side by side.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCORER = ROOT.parent / "shared" / "tools" / "score_clusters.py"


def write_clusters(clusters: dict[str, list[str]], path: Path) -> None:
    with path.open("w") as sink:
        for key, members in clusters.items():
            alert = {"dedup_key": f"common_control:{key}", "category": "common_control"}
            sink.write(json.dumps({**alert, "accounts": members}) + "\n")


def scored(clusters: dict[str, list[str]], labels: Path) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "alerts.jsonl"
        write_clusters(clusters, path)
        command = [sys.executable, str(SCORER), "--labels", str(labels), "--alerts", str(path)]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    lines = output.strip().splitlines()
    pairs = next((line for line in lines if line.startswith("pairs:")), "")
    return f"{pairs.split(';')[-1].strip()} | {lines[-1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--labels", type=Path, required=True)
    parser.add_argument("--strengths", type=float, nargs="*", default=[0.15, 0.2, 0.25, 0.3, 0.35])
    args = parser.parse_args()

    import django

    django.setup()
    from apps.detection.feed import read_feed
    from apps.detection.linking import _components, link_window

    feed = read_feed(args.folder)
    transfers = feed.transfers
    assert transfers is not None, "the window has no transfers"
    naive = transfers[transfers["address"].notna()][["account_id", "address"]].drop_duplicates()
    naive = naive[naive.groupby("address")["account_id"].transform("size") == 2]
    pairs = naive.merge(naive, on="address")
    pairs = pairs[pairs["account_id_x"] < pairs["account_id_y"]]
    internal = transfers[transfers["counterparty_account_id"].notna()]
    edges = {
        "account_a": [*pairs["account_id_x"].astype(str), *internal["account_id"].astype(str)],
        "account_b": [
            *pairs["account_id_y"].astype(str),
            *internal["counterparty_account_id"].astype(str),
        ],
    }
    naive_clusters = _components(pd.DataFrame(edges))
    print(f"naive (addresses of <= 2 accounts): {scored(naive_clusters, args.labels)}")
    for strength in args.strengths:
        began = time.perf_counter()
        linkage = link_window(feed, {"min_strength": strength})
        took = time.perf_counter() - began
        found = scored(linkage.clusters, args.labels)
        print(f"min_strength={strength:<5} linked in {took:5.2f} s: {found}")


if __name__ == "__main__":
    main()
