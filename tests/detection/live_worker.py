"""A live detector in a process of its own, for the SIGKILL test: every alert it sends
is appended to a JSON-lines file and flushed before the next step."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import redis

from apps.detection.live import LiveDetector


def main() -> None:
    url, prefix, folder, out = sys.argv[1:5]

    def send(alerts: list[dict[str, Any]]) -> None:
        # Opened and closed per batch: what was sent is on disk before the next step.
        with Path(out).open("a") as sink:
            for alert in alerts:
                sink.write(json.dumps(alert) + "\n")

    detector = LiveDetector(
        redis.Redis.from_url(url), prefix=prefix, folder=Path(folder), sink=send, count=20
    )
    detector.interval_seconds = 0.0
    detector.run(until_idle=True)
    print(json.dumps(detector.saved.cluster_keys))
    print(json.dumps({key: alert["metrics"] for key, alert in detector.current().items()}))


if __name__ == "__main__":
    main()
