"""Real Celery workers on Redis for tests and the bench: subprocesses on the test database."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import kombu.pools
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of the database this process uses (the test database under pytest)."""
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{s['USER']}{password}@{host}/{s['NAME']}"


@contextmanager
def celery_on_redis(redis_url: str) -> Iterator[None]:
    """Send tasks from this process to Redis instead of running them eagerly."""
    from riskdesk.celery import app

    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=redis_url, task_always_eager=False)
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.pool.force_close_all()
        # kombu keeps producer pools per connection in a registry of its own: drop the
        # closed ones, or the next test on the same Redis acquires from a closed pool.
        kombu.pools.reset()
        app.conf.update(saved)
        app._pool = None
        app.amqp._producer_pool = None


def start_worker(
    name: str,
    redis_url: str,
    *,
    pool: str = "solo",
    concurrency: int = 1,
    env: dict[str, str] | None = None,
) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "riskdesk.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "riskdesk",
        "worker",
        "-Q",
        "actions",
        "-n",
        f"{name}@%h",
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "WARNING",
    ]
    # Its own session, so a kill reaches the worker and every child it has.
    return subprocess.Popen(command, cwd=ROOT, env=environment, start_new_session=True)


def kill_hard(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(10)


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            kill_hard(worker)


def wait_for(condition: Callable[[], Any], *, timeout: float = 30, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not true within {timeout} s")
