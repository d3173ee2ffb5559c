"""A bad market hour: 5,000 alerts in one minute on the alert stream (as the detection layer
XADDs them) while 10 operators work the queue over HTTP, with every process of Procfile
running as shipped (gunicorn web, ingest, actions, timers, batch, beat).

    DATABASE_ADMIN_URL=postgres://root@127.0.0.1:5432/postgres \
    BENCH_REDIS_URL=redis://127.0.0.1:6379/5 \
    /work/main/.venv/bin/python bench/bad_hour.py [--rounds 3] [--alerts 5000]

Creates riskdesk_bench_bad_hour (dropped at the end) and empties the given Redis db. Per
round: the ingest rate and how far ingest lags the flood's end; the operators' queue page
p50 / p95; the lag until every alert is offered to someone on duty (goal < 30 s); how late
the case timer scan (SLA / escalation, every 30 s) ran (goal < 30 s); how long after the
flood the Celery queues are empty again (goal < 60 s). Beside them, in the same run, the
single-process ingest figure of bench/alerts_ingest.py. Min and median over the rounds.
"""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_NAME = "riskdesk_bench_bad_hour"
OPERATORS, PASSWORD = 10, "bad-hour-bench-password"
QUEUES = ["actions", "timers", "notify", "default", "detection", "reports", "ingest"]
SEVERITIES = ["critical"] * 5 + ["high"] * 25 + ["medium"] * 40 + ["low"] * 30
LOG_TIME = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+)")


def admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(sql)


def single_process_ingest(admin_url: str, redis_url: str) -> float:
    env = {**os.environ, "DATABASE_ADMIN_URL": admin_url, "BENCH_REDIS_URL": redis_url}
    out = subprocess.run(
        [sys.executable, "bench/alerts_ingest.py", "--alerts", "20000"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"stream -> PostgreSQL:\s+[\d.]+ s = ([\d,]+) alerts/s", out)
    assert found, out
    return float(found.group(1).replace(",", ""))


def payload(round_no: int, n: int) -> dict:
    account = f"U{random.randrange(1, 4000):07d}"
    at = datetime.now(UTC).replace(microsecond=0)
    return {
        "dedup_key": f"badhour:{round_no}:{n}", "rule": "self_trade", "category": "self_trade",
        "severity": random.choice(SEVERITIES), "score": round(random.uniform(40, 99), 1),
        "accounts": [account], "symbol": "BTCUSDT",
        "window_start": (at - timedelta(minutes=5)).isoformat(), "window_end": at.isoformat(),
        "detected_at": at.isoformat(), "summary": f"{account} traded with itself",
        "metrics": {"self_trades": 41}, "evidence": {"trade_ids": [f"T{n}-{i}" for i in range(20)]},
        "source": "bench.bad_hour",
    }  # fmt: skip


def flood(client, round_no: int, alerts: int, seconds: float) -> None:
    """`alerts` XADDs spread evenly over `seconds`, in ten sends a second."""
    started, sends = time.monotonic(), int(seconds * 10)
    for tick in range(sends):
        chunk = range(tick * alerts // sends, (tick + 1) * alerts // sends)
        with client.pipeline(transaction=False) as pipe:
            for n in chunk:
                pipe.xadd("riskdesk:alerts", {"alert": json.dumps(payload(round_no, n))})
            pipe.execute()
        time.sleep(max(0.0, started + (tick + 1) / 10 - time.monotonic()))


def operator_work(person, stop: threading.Event, pages: list[float]) -> None:
    """Load one's offered work, claim the first alert and dismiss it; the whole queue now
    and then. About a second of thought between clicks."""
    loops = 0
    while not stop.is_set():
        loops += 1
        path = "/alerts/" if loops % 4 == 0 else "/alerts/?assignee=offered"
        page = person.get(path)
        if page.status == 200:
            pages.append(page.seconds)
        ids = re.findall(r'<tr data-id="(\d+)"', page.body)[:1]
        for action in ("claim", "dismiss") if ids and path != "/alerts/" else ():
            stop.wait(random.uniform(0.5, 1.5))
            person.post(
                "/alerts/act/",
                {"action": action, "ids": ids[0], "reason": "fp_data_issue", "note": "bad hour"},
            )
        stop.wait(random.uniform(0.5, 1.5))


def log_times(path: Path, *markers: str) -> list[datetime]:
    """Times (UTC, as Celery logs them here) of the log lines holding every marker."""
    found = []
    for line in path.read_text(errors="replace").splitlines():
        stamp = LOG_TIME.match(line)
        if stamp and all(marker in line for marker in markers):
            at = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S,%f")
            found.append(at.replace(tzinfo=UTC))
    return found


def scan_lateness(logs: Path, since: datetime, until: datetime) -> list[float]:
    """For each beat send of the case timer scan in the window: seconds until a run of it
    finished (a message that expired unrun waits for the next run that does)."""
    sent = [t for t in log_times(logs / "beat.log", "cases-scan-timers") if since <= t <= until]
    finished = log_times(logs / "timers.log", "apps.cases.tasks.scan_timers[", " succeeded ")
    late = []
    for at in sent:
        after = [t for t in finished if t >= at]
        late.append((after[0] - at).total_seconds() if after else float("inf"))
    return late


def seed(round_alerts: int) -> None:
    from django.contrib.auth.hashers import make_password

    from apps.people.models import User
    from tests.factories import make_person
    from tests.shifts.helpers import make_shift, now

    people = [make_person(f"op{n:02d}", "operator") for n in range(1, OPERATORS + 1)]
    supervisor = make_person("sup", "supervisor")
    User.objects.update(password=make_password(PASSWORD))
    make_shift(starts_at=now() - timedelta(hours=1), operators=people, supervisor=supervisor)


def one_round(round_no: int, options, stack, client) -> dict[str, float]:
    from django.db import connection

    from apps.alerts.models import Alert
    from tests.faults.http import Person

    ours = Alert.objects.filter(dedup_key__startswith=f"badhour:{round_no}:")
    people = [Person(stack.url, 60).sign_in(f"op{n:02d}", PASSWORD) for n in range(1, 11)]
    pages: list[float] = []
    stop = threading.Event()
    workers = [threading.Thread(target=operator_work, args=(p, stop, pages)) for p in people]
    for worker in workers:
        worker.start()
    since = datetime.now(UTC)
    started = time.monotonic()
    flood(client, round_no, options.alerts, 60.0)
    flood_end = time.monotonic()
    stored_at = offered_at = empty_at = None
    while time.monotonic() < flood_end + options.wait:
        stored = ours.count()
        waiting = ours.filter(offered_to__isnull=True, assignee__isnull=True).count()
        depth = sum(client.llen(queue) for queue in QUEUES)
        t = time.monotonic()
        if stored == options.alerts and stored_at is None:
            stored_at = t
        if stored == options.alerts and waiting == 0 and offered_at is None:
            offered_at = t
        empty_at = (empty_at or t) if depth == 0 else None
        if offered_at and empty_at and t - flood_end > 35:  # a scan period seen after it
            break
        time.sleep(0.5)
    stop.set()
    for worker in workers:
        worker.join(60)
    per_alert = [
        (offered - seen).total_seconds()
        for seen, offered in ours.exclude(offered_at__isnull=True).values_list(
            "first_seen", "offered_at"
        )
        if offered is not None
    ]
    late = scan_lateness(stack.logs, since, datetime.now(UTC))
    connection.close()
    never = float("inf")
    pages.sort()
    return {
        "stored alerts/s (flood-paced)": options.alerts / ((stored_at or never) - started),
        "ingest done after the flood s": (stored_at or never) - flood_end,
        "queue page p50 ms": 1000 * statistics.median(pages),
        "queue page p95 ms": 1000 * pages[int(0.95 * (len(pages) - 1))],
        "queue page loads": float(len(pages)),
        "all offered after the flood s": (offered_at or never) - flood_end,
        "worst alert arrival->offer s": max(per_alert, default=never),
        "case timer scan, latest run s": max(late, default=never),
        "queues empty after the flood s": (empty_at or never) - flood_end,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--alerts", type=int, default=5000)
    parser.add_argument("--wait", type=float, default=300, help="Give up this long after.")
    options = parser.parse_args()
    admin_url = os.environ.get("DATABASE_ADMIN_URL", "postgres://root@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
    db_url = urlunparse(urlparse(admin_url)._replace(path=f"/{DB_NAME}"))
    baseline = single_process_ingest(admin_url, redis_url)

    admin(admin_url, f"DROP DATABASE IF EXISTS {DB_NAME}")
    admin(admin_url, f"CREATE DATABASE {DB_NAME}")
    production = {
        "DEBUG": "false", "SECRET_KEY": "bench-" + uuid.uuid4().hex * 2, "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "DATABASE_URL": db_url, "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
    }  # fmt: skip
    os.environ.update(DJANGO_SETTINGS_MODULE="riskdesk.settings", **production)
    import django

    django.setup()
    from django.core.management import call_command

    from apps.alerts.stream import redis_client
    from tests.faults.stack import Stack

    client = redis_client(redis_url)
    client.flushdb()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--no-input", verbosity=0)
    seed(options.alerts)
    # Procfile's own concurrency defaults, not the fault suite's small ones.
    stack = Stack(db_url, redis_url, WEB_CONCURRENCY="3", ACTIONS_CONCURRENCY="4",
                  TIMERS_CONCURRENCY="2", BATCH_CONCURRENCY="2", **production)  # fmt: skip
    stack.as_shipped = True
    results: list[dict[str, float]] = []
    try:
        for kind in ("web", "ingest", "actions", "timers", "batch", "beat"):
            stack.start(kind)
        time.sleep(10)  # workers up, beat's first round of scans sent
        for round_no in range(1, options.rounds + 1):
            results.append(one_round(round_no, options, stack, client))
            print(
                f"round {round_no}: " + ", ".join(f"{k} {v:,.1f}" for k, v in results[-1].items()),
                flush=True,
            )
    finally:
        stack.stop_all()
        client.flushdb()
        from django.db import connection

        connection.close()
        admin(admin_url, f"DROP DATABASE IF EXISTS {DB_NAME}")
    print(f"\nbad hour: {options.alerts:,} alerts in 60 s on the stream, {OPERATORS} operators, "
          f"Procfile's six processes; {options.rounds} rounds (logs: {stack.logs})")  # fmt: skip
    print(f"{'figure':34} {'min':>10} {'median':>10}")
    for key in results[0]:
        values = [r[key] for r in results]
        print(f"{key:34} {min(values):>10,.1f} {statistics.median(values):>10,.1f}")
    print(f"{'single-process ingest alerts/s':34} {baseline:>10,.0f}   (bench/alerts_ingest.py, "
          "20,000 alerts, this run)")  # fmt: skip
    medians = {k: statistics.median(r[k] for r in results) for k in results[0]}
    goals = {
        "every alert offered < 30 s after the flood": medians["all offered after the flood s"] < 30,
        "case timer scan < 30 s late": medians["case timer scan, latest run s"] < 30,
        "queues empty < 60 s after the flood": medians["queues empty after the flood s"] < 60,
    }  # fmt: skip
    for goal, met in goals.items():
        print(f"goal: {goal}: {'met' if met else 'NOT met'} (median)")


if __name__ == "__main__":
    main()
