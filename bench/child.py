"""One measurement in a fresh interpreter: its printed figures and its own peak memory.

A child's ``ru_maxrss`` (from ``os.wait4``) counts the Arrow and numpy buffers that
tracemalloc misses, and starts clean because the parent stays small."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def measured(command: list[str], what: str) -> dict[str, float]:
    """Run ``command``; its last stdout line is a JSON object of figures. Adds peak RSS."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        sys.exit(f"{what} child failed with status {status}")
    figures = json.loads(output.strip().splitlines()[-1])
    figures["peak_rss_gib"] = usage.ru_maxrss / 2**20  # Linux reports KiB
    return figures
