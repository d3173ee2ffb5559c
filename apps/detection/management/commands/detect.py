import json
import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.desk.history import acting_task
from apps.detection.feed import FeedError
from apps.detection.services import window_detect
from apps.detection.services.runs import alerts_publish


class Command(BaseCommand):
    help = (
        "Run every enabled rule over one feed window (shared/contracts/feed.md), judged "
        "against the desk's memory of its accounts. With --out, write the alerts as JSON "
        "lines; without, publish them into the alert pipeline and fold the window into "
        "the memory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--out", type=Path, help="Write alerts to this .jsonl file.")
        parser.add_argument(
            "--remember",
            action="store_true",
            help="With --out: fold the window into the memory too (as a published run does).",
        )
        parser.add_argument(
            "--without-memory",
            action="store_true",
            help="Judge the window alone, as if the desk had never seen its accounts.",
        )

    def handle(
        self,
        *args: object,
        folder: Path,
        out: Path | None,
        remember: bool,
        without_memory: bool,
        **options: object,
    ) -> None:
        try:
            with acting_task("detect"):
                alerts = window_detect(
                    folder=folder, remember=remember or out is None, recall=not without_memory
                )
        except FeedError as error:
            raise CommandError(str(error)) from None
        if out is None:
            alerts_publish(alerts)
            self.stdout.write(f"{len(alerts)} alerts published from {folder}")
            return
        write_alerts(alerts, out)
        self.stdout.write(f"{len(alerts)} alerts written to {out}")


def write_alerts(alerts: list[dict[str, Any]], out: Path) -> None:
    """Written beside the target and renamed into place: a failure leaves nothing partial."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    try:
        with os.fdopen(handle, "w") as file:
            for alert in alerts:
                file.write(json.dumps(alert, separators=(",", ":")) + "\n")
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
