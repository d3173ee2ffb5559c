import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.actions.plans.demo import demo_plans_create
from apps.console.demo import demo_work_create, detect_window
from apps.console.demo_night import HOURS, demo_night_create
from apps.console.demo_past import demo_daily_report_create
from apps.desk.history import acting_task
from apps.detection.live.demo import live_day_of
from apps.detection.loading import accounts_load
from apps.detection.simulator import simulate, simulate_next_day
from apps.people.demo import DEMO_PASSWORD, demo_people_create
from apps.people.selectors import desk_people
from apps.shifts.demo import demo_rota_create


class Command(BaseCommand):
    help = (
        "Fill a local desk with demo data: one person per role, a simulated population of "
        "exchange accounts (shared IPs, devices, addresses, real clusters), detection over the "
        "simulated day, cases opened from its alerts and measures on them, and a busy night "
        "of thousands of alerts, most already worked. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, default=3000)
        parser.add_argument("--seed", type=int, default=20261121)
        parser.add_argument(
            "--force", action="store_true", help="Allow without DEBUG (never on a real desk)."
        )

    def handle(
        self, *args: object, accounts: int, seed: int, force: bool, **options: object
    ) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "load_demo creates people with a known password; it runs only with DEBUG=true."
            )
        people = demo_people_create()
        self.stdout.write(
            f"demo people: {', '.join(p.username for p in people)} (password {DEMO_PASSWORD!r})"
        )
        with acting_task("load_demo"):
            rota = demo_rota_create()
        self.stdout.write(f"demo rota: {rota.created} new shifts, {rota.existing} already there")
        # One simulated day of the market: the accounts the desk loads and the window
        # detection runs over (it sits in the drop folder, where backtests find it too).
        window = Path(settings.DETECTION_DROP_DIR) / f"demo-{seed}-{accounts}"
        if not (window / "labels.jsonl").exists():
            self.stdout.write(f"simulating a day of trading by {accounts} accounts into {window}")
            simulate(window, seed=seed, accounts=accounts, hours=24, fmt="parquet")
        # The day the embedded live feed plays (apps.detection.live.demo): the next day of
        # the same population, with incidents of its own, so live alerts are new ones.
        live_day = live_day_of(window)
        if not (live_day / "labels.jsonl").exists():
            self.stdout.write(f"simulating the next day, for the live feed, into {live_day}")
            simulate_next_day(
                live_day, window, seed=seed, day_seed=seed + 1, accounts=accounts, fmt="parquet"
            )
        with acting_task("load_demo"):
            run = accounts_load(folder=window, progress=lambda m: self.stdout.write(f"  {m}"))
        self.stdout.write(
            f"accounts: {run.accounts_created} new, {run.links} links, {run.clusters} clusters"
        )
        with acting_task("load_demo"):
            raised = detect_window(window)
        self.stdout.write(f"detection over {window.name}: {raised}")
        for line in demo_work_create():
            self.stdout.write(f"  {line}")
        for line in demo_plans_create(desk_people().get(username="sam")):
            self.stdout.write(f"  {line}")
        started = time.perf_counter()
        with acting_task("load_demo"):
            night = demo_night_create()
        self.stdout.write(f"{night} ({time.perf_counter() - started:.1f} s)")
        with acting_task("load_demo"):
            self.stdout.write(demo_daily_report_create(hours=HOURS))
        self.stdout.write(self.style.SUCCESS("demo desk ready"))
