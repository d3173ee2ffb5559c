from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.alerts.stream import desk_consumer


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
        consumer = desk_consumer(batch=batch)
        consumer.run(seconds=seconds, stop_when_idle=until_idle)
        self.stdout.write(" ".join(f"{k}={v}" for k, v in vars(consumer.stats).items()))
