"""Where a detection run's time goes: each rule's ``run`` and linking, timed.

    python bench/detection_stages.py [FOLDER]   (default: the window bench/detection.py made)

Times ``read_feed``, ``link_window`` (on its thread) and every rule's ``run`` (on
whichever of engine.SharedRules' threads took it) in one ``run_window``. Rules running side
by side each take longer than alone; the whole run is the figure bench/detection.py
compares with the bare read. A first touch of fresh memory counts in the rule that makes
it (a shared view is paid for by the first rule that reads it).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.detection import engine  # noqa: E402
from apps.detection.rules import RULES  # noqa: E402

DEFAULT = ROOT / "var" / "bench" / "a50000-h24-x1.2-s42"


def timed(times: dict[str, float], name: str, call: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            times[name] = time.perf_counter() - began

    return wrapper


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    times: dict[str, float] = {}
    for code, rule in list(RULES.items()):
        RULES[code] = dataclasses.replace(rule, run=timed(times, code, rule.run))
    engine.read_feed = timed(times, "read_feed", engine.read_feed)
    engine.link_window = timed(times, "link_window (its thread)", engine.link_window)
    began = time.perf_counter()
    run = engine.run_window(folder)
    whole = time.perf_counter() - began
    for name, seconds in sorted(times.items(), key=lambda item: -item[1]):
        print(f"{name:32} {seconds:6.2f} s")
    print(f"{'whole run':32} {whole:6.2f} s   {len(run.alerts)} alerts")


if __name__ == "__main__":
    main()
