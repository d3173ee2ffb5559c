import logging
import signal
import time
from types import FrameType

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections

from apps.alerts.stream import desk_consumer

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Read the alert stream: the `ingest` process of Procfile (--forever), or a while in the "
        "foreground, printing counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seconds", type=float, default=3600.0)
        parser.add_argument("--batch", type=int, default=500)
        parser.add_argument(
            "--until-idle", action="store_true", help="Stop once the stream has nothing new."
        )
        parser.add_argument(
            "--forever",
            action="store_true",
            help="Run until SIGTERM / SIGINT, riding out Redis or database outages.",
        )

    def handle(
        self,
        *args: object,
        seconds: float,
        batch: int,
        until_idle: bool,
        forever: bool,
        **_: object,
    ) -> None:
        if not settings.REDIS_URL:
            raise CommandError("REDIS_URL is not set: there is no stream to read.")
        if forever:
            self.forever(batch)
            return
        consumer = desk_consumer(batch=batch)
        consumer.run(seconds=seconds, stop_when_idle=until_idle)
        self.stdout.write(" ".join(f"{k}={v}" for k, v in vars(consumer.stats).items()))

    def forever(self, batch: int) -> None:
        """One long-lived reader instead of a periodic Celery task: a task that blocks on
        the stream holds a worker slot, and beat sending one every few seconds filled every
        slot of a shared worker, so freezes and timers waited behind stream reads."""
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        # Short rounds, so a stop request is honoured within a couple of seconds, after
        # the batch in hand is stored and acknowledged.
        while not stopping:
            try:
                desk_consumer(batch=batch).run(seconds=2.0)
            except (redis.RedisError, DatabaseError):
                # What was read and not stored stays pending and is claimed again.
                log.exception("alert stream or database unreachable; trying again in 2 s")
                time.sleep(2.0)
            finally:
                close_old_connections()
