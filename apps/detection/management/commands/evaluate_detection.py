from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.desk.history import acting_task
from apps.detection.evaluate import evaluate, read_labels, table
from apps.detection.feed import FeedError
from apps.detection.services import window_detect


class Command(BaseCommand):
    help = (
        "Run detection (live thresholds, enabled rules) over FEED and print recall and "
        "precision per category against the simulator's LABELS file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("feed", type=Path)
        parser.add_argument("labels", type=Path)

    def handle(self, *args: object, feed: Path, labels: Path, **options: object) -> None:
        if not labels.is_file():
            raise CommandError(f"{labels}: no such labels file")
        try:
            with acting_task("evaluate_detection"):
                alerts = window_detect(folder=feed)
        except FeedError as error:
            raise CommandError(str(error)) from None
        scores = evaluate(alerts, read_labels(labels))
        self.stdout.write(table(scores))
        worst_recall = min((s.recall for s in scores), default=1.0)
        worst_precision = min((s.precision for s in scores), default=1.0)
        hits = sum(s.hard_negative_hits for s in scores)
        self.stdout.write(
            f"\n{len(alerts)} alerts; lowest recall {worst_recall:.3f}, lowest precision "
            f"{worst_precision:.3f}, alerts on hard negatives: {hits}"
        )
