from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.desk.history import acting_task
from apps.detection.feed import FeedError
from apps.detection.management.commands.detect import write_alerts
from apps.detection.services.runs import window_run


def history_days(folder: Path) -> list[Path]:
    """``history/day-K`` ... ``history/day-1``: oldest first, as the desk would have run them."""
    days = [p for p in (folder / "history").glob("day-*") if p.is_dir()]
    return sorted(days, key=lambda p: -int(p.name.split("-", 1)[1]))


class Command(BaseCommand):
    help = (
        "Run detection over FOLDER/history/day-K .. day-1 in order, folding each day into the "
        "desk's memory of accounts, then over FOLDER/window judged against that memory "
        "(the layout of evaluation/independent_market). The window is remembered too only "
        "with --remember-window."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--out", type=Path, required=True, help="The window's alerts.")
        parser.add_argument("--remember-window", action="store_true")

    def handle(
        self, *args: object, folder: Path, out: Path, remember_window: bool, **options: object
    ) -> None:
        days = history_days(folder)
        if not (folder / "window").is_dir():
            raise CommandError(f"{folder}/window is not a folder")
        try:
            with acting_task("detect_history"):
                for day in days:
                    run = window_run(folder=day, remember=True)
                    self.stdout.write(f"{day.name}: {len(run.alerts)} alerts, remembered")
                run = window_run(folder=folder / "window", remember=remember_window)
        except FeedError as error:
            raise CommandError(str(error)) from None
        write_alerts(run.alerts, out)
        self.stdout.write(
            f"window: {len(run.alerts)} alerts written to {out}, judged against the memory "
            f"of {len(run.memory)} accounts"
        )
