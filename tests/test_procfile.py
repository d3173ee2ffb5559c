"""The processes exactly as Procfile ships them, on real Redis and PostgreSQL: a flood of
alerts on the stream does not hold up an approved freeze, nor the timed work."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from apps.actions import services
from apps.actions.models import Action
from apps.alerts.models import Alert
from tests.actions.conftest import request_one
from tests.actions.workers import ROOT, celery_on_redis, database_url, wait_for
from tests.alerts.payloads import alert_payload

FLOOD = 3000


def procfile(path: Path) -> dict[str, str]:
    lines = [line.split(":", 1) for line in path.read_text().splitlines() if ":" in line]
    return {name.strip(): command.strip() for name, command in lines}


def test_procfile_dev_runs_the_same_processes_as_procfile() -> None:
    assert procfile(ROOT / "Procfile").keys() == procfile(ROOT / "Procfile.dev").keys()


@contextmanager
def shipped_processes(redis_url: str, tmp_path: Path) -> Iterator[str]:
    """Start every process of Procfile but `web`, as a supervisor would."""
    stream = f"test:alerts:procfile:{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DEBUG": "true",
        "HTTPS": "false",
        "DJANGO_SETTINGS_MODULE": "riskdesk.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "ALERT_STREAM": stream,
        "DETECTION_DROP_DIR": str(tmp_path / "drop"),
        "LOG_LEVEL": "WARNING",
        "LIVE_FEED_PREFIX": f"test:procfile-feed:{uuid.uuid4().hex}:",
    }
    started: list[subprocess.Popen[bytes]] = []
    for name, command in procfile(ROOT / "Procfile").items():
        if name == "web":
            continue
        command = re.sub(r"var/celerybeat-schedule", str(tmp_path / "beat"), command)
        command = re.sub(r"var/live/", f"{tmp_path}/live/", command)
        started.append(
            subprocess.Popen(
                ["bash", "-c", f"exec {command}"], cwd=ROOT, env=env, start_new_session=True
            )
        )
    try:
        yield stream
    finally:
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in started:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        client = redis.Redis.from_url(redis_url)
        client.delete(stream)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_an_approved_freeze_runs_at_once_while_the_shipped_processes_ingest_a_flood(
    operator, supervisor, redis_url: str, tmp_path: Path
) -> None:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    with celery_on_redis(redis_url), shipped_processes(redis_url, tmp_path) as stream:
        freeze = request_one(operator)  # waits for approval
        with client.pipeline(transaction=False) as pipe:
            for n in range(FLOOD):
                pipe.xadd(stream, {"alert": json.dumps(alert_payload(n))})
            pipe.execute()
        # The flood is being read: now a supervisor approves the freeze.
        wait_for(lambda: Alert.objects.count() > 0, timeout=60, every=0.2)
        time.sleep(6)  # beat has sent its first rounds meanwhile
        services.action_approve(action=freeze, by=supervisor)
        approved = time.monotonic()
        wait_for(
            lambda: Action.objects.get(pk=freeze.pk).status == Action.Status.EXECUTED,
            timeout=60,
            every=0.1,
        )
        took = time.monotonic() - approved
        assert took < 1.5, f"the approved freeze waited {took:.1f} s for a worker"
        wait_for(lambda: Alert.objects.count() == FLOOD, timeout=120, every=0.5)
