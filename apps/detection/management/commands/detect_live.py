import json
import re
import socket
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.desk.history import acting_task
from apps.detection.feed import FeedError
from apps.detection.live import LiveDetector
from apps.detection.live.partition import Partition
from apps.detection.replay import DEFAULT_PREFIX
from apps.detection.services.live import live_status_save
from apps.detection.services.rules import live_settings


class Command(BaseCommand):
    help = (
        "Follow the live feed (shared/contracts/feed-stream.md) and run the switched-on rules "
        "on each UTC day so far; alerts go into the alert pipeline (or --out)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--prefix", help=f"stream names' prefix (default LIVE_FEED_PREFIX, {DEFAULT_PREFIX})"
        )
        parser.add_argument("--name", help="the consumer's name on the detection page")
        parser.add_argument("--redis-url", help="default: REDIS_URL")
        parser.add_argument("--once", action="store_true", help="one poll and one detection")
        parser.add_argument(
            "--until-idle", action="store_true", help="stop when a poll reads nothing"
        )
        parser.add_argument(
            "--checkpoint", type=Path, help="checkpoint folder (default var/live/<prefix>)"
        )
        parser.add_argument("--interval", type=float, default=1.0, help="seconds per detection")
        parser.add_argument(
            "--link-interval",
            type=float,
            default=1.0,
            help="seconds between linkings",
        )
        parser.add_argument("--count", type=int, default=50, help="entries per stream per read")
        parser.add_argument("--seconds", type=float, help="stop after this many seconds")
        parser.add_argument("--out", type=Path, help="append alerts to this .jsonl file")
        parser.add_argument(
            "--partition",
            type=_partition,
            help="i/N: symbol partition i of a feed published with --partitions N (its "
            "trading streams <prefix>p<i>:*, the per-symbol rules that need nothing else); "
            "accounts/N: every partition, the linking and all other rules",
        )

    def handle(self, *args: object, **options: Any) -> None:
        url = options["redis_url"] or settings.REDIS_URL
        if not url:
            raise CommandError("no Redis to read: set REDIS_URL or pass --redis-url")
        prefix = str(options["prefix"] or settings.LIVE_FEED_PREFIX)
        partition: Partition | None = options["partition"]
        part = "" if partition is None else f" {partition.name}"
        name = options["name"] or f"{socket.gethostname()} {prefix}{part}"
        slug = _slug(prefix) + ("" if partition is None else f"-{partition.name}")
        folder = options["checkpoint"] or settings.VAR_DIR / "live" / slug
        out: Path | None = options["out"]
        params, enabled = live_settings()
        detector = LiveDetector(
            redis.Redis.from_url(str(url)),
            prefix=prefix,
            folder=folder,
            params=params,
            enabled=enabled,
            count=options["count"],
            interval_seconds=options["interval"],
            link_interval_seconds=options["link_interval"],
            report=lambda status: live_status_save(name=name, status=status),
            partition=partition,
            **({"sink": _appender(out)} if out is not None else {}),
        )
        try:
            with acting_task("detect_live"):
                detector.run(
                    once=options["once"],
                    until_idle=options["until_idle"],
                    seconds=options["seconds"],
                )
        except FeedError as error:
            raise CommandError(str(error)) from None
        except redis.RedisError as error:
            raise CommandError(f"Redis at {url}: {error}") from None
        stats = detector.stats
        self.stdout.write(
            f"{int(stats['rows']):,} rows in {int(stats['entries']):,} entries, "
            f"{int(stats['cycles'])} detections ({stats['detect_s']:.2f} s), "
            f"{len(detector.current())} findings open, "
            f"{len(detector.saved.gaps)} gaps; checkpoint {folder}"
        )
        for gap in detector.saved.gaps:
            self.stderr.write(f"feed gap: {json.dumps(gap)}")


def _partition(text: str) -> Partition:
    return Partition.parse(text)  # a ValueError is argparse's "invalid value"


def _slug(prefix: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", prefix).strip("_") or "feed"


def _appender(out: Path) -> Any:
    def write(alerts: list[dict[str, Any]]) -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a") as file:
            for alert in alerts:
                file.write(json.dumps(alert, separators=(",", ":")) + "\n")

    return write
