from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.alerts.stream import StreamConsumer, redis_client


class Command(BaseCommand):
    help = "Read the alert stream in the foreground (as the Celery task does) and print counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seconds", type=float, default=3600.0)
        parser.add_argument("--batch", type=int, default=500)
        parser.add_argument(
            "--until-idle", action="store_true", help="Stop once the stream has nothing new."
        )

    def handle(
        self, *args: object, seconds: float, batch: int, until_idle: bool, **_: object
    ) -> None:
        if not settings.REDIS_URL:
            raise CommandError("REDIS_URL is not set: there is no stream to read.")
        consumer = StreamConsumer(
            redis_client(settings.REDIS_URL),
            stream=settings.ALERT_STREAM,
            group=settings.ALERT_STREAM_GROUP,
            batch=batch,
            reclaim_idle_ms=settings.ALERT_RECLAIM_IDLE_SECONDS * 1000,
        )
        consumer.run(seconds=seconds, stop_when_idle=until_idle)
        self.stdout.write(" ".join(f"{k}={v}" for k, v in vars(consumer.stats).items()))
