from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from apps.detection.simulator import simulate


class Command(BaseCommand):
    help = (
        "Write a realistic feed window with planted incidents of every category and hard "
        "negatives into OUT; their labels go to OUT/labels.jsonl."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", type=Path)
        parser.add_argument("--seed", type=int, required=True)
        parser.add_argument("--accounts", type=int, default=2000)
        parser.add_argument("--hours", type=int, default=24)
        parser.add_argument("--format", choices=["csv", "parquet"], default="csv")

    def handle(self, *args: object, **options: object) -> None:
        out = simulate(
            options["out"],  # type: ignore[arg-type]
            seed=options["seed"],  # type: ignore[arg-type]
            accounts=options["accounts"],  # type: ignore[arg-type]
            hours=options["hours"],  # type: ignore[arg-type]
            fmt=options["format"],  # type: ignore[arg-type]
        )
        self.stdout.write(f"window written to {out} (labels in {out / 'labels.jsonl'})")
