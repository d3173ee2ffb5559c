"""The http gateway against the sandbox exchange served over HTTP on a real 127.0.0.1 port."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from apps.actions.gateway import HttpGateway
from apps.actions.measures import Measure
from apps.actions.models import Action, ActionAttempt
from apps.actions.sandbox import exchange
from apps.actions.sandbox.models import SandboxCall, SandboxPosition, SandboxRestriction
from apps.actions.sandbox.wsgi import serve_in_thread
from tests.actions.conftest import request_one
from tests.actions.workers import database_url

pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = "sandbox-test-token"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def exchange_url() -> Iterator[str]:
    server, url = serve_in_thread(token=TOKEN)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_gateway(settings, exchange_url: str) -> HttpGateway:
    settings.RISKDESK_GATEWAY = "http"
    settings.RISKDESK_GATEWAY_URL = exchange_url
    settings.RISKDESK_GATEWAY_TOKEN = TOKEN
    settings.RISKDESK_GATEWAY_TIMEOUT = 0.4
    return HttpGateway(exchange_url, TOKEN, 2)


def body(**fields: Any) -> dict[str, Any]:
    base = {
        "account_id": "U1",
        "scope": "account",
        "symbol": None,
        "measure": "leverage_cap",
        "params": {"max_leverage": 5},
        "reason_code": "self_trade",
        "expires_at": None,
    }
    return base | fields


def test_the_served_sandbox_answers_the_contracts_status_codes(http_gateway: HttpGateway) -> None:
    put = http_gateway.call("PUT", "/restrictions/A-1", body=body())
    assert put.status == 201 and put.body is not None
    assert put.body["id"] == "A-1" and put.body["status"] == "active" and put.body["applied_at"]
    assert http_gateway.call("PUT", "/restrictions/A-1", body=body()).status == 200
    for bad, message in [
        (body(params={"max_leverage": 5, "extra": 1}), "Unknown params"),
        (body(params={"max_leverage": 5.5}), "must be an integer"),
        (body(colour="red"), "Unknown keys: colour"),
        (body(scope="platform"), "scope platform takes neither"),
    ]:
        reply = http_gateway.call("PUT", "/restrictions/A-2", body=bad)
        assert reply.status == 400 and message in reply.message, reply
    active = http_gateway.call("GET", "/restrictions", query="status=active")
    assert active.body is not None
    assert [r["id"] for r in active.body["restrictions"]] == ["A-1"]
    assert (http_gateway.call("GET", "/accounts/U1").body or {})["restrictions"][0][
        "measure"
    ] == "leverage_cap"
    assert http_gateway.call("DELETE", "/restrictions/A-1").body == {
        "id": "A-1",
        "status": "lifted",
    }
    assert http_gateway.call("DELETE", "/restrictions/A-1").status == 200
    assert http_gateway.call("DELETE", "/restrictions/A-404").status == 404
    assert HttpGateway(http_gateway.base_url, "wrong", 2).call("GET", "/accounts/U1").status == 401


def test_liquidations_over_http_answer_the_first_result_again_for_the_same_key(
    http_gateway: HttpGateway,
) -> None:
    SandboxPosition.objects.create(
        account_id="U9", symbol="BTCUSDT", qty=2, entry_price=1, mark_price=2
    )
    assert (
        http_gateway.call("POST", "/liquidations", body={"account_id": "U9", "symbol": None}).status
        == 400
    )
    first = http_gateway.call(
        "POST", "/liquidations", body={"account_id": "U9", "symbol": None}, key="A-7"
    )
    again = http_gateway.call(
        "POST", "/liquidations", body={"account_id": "U9", "symbol": None}, key="A-7"
    )
    assert first.status == again.status == 200
    assert (
        first.body
        == again.body
        == {"id": "A-7", "closed_positions": [{"symbol": "BTCUSDT", "qty": 2.0, "price": 2.0}]}
    )


@pytest.fixture
def held_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """A hung call waits on the exchange until the test lets it go, not for a number of
    seconds: nothing in the test then depends on how fast the machine is."""
    released = threading.Event()
    monkeypatch.setattr(exchange, "time", SimpleNamespace(sleep=lambda _: released.wait(60)))
    yield released
    released.set()


def test_actions_run_through_the_http_gateway_retrying_503s_and_timeouts(
    http_gateway, operator, exchange_url, held_calls
) -> None:
    order = {"kind": "unavailable", "count": 1}
    request = urllib.request.Request(
        f"{exchange_url}/_sandbox/faults",
        data=json.dumps(order).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert urllib.request.urlopen(request).status == 201
    # Queued after the 503: the second call hangs on the exchange until released below, so
    # the desk's timeout (0.4 s) always comes first, whatever the load.
    exchange.order_fault("hang_before", seconds=30)
    ban = request_one(operator, Measure.TRADING_BAN)  # eager: runs after the commit
    wait_until(lambda: Action.objects.get(pk=ban.pk).status == Action.Status.EXECUTED)
    attempts = list(ban.attempt_log.order_by("number"))
    # The hung call is still held by the exchange: the retry creates the restriction.
    assert [(a.status_code, a.outcome) for a in attempts] == [
        (503, ActionAttempt.Outcome.TRANSIENT),
        (None, ActionAttempt.Outcome.TRANSIENT),
        (201, ActionAttempt.Outcome.OK),
    ]
    assert "timed out" in attempts[1].error

    # Now the exchange applies the call the desk gave up on: it must not double the effect.
    held_calls.set()
    wait_until(lambda: SandboxCall.objects.filter(fault="hang_before").exists())
    assert SandboxRestriction.objects.filter(pk=ban.reference).count() == 1
    assert SandboxCall.objects.filter(key=ban.reference, changed_state=True).count() == 1


def wait_until(condition: Callable[[], bool], timeout: float = 30) -> None:
    """Poll until `condition` holds: a deadline for a broken build, not a timing in the test."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_a_refused_connection_is_transient(settings, operator) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    reply = HttpGateway(f"http://127.0.0.1:{closed_port}", "", 1).call("GET", "/accounts/U1")
    assert reply.status is None and reply.transient and "cannot reach" in reply.error


@pytest.mark.postgres
def test_the_management_command_serves_the_sandbox_on_a_port(db: None) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "true"}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "run_sandbox_exchange", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        assert f"127.0.0.1:{port}" in server.stdout.readline().decode()
        gateway = HttpGateway(f"http://127.0.0.1:{port}", "", 5)
        assert gateway.call("PUT", "/restrictions/A-5", body=body()).status == 201
        assert gateway.call("PUT", "/restrictions/A-5", body=body()).status == 200
        assert SandboxRestriction.objects.get(pk="A-5").measure == "leverage_cap"
    finally:
        server.terminate()
        server.wait(10)
