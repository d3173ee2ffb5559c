"""Recall and precision of the alerts against a simulator's labels.

An alert *matches* a label when (1) the categories are equal, (2) the label names no
symbol or the alert's symbol equals it, and (3) the account sets agree: both empty
(platform-level), or their Jaccard overlap (shared accounts / all accounts named by
either) is at least 0.5. Recall per
category = labelled incidents matched by at least one alert / labelled incidents.
Precision = alerts matching at least one incident label / alerts. An alert *hits a hard
negative* when any of its accounts belongs to a hard-negative label, whatever the
category: those customers must see no alert at all.

One alert per situation (``rules/covered.py``): a controlled cluster that a specific
alert names (a bonus farm, a theft's victim and mule, a combined position) raises no
separate ``common_control`` alert, while this simulator labels every planted cluster as a
``common_control`` incident. ``common_control`` recall is therefore given twice: by its
own alerts (``found``) and counting a cluster as shown when an alert of any category
names it (``shown``, same Jaccard rule). Precision is by its own alerts only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JACCARD = 0.5


@dataclass
class Score:
    category: str
    incidents: int
    found: int
    alerts: int
    true_alerts: int
    hard_negative_hits: int
    shown: int = 0  # incidents named by an alert of any category (see the docstring)

    @property
    def recall(self) -> float:
        return self.found / self.incidents if self.incidents else 1.0

    @property
    def precision(self) -> float:
        return self.true_alerts / self.alerts if self.alerts else 1.0


def read_labels(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def matches(alert: dict[str, Any], label: dict[str, Any]) -> bool:
    if alert["category"] != label["category"]:
        return False
    if label.get("symbol") is not None and alert.get("symbol") != label["symbol"]:
        return False
    a, b = set(alert["accounts"]), set(label["accounts"])
    if not a and not b:
        return True
    return len(a & b) / len(a | b) >= JACCARD


def named(alert: dict[str, Any], label: dict[str, Any]) -> bool:
    """The alert names the label's accounts (any category): the Jaccard rule alone."""
    return matches({**alert, "category": label["category"], "symbol": None}, label)


def evaluate(alerts: Iterable[dict[str, Any]], labels: Iterable[dict[str, Any]]) -> list[Score]:
    alerts, labels = list(alerts), list(labels)
    incidents = [label for label in labels if label["kind"] == "incident"]
    protected = {
        a for label in labels if label["kind"] == "hard_negative" for a in label["accounts"]
    }
    categories = sorted(
        {label["category"] for label in incidents} | {a["category"] for a in alerts}
    )
    scores = []
    for category in categories:
        mine = [a for a in alerts if a["category"] == category]
        planted = [label for label in incidents if label["category"] == category]
        scores.append(
            Score(
                category=category,
                incidents=len(planted),
                found=sum(any(matches(a, label) for a in mine) for label in planted),
                alerts=len(mine),
                true_alerts=sum(any(matches(a, label) for label in planted) for a in mine),
                hard_negative_hits=sum(bool(set(a["accounts"]) & protected) for a in mine),
                shown=sum(any(named(a, label) for a in alerts) for label in planted),
            )
        )
    return scores


def table(scores: list[Score]) -> str:
    lines = [
        f"{'category':<25} {'incidents':>9} {'found':>6} {'alerts':>7} {'true':>5} "
        f"{'recall':>7} {'precision':>9} {'hard-neg hits':>13}"
    ]
    for s in scores:
        lines.append(
            f"{s.category:<25} {s.incidents:>9} {s.found:>6} {s.alerts:>7} {s.true_alerts:>5} "
            f"{s.recall:>7.3f} {s.precision:>9.3f} {s.hard_negative_hits:>13}"
            + (f"   shown by any alert: {s.shown}" if s.category == "common_control" else "")
        )
    return "\n".join(lines)


def total(scores: Iterable[Score]) -> dict[str, Score]:
    """Scores of several windows summed per category."""
    out: dict[str, Score] = {}
    for s in scores:
        if s.category not in out:
            out[s.category] = Score(s.category, 0, 0, 0, 0, 0)
        t = out[s.category]
        t.incidents += s.incidents
        t.found += s.found
        t.alerts += s.alerts
        t.true_alerts += s.true_alerts
        t.hard_negative_hits += s.hard_negative_hits
        t.shown += s.shown
    return out


def main(argv: list[str] | None = None) -> None:
    """``python -m apps.detection.evaluate --seeds 11 12 13 14 15``: simulate each seed,
    detect, and print the summed table."""
    import argparse
    import tempfile
    import time

    from .engine import detect_window
    from .simulator import simulate

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13, 14, 15])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--hours", type=int, default=24)
    args = parser.parse_args(argv)
    every: list[Score] = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            folder = simulate(Path(tmp) / str(seed), seed, args.accounts, args.hours, "parquet")
            began = time.perf_counter()
            alerts, _ = detect_window(folder)
            scores = evaluate(alerts, read_labels(folder / "labels.jsonl"))
            every += scores
            misses = [s.category for s in scores if s.recall < 1 or s.precision < 1]
            print(
                f"seed {seed}: {len(alerts)} alerts in {time.perf_counter() - began:.1f}s; "
                f"imperfect: {', '.join(misses) or 'none'}"
            )
    print(table(sorted(total(every).values(), key=lambda s: s.category)))


if __name__ == "__main__":
    main()
