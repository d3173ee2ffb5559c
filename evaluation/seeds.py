"""The independent generator's table over several seeds, summed per category.

    python -m evaluation.seeds 101 102 103 --work var/eval

For each seed: `independent_market.generate` (once; kept under WORK/s<seed>), then
`manage.py detect_history` on a fresh desk (its own SQLite database, so no seed is
judged with another seed's memory of accounts), then `independent_market.score`; the
per-category rows of the seeds are summed into one table. Seeds 1-50 are for tuning;
report only on seeds nobody tuned on.
"""

import argparse
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ("incidents", "found", "alerts", "true", "hn_hits")


def run(*command: str, env: dict[str, str] | None = None, out: Path | None = None) -> str:
    done = subprocess.run(
        command, cwd=ROOT, env={**os.environ, "DEBUG": "true", **(env or {})},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    if out is not None:
        out.write_text(done.stdout)
    return done.stdout


def seed_table(seed: int, work: Path) -> str:
    folder = work / f"s{seed}"
    python = sys.executable
    if not (folder / "truth.json").exists():
        run(python, "-m", "evaluation.independent_market.generate", "--seed", str(seed),
            "--out", str(folder))  # fmt: skip
    database = work / f"desk{seed}.sqlite3"
    database.unlink(missing_ok=True)
    env = {"DATABASE_URL": f"sqlite:///{database.resolve()}"}
    run(python, "manage.py", "migrate", "--no-input", "-v", "0", env=env)
    alerts = folder / "with.jsonl"
    run(python, "manage.py", "detect_history", str(folder), "--out", str(alerts), env=env)
    return run(python, "-m", "evaluation.independent_market.score", "--truth",
               str(folder / "truth.json"), "--alerts", str(alerts),
               out=folder / "score.txt")  # fmt: skip


def summed(tables: list[str]) -> dict[str, list[int]]:
    """Category -> incidents, found, alerts, true, hard-negative hits, over the tables."""
    total: dict[str, list[int]] = defaultdict(lambda: [0] * len(COLUMNS))
    for table in tables:
        for line in table.splitlines():
            cells = line.split()
            if len(cells) == 9 and cells[1].isdigit():
                for i, j in enumerate((1, 2, 4, 5, 8)):
                    total[cells[0]][i] += int(cells[j])
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", type=int, nargs="+")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "eval")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    total = summed([seed_table(seed, args.work) for seed in args.seeds])
    print(f"seeds {' '.join(map(str, args.seeds))}")
    print(f"{'category':26} incidents found recall alerts  true precision hn_hits")
    whole = [0] * len(COLUMNS)
    for category, (incidents, found, alerts, true, hits) in total.items():
        whole = [a + b for a, b in zip(whole, (incidents, found, alerts, true, hits), strict=True)]
        precision = true / alerts if alerts else 1.0
        print(f"{category:26} {incidents:9} {found:5} {found / incidents:6.2f} {alerts:6}"
              f" {true:5} {precision:9.2f} {hits:7}")  # fmt: skip
    incidents, found, alerts, true, hits = whole
    print(f"{'overall':26} {incidents:9} {found:5} {found / incidents:6.2f} {alerts:6}"
          f" {true:5} {true / alerts:9.2f} {hits:7}")  # fmt: skip


if __name__ == "__main__":
    main()
