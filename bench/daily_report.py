"""The daily risk-control report on a busy day in PostgreSQL: 100,000 alerts, 10,000 actions
(most executed, with restrictions) and 1,000 cases in the day, the same again the day
before and a week before (the comparisons read them), three shifts.

    DATABASE_ADMIN_URL=postgres://root@127.0.0.1:5432/postgres \\
    /work/main/.venv/bin/python bench/daily_report.py [--repeat 3] [--reuse] [--keep]

Creates riskdesk_report_bench, migrates, seeds with bulk inserts, then measures in fresh
child processes (bench/child.py: peak RSS from os.wait4):
  - the floor: a bare COUNT(*) ... GROUP BY over the same day of each table the report
    reads (alerts by category, actions by measure, cases by status, restrictions by
    measure, escalations by target);
  - the build: daily_report_build of one queued report, every section, with its query
    count.
Goal: under 30 s and 1 GiB. Prints min and median of --repeat runs of each.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.child import measured  # noqa: E402

DB_NAME = "riskdesk_report_bench"
DAY = date(2026, 11, 20)
ALERTS, ACTIONS, CASES, ACCOUNTS = 100_000, 10_000, 1_000, 20_000
GOAL_SECONDS, GOAL_GIB = 30.0, 1.0
CATEGORIES = [
    "self_trade",
    "linked_mutual_trade",
    "matched_trade_price",
    "common_control",
    "frequent_cancel",
    "large_cancel",
    "combined_position_limit",
    "daily_open_limit",
    "unauthorized_algo",
    "account_theft",
    "abnormal_pnl",
    "promo_abuse",
    "market_stress",
    "other",
]
SEVERITIES = [("critical", 4, 15), ("high", 3, 60), ("medium", 2, 240), ("low", 1, 1440)]
COINS = ["BTC", "ETH", "SOL", "XRP", "BNB", "DOGE", "ADA", "AVAX", "LINK", "DOT", "TRX", "LTC"]
SYMBOLS = [f"{c}USDT" for c in COINS]
MEASURES = [
    "frequency_limit",
    "position_limit",
    "leverage_cap",
    "close_only",
    "suspend_open",
    "trading_ban",
    "withdrawal_hold",
    "freeze",
]
FLOOR_SQL = [
    "SELECT category, COUNT(*) FROM alerts_alert WHERE detected_at >= %s AND detected_at < %s "
    "GROUP BY category",
    "SELECT measure, COUNT(*) FROM actions_action WHERE executed_at >= %s AND executed_at < %s "
    "GROUP BY measure",
    "SELECT status, COUNT(*) FROM cases_case WHERE opened_at >= %s AND opened_at < %s "
    "GROUP BY status",
    "SELECT measure, COUNT(*) FROM actions_restriction WHERE applied_at >= %s "
    "AND applied_at < %s GROUP BY measure",
    "SELECT target, COUNT(*) FROM cases_escalation WHERE raised_at >= %s AND raised_at < %s "
    "GROUP BY target",
]


def environment(db_url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="riskdesk.settings",
        DEBUG="false",
        HTTPS="false",
        SECRET_KEY="bench-" + uuid.uuid4().hex * 2,
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=db_url,
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()


def seed_day(day: date, rng: random.Random, people: list, accounts: list[str], tag: str) -> None:
    from apps.actions.models import Action, Restriction
    from apps.alerts.models import Alert
    from apps.cases.models import Case, Escalation

    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    alerts = []
    for n in range(ALERTS):
        at = start + timedelta(seconds=rng.randrange(86_400))
        severity, rank, sla = SEVERITIES[min(3, int(rng.random() ** 0.6 * 4))]
        status = rng.choices(
            ["new", "claimed", "dismissed", "escalated", "in_case"], [5, 5, 70, 10, 10]
        )[0]
        picked = status != "new"
        category = CATEGORIES[n % len(CATEGORIES)]
        alerts.append(
            Alert(
                dedup_key=f"{tag}:{n}",
                rule=category,
                category=category,
                severity=severity,
                severity_rank=rank,
                score=50.0,
                accounts=[accounts[n % len(accounts)]],
                symbol=SYMBOLS[n % len(SYMBOLS)],
                detected_at=at,
                first_seen=at,
                last_seen=at,
                summary=f"finding {n}",
                sla_due_at=at + timedelta(minutes=sla),
                status=status,
                metrics={"accounts": 5, "rewards": 800.0} if category == "promo_abuse" else {},
                claimed_at=at + timedelta(minutes=rng.randrange(1, 90)) if picked else None,
                decided_at=at + timedelta(minutes=rng.randrange(90, 200))
                if status not in ("new", "claimed")
                else None,
                dismiss_reason=rng.choice(["fp_market_maker", "duplicate", "accepted"])
                if status == "dismissed"
                else "",
            )
        )
    Alert.objects.bulk_create(alerts, batch_size=5_000)
    alert_ids = list(
        Alert.objects.filter(dedup_key__startswith=f"{tag}:").values_list("pk", "detected_at")
    )
    actions = []
    for n in range(ACTIONS):
        requested = start + timedelta(seconds=rng.randrange(80_000))
        status = rng.choices(["executed", "failed", "awaiting_approval", "lifted"], [80, 5, 5, 10])[
            0
        ]
        requester, approver = rng.sample(people, 2)
        actions.append(
            Action(
                measure=MEASURES[n % len(MEASURES)],
                scope="account",
                account_id=accounts[n % len(accounts)],
                reason_code="self_trade",
                customer_text="Under review.",
                requires_approval=True,
                status=status,
                requested_by=requester,
                approved_by=approver if status != "awaiting_approval" else None,
                requested_at=requested,
                executed_at=requested + timedelta(minutes=3)
                if status in ("executed", "lifted")
                else None,
                failed_at=requested + timedelta(minutes=3) if status == "failed" else None,
                failure_message="gateway 502" if status == "failed" else "",
            )
        )
    made = Action.objects.bulk_create(actions, batch_size=2_000)
    # requested_at is auto_now_add: set it as the day had it
    Action.objects.bulk_update(made, ["requested_at"], batch_size=2_000)
    through = Action.alerts.through
    through.objects.bulk_create(
        [
            through(action_id=a.pk, alert_id=alert_ids[i * 7 % len(alert_ids)][0])
            for i, a in enumerate(made)
        ],
        batch_size=5_000,
    )
    Restriction.objects.bulk_create(
        [
            Restriction(
                action=a,
                exchange_id=f"{tag}-X{a.pk}",
                measure=a.measure,
                scope=a.scope,
                account_id=a.account_id,
                applied_at=a.executed_at,
                expires_at=a.executed_at + timedelta(hours=rng.choice([6, 30, 200]))
                if i % 2
                else None,
                status="lifted" if a.status == "lifted" else "active",
                ended_at=a.executed_at + timedelta(hours=2) if a.status == "lifted" else None,
            )
            for i, a in enumerate(made)
            if a.executed_at
        ],
        batch_size=2_000,
    )
    cases = Case.objects.bulk_create(
        [
            Case(
                title=f"case {n}",
                severity="high",
                severity_rank=3,
                opened_by=people[n % len(people)],
                status="closed" if n % 3 == 0 else "investigating",
                outcome="no_action" if n % 3 == 0 else "",
                opened_at=start + timedelta(seconds=rng.randrange(86_400)),
                due_at=start + timedelta(days=2),
                closed_at=start + timedelta(hours=23) if n % 3 == 0 else None,
            )
            for n in range(CASES)
        ],
        batch_size=1_000,
    )
    Escalation.objects.bulk_create(
        [
            Escalation(
                case=c,
                target="supervisor",
                reason="timer",
                raised_at=c.opened_at + timedelta(minutes=30),
            )
            for c in cases[: CASES // 2]
        ]
    )


def seed() -> None:
    from django.contrib.auth.models import Group

    from apps.accounts.models import ExchangeAccount
    from apps.people.models import User
    from apps.shifts.models import Shift, ShiftPattern

    rng = random.Random(16)
    group = Group.objects.get(name="supervisor")
    people = []
    for n in range(12):
        person = User.objects.create_user(username=f"bench-{n}", first_name=f"P{n}")
        person.groups.add(group)
        people.append(person)
    now = datetime.now(UTC)
    ExchangeAccount.objects.bulk_create(
        [
            ExchangeAccount(account_id=f"U{n:07d}", registered_at=now, kyc_level=1, vip_tier=0)
            for n in range(ACCOUNTS)
        ],
        batch_size=5_000,
    )
    accounts = [f"U{n:07d}" for n in range(ACCOUNTS)]
    for day, tag in ((DAY, "d"), (DAY - timedelta(days=1), "p"), (DAY - timedelta(days=7), "w")):
        began = time.perf_counter()
        seed_day(day, rng, people, accounts, tag)
        print(f"  seeded {day}: {time.perf_counter() - began:.1f}s", flush=True)
    from datetime import time as clock

    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    for i, hours in enumerate((-4, 8, 20)):
        pattern = ShiftPattern.objects.create(
            code=f"bench{i}", name=f"Bench {i}", time_zone="UTC", starts=clock(8), ends=clock(20)
        )
        Shift.objects.create(
            pattern=pattern,
            local_date=DAY + timedelta(days=i),
            supervisor=people[0],
            starts_at=start + timedelta(hours=hours),
            ends_at=start + timedelta(hours=hours + 12),
        )


def child_floor(db_url: str) -> None:
    """The physical floor: each table's day read and grouped, nothing else."""
    environment(db_url)
    from django.db import connection

    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    began = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in FLOOR_SQL:
            cursor.execute(sql, [start, start + timedelta(days=1)])
            cursor.fetchall()
    print(json.dumps({"seconds": time.perf_counter() - began, "queries": len(FLOOR_SQL)}))


def child_build(db_url: str) -> None:
    environment(db_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.desk.history import acting_task
    from apps.reports.daily.build import daily_report_build
    from apps.reports.models import DailyReport

    end = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC) + timedelta(days=1, hours=6)
    version = (DailyReport.objects.filter(first_day=DAY).count() or 0) + 1
    report = DailyReport.objects.create(
        first_day=DAY, last_day=DAY, version=version, requested_at=end
    )
    began = time.perf_counter()
    with CaptureQueriesContext(connection) as queries, acting_task("bench"):
        built = daily_report_build(report_id=report.pk, now=end)
    seconds = time.perf_counter() - began
    assert built is not None and built.status == "ready"
    errors = [s["key"] for s in built.content["sections"] if "error" in s]
    assert not errors, errors
    alerts = next(s for s in built.content["sections"] if s["key"] == "anomalies")["figures"][0]
    print(json.dumps({"seconds": seconds, "queries": len(queries), "alerts": alerts["value"]}))


def admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="Use a kept, seeded database.")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--child", choices=["floor", "build"])
    parser.add_argument("--db-url", default="")
    options = parser.parse_args()
    if options.child:
        {"floor": child_floor, "build": child_build}[options.child](options.db_url)
        return
    admin_url = os.environ.get("DATABASE_ADMIN_URL", "postgres://root@127.0.0.1:5432/postgres")
    db_url = urlunparse(urlparse(admin_url)._replace(path=f"/{DB_NAME}"))
    if not options.reuse:
        admin(admin_url, f"DROP DATABASE IF EXISTS {DB_NAME}")
        admin(admin_url, f"CREATE DATABASE {DB_NAME}")
        began = time.perf_counter()
        command = [
            sys.executable,
            "-c",
            "import bench.daily_report as b, sys; "
            "b.environment(sys.argv[1]); from django.core.management import call_command; "
            "call_command('migrate', verbosity=0); b.seed()",
            db_url,
        ]
        import subprocess

        subprocess.run(command, check=True, cwd=ROOT)
        admin(db_url, "VACUUM ANALYZE")
        print(f"migrated and seeded in {time.perf_counter() - began:.1f}s", flush=True)
    runs: dict[str, list[dict[str, float]]] = {"floor": [], "build": []}
    try:
        for _ in range(options.repeat):
            for what in ("floor", "build"):
                command = [sys.executable, __file__, "--child", what, "--db-url", db_url]
                runs[what].append(measured(command, what))
    finally:
        if not options.keep and not options.reuse:
            admin(admin_url, f"DROP DATABASE IF EXISTS {DB_NAME}")
    floor, build = runs["floor"], runs["build"]

    def spread(rows: list[dict[str, float]], key: str) -> tuple[float, float]:
        values = [r[key] for r in rows]
        return min(values), statistics.median(values)

    f_min, f_med = spread(floor, "seconds")
    b_min, b_med = spread(build, "seconds")
    r_min, r_med = spread(build, "peak_rss_gib")
    print(
        f"day {DAY}: {build[0]['alerts']:,} alerts, {ACTIONS:,} actions, {CASES:,} cases "
        f"(the same again the day and the week before); {options.repeat} runs"
    )
    print(
        f"floor  bare COUNT(*) GROUP BY x{len(FLOOR_SQL)} tables: "
        f"min {f_min:.3f}s  median {f_med:.3f}s"
    )
    print(
        f"build  daily report, every section:    min {b_min:.2f}s  median {b_med:.2f}s  "
        f"({b_med / f_med:.0f}x the floor)  queries {int(build[0]['queries'])}"
    )
    print(f"peak RSS of the build: min {r_min:.2f} GiB  median {r_med:.2f} GiB")
    ok = b_med < GOAL_SECONDS and r_med < GOAL_GIB
    print(f"goal: < {GOAL_SECONDS:.0f} s and < {GOAL_GIB:.0f} GiB: {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
