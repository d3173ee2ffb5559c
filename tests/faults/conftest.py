"""The fault suite: Procfile's processes for real, on the test database, with parts broken
on purpose. Every case needs PostgreSQL and redis-server (make test's second run); on SQLite
each is skipped with the reason."""

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.db import connection
from knox.models import AuthToken

from apps.people.models import User
from tests.actions.workers import database_url
from tests.factories import make_person
from tests.faults.stack import ROOT, CuttableProxy, PrivateRedis, Stack, free_port
from tests.shifts.helpers import make_shift, now


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    yield server
    server.close()


@pytest.fixture
def pg_proxy(db: None) -> Iterator[CuttableProxy]:
    s = connection.settings_dict
    proxy = CuttableProxy(s["HOST"] or "127.0.0.1", int(s["PORT"] or 5432))
    yield proxy
    proxy.close()


@pytest.fixture
def make_stack(private_redis: PrivateRedis) -> Iterator[Callable[..., Stack]]:
    stacks: list[Stack] = []

    def make(*, via: CuttableProxy | None = None, **env: str) -> Stack:
        url = database_url()
        if via is not None:
            url = url.replace(f":{connection.settings_dict['PORT'] or 5432}/", f":{via.port}/")
        stack = Stack(url, private_redis.url, **env)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.stop_all()


@pytest.fixture
def on_duty(db: None) -> User:
    """An operator on a shift now, so new alerts are offered to someone."""
    person = make_person("olga", "operator")
    supervisor = make_person("sam", "supervisor")
    make_shift(starts_at=now() - timedelta(hours=1), operators=[person], supervisor=supervisor)
    return person


@pytest.fixture
def detector_token(db: None) -> str:
    _, token = AuthToken.objects.create(user=make_person("detector", "system"))
    return token


EXCHANGE_TOKEN = "faults-exchange-token"


@pytest.fixture
def exchange(db: None) -> Iterator[dict[str, str]]:
    """The sandbox exchange served over HTTP by its own process (run_sandbox_exchange), and
    the settings that point the desk's processes at it."""
    port = free_port()
    command = [sys.executable, "manage.py", "run_sandbox_exchange", "--port", str(port)]
    command += ["--token", EXCHANGE_TOKEN]
    env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "true", "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE)
    assert server.stdout is not None
    assert f"127.0.0.1:{port}" in server.stdout.readline().decode()
    yield {
        "RISKDESK_GATEWAY": "http",
        "RISKDESK_GATEWAY_URL": f"http://127.0.0.1:{port}",
        "RISKDESK_GATEWAY_TOKEN": EXCHANGE_TOKEN,
    }
    server.terminate()
    server.wait(10)
