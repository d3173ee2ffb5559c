from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.desk.history import acting_task
from apps.detection.feed import FeedError
from apps.detection.loading import accounts_load


class Command(BaseCommand):
    help = (
        "Load the exchange's accounts, their IPs, devices and funding addresses from a feed "
        "window folder (accounts, logins, transfers tables). Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)

    def handle(self, *args: object, folder: Path, **options: object) -> None:
        try:
            with acting_task("load_accounts"):
                run = accounts_load(folder=folder, progress=self._progress)
        except FeedError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{folder}: {run.accounts_created} accounts created, {run.accounts_updated} "
                f"updated, {run.identifiers_seen} identifiers, {run.links} links, "
                f"{run.clusters} clusters"
            )
        )

    def _progress(self, message: str) -> None:
        self.stdout.write(f"  {message}")
