import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.desk.audit_verify import verify


class Command(BaseCommand):
    help = (
        "Walk the audit chain in order and name the first link that does not match "
        "(exit code 1), or print how many links match and the last hash."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunk", type=int, default=2000, help="Links read per fetch.")

    def handle(self, *args: Any, chunk: int, **options: Any) -> None:
        started = time.perf_counter()
        verdict = verify(chunk=chunk)
        took = time.perf_counter() - started
        if verdict.broken is not None:
            self.stderr.write(f"audit chain BROKEN after {verdict.links:,} matching links")
            self.stderr.write(str(verdict.broken))
            raise CommandError(
                f"the audit chain does not match from link {verdict.broken.seq} on", returncode=1
            )
        self.stdout.write(
            f"audit chain intact: {verdict.links:,} links, last hash {verdict.last_hash} "
            f"({took:.2f} s)"
        )
