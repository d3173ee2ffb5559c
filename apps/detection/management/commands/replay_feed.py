from pathlib import Path

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.detection.feed import FeedError
from apps.detection.replay import DEFAULT_MAXLEN, DEFAULT_PREFIX, replay_window
from apps.detection.replay.batches import MAX_ROWS_PER_ENTRY


def speed(value: str) -> float:
    """``N`` times real time; ``0`` or ``max``: as fast as Redis takes it."""
    if value == "max":
        return 0.0
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number or 'max'") from None
    if not number >= 0 or number == float("inf"):
        raise ValueError(f"{value!r} is not a speed (0, max or a positive number)")
    return number


class Command(BaseCommand):
    help = (
        "Publish a feed window (shared/contracts/feed.md) onto the live feed's Redis Streams "
        "(shared/contracts/feed-stream.md) in event-time order, at --speed times real time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument(
            "--speed",
            type=speed,
            default=1.0,
            help="N times real time from the window's first order or trade; 0 or max: "
            "as fast as possible (default 1). Earlier rows (accounts, past logins) go first.",
        )
        parser.add_argument(
            "--batch", type=int, default=MAX_ROWS_PER_ENTRY, help="most rows per entry"
        )
        parser.add_argument(
            "--maxlen",
            type=int,
            default=DEFAULT_MAXLEN,
            help=f"XADD MAXLEN ~ per stream, in entries; 0: no trimming (default {DEFAULT_MAXLEN})",
        )
        parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="stream names' prefix")
        parser.add_argument("--redis-url", help="default: REDIS_URL")
        parser.add_argument(
            "--partitions",
            type=int,
            default=0,
            help="N > 0: the trading tables on <prefix>p<i>:<table> by symbol hash, the "
            "reference tables on <prefix><table> (a proposed extension of the contract; "
            "default 0: one stream per table, as the contract says)",
        )
        parser.add_argument(
            "--whole-too",
            action="store_true",
            help="with --partitions: the unpartitioned trading streams as well",
        )
        parser.add_argument(
            "--limit-seconds",
            type=float,
            help="stop this many seconds of event time after the first order or trade",
        )

    def handle(self, *args: object, **options: object) -> None:
        url = options["redis_url"] or settings.REDIS_URL
        if not url:
            raise CommandError("no Redis to publish to: set REDIS_URL or pass --redis-url")
        batch = options["batch"]
        assert isinstance(batch, int)
        if not 1 <= batch <= MAX_ROWS_PER_ENTRY:
            raise CommandError(f"--batch must be 1 to {MAX_ROWS_PER_ENTRY}")
        partitions = options["partitions"]
        assert isinstance(partitions, int)
        if partitions < 0:
            raise CommandError("--partitions must be 0 (none) or more")
        if options["whole_too"] and not partitions:
            raise CommandError("--whole-too needs --partitions")
        client = redis.Redis.from_url(str(url))
        prefix = str(options["prefix"])
        try:
            summary = replay_window(
                options["folder"],  # type: ignore[arg-type]
                client,
                prefix=prefix,
                speed=options["speed"],  # type: ignore[arg-type]
                batch=batch,
                maxlen=options["maxlen"] or None,  # type: ignore[arg-type]
                limit_seconds=options["limit_seconds"],  # type: ignore[arg-type]
                partitions=partitions,
                whole=bool(options["whole_too"]),
            )
        except FeedError as error:
            raise CommandError(str(error)) from None
        except redis.RedisError as error:
            raise CommandError(f"Redis at {url}: {error}") from None
        for line in summary.lines(prefix):
            self.stdout.write(line)
