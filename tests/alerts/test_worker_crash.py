"""A real Celery worker killed (SIGKILL) in the middle of a stream batch, and another
started: every alert is stored exactly once and every repeat counted exactly once."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from django.db import connection

from apps.alerts.models import Alert, RejectedAlert, StreamDelivery
from tests.alerts.payloads import alert_payload

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
GROUP = "riskdesk-ingest"
DISTINCT, REPEATS, BROKEN = 2400, 500, 100


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def workers(redis_url: str) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )

    def start(stream: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "riskdesk.settings",
            "DEBUG": "true",
            "HTTPS": "false",
            "REDIS_URL": redis_url,
            "DATABASE_URL": database_url,
            "ALERT_STREAM": stream,
            "ALERT_RECLAIM_IDLE_SECONDS": "1",
            "LOG_LEVEL": "WARNING",
        }
        name = f"crash-test-{len(started)}-{uuid.uuid4().hex[:6]}@%h"
        command = [sys.executable, "-m", "celery", "-A", "riskdesk", "worker", "-Q", "ingest",
                   "--concurrency", "1", "-n", name, "--without-gossip", "--without-mingle",
                   "--loglevel", "WARNING"]  # fmt: skip
        # Its own process group, so SIGKILL takes the pool child down with the parent.
        worker = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    # The killed worker's task message waits in the broker's unacked set (acks_late) for
    # a later worker on this test Redis to restore; it belongs to this test only.
    redis.Redis.from_url(redis_url).delete("unacked", "unacked_index")


def test_a_worker_killed_mid_batch_loses_nothing_and_stores_nothing_twice(
    redis_url: str, workers
) -> None:
    client = redis.Redis.from_url(redis_url)
    stream = f"test:alerts:crash:{uuid.uuid4().hex}"
    # Not the current app: the rest of the suite keeps its eager, in-process Celery.
    broker = Celery(broker=redis_url, set_as_current=False)
    sent: Counter[str] = Counter()
    padding = {"trade_ids": [f"T{i:08d}" for i in range(200)]}  # realistic evidence size
    with client.pipeline(transaction=False) as pipe:
        for n in range(DISTINCT + REPEATS + BROKEN):
            if n % 30 == 29:
                pipe.xadd(stream, {"alert": "{cut off"})
                continue
            key_n = n if n < DISTINCT else n % 700
            payload = alert_payload(key_n, evidence=padding)
            sent[payload["dedup_key"]] += 1
            pipe.xadd(stream, {"alert": json.dumps(payload)})
        pipe.execute()
    broken = DISTINCT + REPEATS + BROKEN - sum(sent.values())

    def consume() -> None:
        # A connection of its own: kombu's shared pool for this URL may have been closed
        # by another test's worker helper.
        with broker.connection_for_write() as connection_to_redis:
            broker.send_task(
                "apps.alerts.tasks.consume_alert_stream",
                kwargs={"seconds": 60, "batch": 100},
                queue="ingest",
                connection=connection_to_redis,
            )

    def pending() -> int:
        summary: Any = client.xpending(stream, GROUP)
        return int(summary["pending"])

    first = workers(stream)
    consume()
    # Kill once a good part is stored and a batch is in flight (read, not acknowledged).
    wait_for(lambda: Alert.objects.count() >= 600 and pending() > 0, 40, "a batch in flight")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(10)
    stored_at_death = Alert.objects.count()
    in_flight = pending()
    assert stored_at_death < len(sent), "the worker finished before it was killed"
    assert in_flight > 0, "the kill did not land in a batch"

    workers(stream)
    consume()
    wait_for(
        lambda: pending() == 0 and client.xlen(stream) == 0 and Alert.objects.count() == len(sent),
        45,
        "the second worker to drain the stream",
    )

    assert Alert.objects.count() == len(sent)
    counts = dict(Alert.objects.values_list("dedup_key", "repeat_count"))
    assert counts == {key: times - 1 for key, times in sent.items()}
    assert RejectedAlert.objects.count() == broken
    assert StreamDelivery.objects.filter(stream=stream).count() == DISTINCT + REPEATS + BROKEN
    client.delete(stream)
