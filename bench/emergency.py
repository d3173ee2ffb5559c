"""Emergency plan bench: a plan of 6 measures on all contracts, from approval to all executed.

Real pieces only: PostgreSQL, a Celery worker on Redis (queue `actions`), the `http` gateway
talking to the sandbox exchange served over HTTP (`run_sandbox_exchange`). Each repeat
activates the liquidation-cascade plan platform-wide (6 measures: every contract), approves
it in one decision, and times approval -> all 6 executed; then lifts it (approval -> all 6
lifted). Beside it, the physical floor in the same run: the same 6 PUTs sent bare, one after
the other, by the same gateway class. With --symbols N, the plan is also activated on N
contracts at once (6N measures) and approved activation by activation.

    DATABASE_URL=postgres://root@127.0.0.1:5432/riskdesk_plans \
    REDIS_URL=redis://127.0.0.1:6379/6 .venv/bin/python bench/emergency.py [--repeats 7]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Importing it sets the http gateway's environment, on a free port, and checks PG + Redis.
from bench.actions import PORT, ensure_database  # noqa: E402


def wait_settled(batches: list, limit: float = 60.0) -> float:
    """Seconds until no action of `batches` is approved or executing (polled every 5 ms)."""
    from apps.actions.models import Action

    started = time.perf_counter()
    while Action.objects.filter(batch__in=batches, status__in=("approved", "executing")).exists():
        if time.perf_counter() - started > limit:
            sys.exit(f"not settled within {limit:.0f} s")
        time.sleep(0.005)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--symbols", type=int, default=0, help="also: the plan on N contracts")
    parser.add_argument("--concurrency", type=int, default=6)
    options = parser.parse_args()

    import django

    django.setup()
    ensure_database()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import redis
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.db.models import Count

    from apps.actions.gateway import HttpGateway
    from apps.actions.models import Action, EmergencyPlan
    from apps.actions.plans.demo import demo_plans_create
    from apps.actions.plans.services import (
        activation_approve,
        activation_lift_request,
        activation_request,
    )
    from apps.actions.sandbox.models import SandboxCall, SandboxRestriction
    from apps.desk.history import acting_task
    from apps.people.models import User

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()

    def person(name: str, role: str) -> User:
        user, _ = User.objects.get_or_create(username=f"bench-{name}")
        user.groups.set([Group.objects.get(name=role)])
        return user

    operator, supervisor = person("olga", "operator"), person("sam", "supervisor")
    with acting_task("bench"):
        demo_plans_create(supervisor)
    plan = EmergencyPlan.objects.get(key="liquidation-cascade", is_current=True)
    assert len(plan.measures) == 6
    connection.close()

    exchange = subprocess.Popen(
        [sys.executable, "manage.py", "run_sandbox_exchange", "--port", str(PORT)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "riskdesk", "worker", "-Q", "actions",
         "--pool", "threads", "--concurrency", str(options.concurrency), "-n", "plans@%h",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
        cwd=ROOT,
        start_new_session=True,
    )  # fmt: skip
    applied, lifted, bare, wide = [], [], [], []
    try:
        assert exchange.stdout is not None
        exchange.stdout.readline()  # "sandbox exchange on http://…"
        gateway = HttpGateway(f"http://127.0.0.1:{PORT}", "", 5)
        for run in range(options.repeats + 1):  # run 0 warms the worker up, not counted
            activation = activation_request(by=operator, plan=plan)
            started = time.perf_counter()
            activation_approve(activation=activation, by=supervisor)
            approve_commit = time.perf_counter() - started
            took = approve_commit + wait_settled([activation.batch])
            placed = Action.objects.filter(batch=activation.batch)
            assert set(placed.values_list("status", flat=True)) == {"executed"}, run
            activation_lift_request(activation=activation, by=operator)
            started = time.perf_counter()
            activation_approve(activation=activation, by=supervisor)
            activation.refresh_from_db()
            lift_took = (time.perf_counter() - started) + wait_settled([activation.lift_batch])
            assert set(placed.values_list("status", flat=True)) == {"lifted"}, run
            # The floor: the same six PUT bodies, bare, one after the other.
            bodies = [a.attempt_log.get(number=1).request_body for a in placed.order_by("pk")]
            started = time.perf_counter()
            for n, body in enumerate(bodies):
                gateway.call("PUT", f"/restrictions/BARE-{run}-{n}", body=body)
            bare_took = time.perf_counter() - started
            if run:
                applied.append(took)
                lifted.append(lift_took)
                bare.append(bare_took)
        if options.symbols:
            for _ in range(3):
                symbols = [f"BENCH{n:03d}USDT" for n in range(options.symbols)]
                made = [activation_request(by=operator, plan=plan, symbol=s) for s in symbols]
                started = time.perf_counter()
                for activation in made:
                    activation_approve(activation=activation, by=supervisor)
                wide.append(time.perf_counter() - started + wait_settled([a.batch for a in made]))
                for activation in made:
                    activation_lift_request(activation=activation, by=operator)
                    activation_approve(activation=activation, by=supervisor)
                wait_settled([a.lift_batch for a in made])
        doubled = (
            SandboxCall.objects.filter(changed_state=True, method="PUT")
            .exclude(key__startswith="BARE")
            .values("key")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .count()
        )
    finally:
        worker.terminate()
        worker.wait(30)
        exchange.terminate()
        exchange.wait(10)
        SandboxRestriction.objects.filter(pk__startswith="BARE-").delete()

    def fig(values: list[float]) -> str:
        return f"min {min(values) * 1000:.0f} ms, median {statistics.median(values) * 1000:.0f} ms"

    print(f"repeats: {len(applied)} (after one warm-up), worker threads x {options.concurrency}")
    print(f"6 bare PUTs in sequence (floor):            {fig(bare)}")
    print(
        f"approval -> all 6 executed (platform-wide): {fig(applied)}  "
        f"= {statistics.median(applied) / statistics.median(bare):.1f}x the floor (goal < 5 s)"
    )
    print(f"lift approval -> all 6 lifted:              {fig(lifted)}")
    if wide:
        print(
            f"{options.symbols} contracts x 6 = {options.symbols * 6} measures, "
            f"approvals -> all executed: {fig(wide)}"
        )
    print(f"measures applied twice on the exchange: {doubled}")


if __name__ == "__main__":
    main()
