"""The exchange gateway (shared/contracts/gateway.md): one interface, two ways to reach it.

`sandbox` answers in-process from the sandbox exchange's tables; `http` speaks the contract to
a real exchange (or to `run_sandbox_exchange`). Both give a Reply; the executor decides from
it alone whether the call worked, must be retried, or failed for good.
"""

import json
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Reply:
    status: int | None  # None: no answer at all (timeout, refused connection)
    body: dict[str, Any] | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def transient(self) -> bool:
        """5xx, timeouts and refused connections: worth another try under the same id."""
        return self.status is None or self.status >= 500

    @property
    def message(self) -> str:
        if self.error:
            return self.error
        if isinstance(self.body, dict) and self.body.get("error"):
            return f"{self.status}: {self.body['error']}"
        return f"{self.status}: {json.dumps(self.body)[:300]}"


class Gateway(Protocol):
    name: str

    def call(
        self, method: str, path: str, *, body: dict | None = None, key: str = "", query: str = ""
    ) -> Reply: ...


class SandboxGateway:
    name = "sandbox"

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def call(
        self, method: str, path: str, *, body: dict | None = None, key: str = "", query: str = ""
    ) -> Reply:
        from apps.actions.sandbox.exchange import serve

        started = time.monotonic()
        answer = serve(
            method,
            path,
            query=query,
            headers={"Idempotency-Key": key} if key else {},
            body=json.dumps(body).encode() if body is not None else b"",
            wait_limit=self.timeout,
        )
        if time.monotonic() - started >= self.timeout:
            # The exchange may have acted; the answer is lost, as over a real network.
            return Reply(None, None, f"no answer within {self.timeout:g} s (timed out)")
        return Reply(answer.status, answer.body)


class HttpGateway:
    name = "http"

    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def call(
        self, method: str, path: str, *, body: dict | None = None, key: str = "", query: str = ""
    ) -> Reply:
        url = f"{self.base_url}{path}" + (f"?{query}" if query else "")
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if key:
            headers["Idempotency-Key"] = key
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Reply(response.status, _decode(response.read()))
        except urllib.error.HTTPError as error:
            return Reply(error.code, _decode(error.read()))
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, TimeoutError | socket.timeout):
                return Reply(None, None, f"no answer within {self.timeout:g} s (timed out)")
            return Reply(None, None, f"cannot reach the exchange: {reason}")
        except TimeoutError:
            return Reply(None, None, f"no answer within {self.timeout:g} s (timed out)")
        except (ConnectionError, OSError) as error:
            return Reply(None, None, f"connection lost: {error}")


def _decode(raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw or b"null")
    except ValueError:
        return {"error": raw[:300].decode(errors="replace")}
    return data if isinstance(data, dict) else {"answer": data}


def gateway() -> Gateway:
    timeout = float(settings.RISKDESK_GATEWAY_TIMEOUT)
    if settings.RISKDESK_GATEWAY == "http":
        if not settings.RISKDESK_GATEWAY_URL:
            raise ImproperlyConfigured("RISKDESK_GATEWAY=http needs RISKDESK_GATEWAY_URL.")
        token = settings.RISKDESK_GATEWAY_TOKEN or ""
        return HttpGateway(settings.RISKDESK_GATEWAY_URL, token, timeout)
    return SandboxGateway(timeout)
