"""Actions bench: approval-to-executed latency and one measure on 1,000 accounts.

Real pieces only: PostgreSQL, a Celery worker on Redis (queue `actions`), the `http` gateway
talking to the sandbox exchange served over HTTP (`run_sandbox_exchange`). Prints figures and,
next to them, the physical limit measured in the same run: one bare HTTP PUT to the sandbox
and one Redis round trip.

    DATABASE_URL=postgres://root@127.0.0.1:5432/riskdesk_actions \
    REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/actions.py [--latency-runs 100]
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PORT = free_port()
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskdesk.settings")
os.environ["RISKDESK_GATEWAY"] = "http"
os.environ["RISKDESK_GATEWAY_URL"] = f"http://127.0.0.1:{PORT}"
os.environ.setdefault("LOG_LEVEL", "WARNING")
if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
    sys.exit("bench/actions.py needs DATABASE_URL=postgres://… and REDIS_URL=redis://…")


def ensure_database() -> None:
    import psycopg
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    with psycopg.connect(
        host=settings.DATABASES["default"]["HOST"] or "127.0.0.1",
        user=settings.DATABASES["default"]["USER"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-runs", type=int, default=100)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--pool", default="threads", choices=["threads", "prefork", "solo"])
    options = parser.parse_args()

    import django

    django.setup()
    ensure_database()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    import redis
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.utils import timezone

    from apps.accounts.models import ControlCluster, ExchangeAccount
    from apps.actions import services
    from apps.actions.gateway import HttpGateway
    from apps.actions.models import AccountLookup, Action, ActionAttempt, Restriction
    from apps.actions.sandbox.models import SandboxCall, SandboxRestriction
    from apps.people.models import User

    # A clean slate in the bench's own database and Redis db.
    for model in (Restriction, ActionAttempt, AccountLookup):
        model.objects.all().delete()
    Action.objects.filter(lifts__isnull=False).delete()
    Action.objects.all().delete()
    Action.history.all().delete()
    SandboxRestriction.objects.all().delete()
    SandboxCall.objects.all().delete()
    ExchangeAccount.objects.filter(account_id__startswith="B").delete()
    redis_client = redis.Redis.from_url(os.environ["REDIS_URL"])
    redis_client.flushdb()

    def person(name: str, role: str) -> User:
        user, _ = User.objects.get_or_create(username=f"bench-{name}")
        user.groups.set([Group.objects.get(name=role)])
        return user

    operator, supervisor = person("olga", "operator"), person("sam", "supervisor")
    cluster, _ = ControlCluster.objects.get_or_create(key="BENCH", defaults={"size": 0})
    now = timezone.now()
    ExchangeAccount.objects.bulk_create(
        [
            ExchangeAccount(
                account_id=f"B{i:06d}",
                registered_at=now,
                kyc_level=2,
                vip_tier=0,
                cluster=cluster if i < options.accounts else None,
            )
            for i in range(options.accounts + options.latency_runs)
        ]
    )
    connection.close()

    env = {**os.environ}
    exchange = subprocess.Popen(
        [sys.executable, "manage.py", "run_sandbox_exchange", "--port", str(PORT)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "riskdesk",
            "worker",
            "-Q",
            "actions",
            "--pool",
            options.pool,
            "--concurrency",
            str(options.concurrency),
            "-n",
            "bench@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        assert exchange.stdout is not None
        exchange.stdout.readline()  # "sandbox exchange on http://…"
        gateway = HttpGateway(f"http://127.0.0.1:{PORT}", "", 5)

        # The physical limit: one bare PUT to the sandbox (its own DB write) and one Redis trip.
        bare = []
        for i in range(200):
            body: dict[str, object] = {
                "account_id": "B000000",
                "scope": "account",
                "symbol": None,
                "measure": "close_only",
                "params": {},
                "reason_code": "bench",
                "expires_at": None,
            }
            started = time.perf_counter()
            gateway.call("PUT", f"/restrictions/BARE-{i}", body=body)
            bare.append(time.perf_counter() - started)
        pings = []
        for _ in range(200):
            started = time.perf_counter()
            redis_client.ping()
            pings.append(time.perf_counter() - started)
        SandboxRestriction.objects.filter(pk__startswith="BARE-").delete()

        # Warm the worker up (imports, connections) before timing.
        (warm,) = services.action_request(
            by=operator,
            measure="close_only",
            scope="account",
            account_ids=[f"B{options.accounts:06d}"],
            reason_code="other",
            customer_text="bench warm-up",
        )
        deadline = time.monotonic() + 60
        while Action.objects.get(pk=warm.pk).status != "executed":
            if time.monotonic() > deadline:
                sys.exit("the worker did not execute the warm-up action within 60 s")
            time.sleep(0.05)

        latencies = []
        for i in range(1, options.latency_runs):
            (freeze,) = services.action_request(
                by=operator,
                measure="freeze",
                scope="account",
                account_ids=[f"B{options.accounts + i:06d}"],
                reason_code="self_trade",
                customer_text="bench",
            )
            services.action_approve(action=freeze, by=supervisor)
            while True:
                row = Action.objects.values("status", "decided_at", "executed_at").get(pk=freeze.pk)
                if row["status"] in ("executed", "failed"):
                    break
                time.sleep(0.005)
            assert row["status"] == "executed", row
            executed_at, decided_at = row["executed_at"], row["decided_at"]
            assert executed_at is not None and decided_at is not None
            latencies.append((executed_at - decided_at).total_seconds())

        # One measure on a whole cluster of 1,000 accounts: request, then all executed.
        members = list(cluster.members.values_list("account_id", flat=True))
        started = time.perf_counter()
        batch = services.action_request(
            by=operator,
            measure="close_only",
            scope="account",
            account_ids=members,
            reason_code="linked_accounts",
            customer_text="bench cluster",
        )
        requested = time.perf_counter() - started
        ids = [a.pk for a in batch]
        while Action.objects.filter(pk__in=ids, status__in=("approved", "executing")).exists():
            time.sleep(0.05)
        applied = time.perf_counter() - started
        executed = Action.objects.filter(pk__in=ids, status="executed").count()
        on_exchange = SandboxRestriction.objects.filter(pk__in=[f"A-{pk}" for pk in ids]).count()
    finally:
        worker.terminate()
        worker.wait(30)
        exchange.terminate()
        exchange.wait(10)

    print(
        f"physical limit: bare HTTP PUT to the sandbox p50 {ms(statistics.median(bare))}, "
        f"p95 {ms(percentile(bare, 0.95))}; Redis PING p50 {ms(statistics.median(pings))}"
    )
    print(
        f"approval -> executed ({len(latencies)} freezes, worker on Redis, http gateway): "
        f"p50 {ms(statistics.median(latencies))}, p95 {ms(percentile(latencies, 0.95))}, "
        f"max {ms(max(latencies))}  (goal p95 < 1000 ms)"
    )
    print(
        f"one measure on {len(members)} accounts: request written in {requested:.2f} s, "
        f"all executed in {applied:.2f} s ({len(members) / applied:.0f} actions/s, "
        f"{options.pool} pool x {options.concurrency}); executed {executed}/{len(members)}, "
        f"on the exchange {on_exchange}"
    )


if __name__ == "__main__":
    main()
