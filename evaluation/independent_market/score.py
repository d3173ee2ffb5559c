"""Score a detector's alerts against a generated market's truth.

python -m evaluation.independent_market.score --truth DIR/truth.json --alerts ALERTS.jsonl [--json]

Matching rule
-------------
* An alert matches an incident when its ``category`` equals the incident's category, its
  ``accounts`` overlap the incident's accounts, and - when both carry a symbol - the symbols
  agree. A ``market_stress`` incident has no accounts: there the alert matches on category and
  symbol (an alert with a null symbol matches any stress incident).
* An alert is a true alert if it matches at least one incident; precision per category is
  true alerts / alerts of that category. An incident is found when at least one alert matches
  it; recall per category is found / incidents. Alerts of category ``other`` (or any category
  without incidents) are all counted as false in the overall precision.
* Purity: for each true alert, the largest share of its accounts that belong to one matched
  incident; the column is the mean over the category's true alerts. An alert that merges an
  incident with unrelated accounts still matches, but lowers purity (this is what matters for
  ``common_control``-like clusters).
* Hard-negative hit: an alert that is not a true alert, whose category is one the hard
  negative imitates (``imitates`` in truth.json) and which names one of the negative's
  accounts (for account-less negatives such as an orderly trend: has the same symbol). Each
  such alert counts once, however many negatives it touches.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .spec import CATEGORIES


def _symbols_agree(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def matches(alert: dict[str, Any], inc: dict[str, Any]) -> bool:
    if alert.get("category") != inc["category"]:
        return False
    if not _symbols_agree(alert.get("symbol"), inc.get("symbol")):
        return False
    if not inc["accounts"]:
        return True
    return bool(set(alert.get("accounts") or []) & set(inc["accounts"]))


def score(truth: dict[str, Any], alerts: list[dict[str, Any]]) -> dict[str, Any]:
    incidents = truth["incidents"]
    negatives = truth.get("hard_negatives", [])
    found: set[str] = set()
    rows: dict[str, dict[str, Any]] = {
        c: {
            "incidents": 0,
            "found": 0,
            "alerts": 0,
            "true_alerts": 0,
            "purity_sum": 0.0,
            "hard_negative_hits": 0,
        }
        for c in CATEGORIES
    }
    for inc in incidents:
        rows[inc["category"]]["incidents"] += 1
    hn_hits = 0
    for al in alerts:
        cat = str(al.get("category"))
        row = rows.setdefault(
            cat,
            {
                "incidents": 0,
                "found": 0,
                "alerts": 0,
                "true_alerts": 0,
                "purity_sum": 0.0,
                "hard_negative_hits": 0,
            },
        )
        row["alerts"] += 1
        hit = [inc for inc in incidents if matches(al, inc)]
        if hit:
            row["true_alerts"] += 1
            found.update(inc["id"] for inc in hit)
            accs = set(al.get("accounts") or [])
            row["purity_sum"] += max(
                (len(accs & set(inc["accounts"])) / len(accs)) if accs and inc["accounts"] else 1.0
                for inc in hit
            )
            continue
        accs = set(al.get("accounts") or [])
        for hn in negatives:
            if cat not in hn.get("imitates", []):
                continue
            if (accs & set(hn["accounts"])) or (
                not hn["accounts"] and hn.get("symbol") and hn.get("symbol") == al.get("symbol")
            ):
                row["hard_negative_hits"] += 1
                hn_hits += 1
                break
    for inc in incidents:
        if inc["id"] in found:
            rows[inc["category"]]["found"] += 1
    for row in rows.values():
        row["recall"] = row["found"] / row["incidents"] if row["incidents"] else None
        row["precision"] = row["true_alerts"] / row["alerts"] if row["alerts"] else None
        row["purity"] = row["purity_sum"] / row["true_alerts"] if row["true_alerts"] else None
        del row["purity_sum"]
    n_inc = len(incidents)
    n_al = len(alerts)
    true = sum(r["true_alerts"] for r in rows.values())
    overall = {
        "incidents": n_inc,
        "found": len(found),
        "alerts": n_al,
        "true_alerts": true,
        "recall": len(found) / n_inc if n_inc else None,
        "precision": true / n_al if n_al else None,
        "hard_negative_hits": hn_hits,
    }
    return {"categories": rows, "overall": overall}


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def render(result: dict[str, Any]) -> str:
    head = (
        f"{'category':<26}{'incidents':>10}{'found':>7}{'recall':>8}{'alerts':>8}"
        f"{'true':>6}{'precision':>11}{'purity':>8}{'hn_hits':>9}"
    )
    lines = [head, "-" * len(head)]
    for cat, r in result["categories"].items():
        lines.append(
            f"{cat:<26}{r['incidents']:>10}{r['found']:>7}{_fmt(r['recall']):>8}"
            f"{r['alerts']:>8}{r['true_alerts']:>6}{_fmt(r['precision']):>11}"
            f"{_fmt(r['purity']):>8}{r['hard_negative_hits']:>9}"
        )
    o = result["overall"]
    lines.append(
        f"overall recall={_fmt(o['recall'])} precision={_fmt(o['precision'])} "
        f"hard_negative_hits={o['hard_negative_hits']}"
    )
    return "\n".join(lines)


def read_alerts(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Score alerts against an independent market's truth")
    ap.add_argument("--truth", type=Path, required=True)
    ap.add_argument("--alerts", type=Path, required=True)
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    a = ap.parse_args(argv)
    result = score(json.loads(a.truth.read_text()), read_alerts(a.alerts))
    print(json.dumps(result, indent=1) if a.json else render(result))


if __name__ == "__main__":
    main()
