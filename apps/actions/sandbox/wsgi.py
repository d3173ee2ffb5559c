"""The sandbox exchange over HTTP: a small threaded WSGI server (stdlib wsgiref).

Besides the contract's calls it answers one control call, never part of the contract:
`POST /_sandbox/faults {"kind": "unavailable" | "hang_before" | "hang_after", "count": n,
"seconds": s}` makes the next n calls fail on purpose.
"""

import json
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.db import close_old_connections, connections

from apps.actions.sandbox.exchange import Answer, order_fault, serve
from apps.actions.sandbox.models import SandboxFault

REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}
REASONS |= {409: "Conflict", 503: "Service Unavailable"}


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def application(token: str | None) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        close_old_connections()
        try:
            answer = _answer(environ, token)
        finally:
            # Each request runs in a thread of its own: its connection must not outlive it.
            connections.close_all()
        payload = json.dumps(answer.body).encode()
        start_response(
            f"{answer.status} {REASONS.get(answer.status, 'Status')}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    return app


def _answer(environ: dict[str, Any], token: str | None) -> Answer:
    if token and environ.get("HTTP_AUTHORIZATION") != f"Bearer {token}":
        return Answer(401, {"error": "Missing or wrong bearer token."})
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
    if path == "/_sandbox/faults" and method == "POST":
        try:
            order = json.loads(body)
            kind = SandboxFault.Kind(order["kind"])
            order_fault(
                kind, count=int(order.get("count", 1)), seconds=float(order.get("seconds", 0))
            )
        except (ValueError, KeyError, TypeError) as error:
            return Answer(400, {"error": f"Bad fault order: {error}"})
        return Answer(201, {"ordered": kind.value})
    headers = {"Idempotency-Key": environ.get("HTTP_IDEMPOTENCY_KEY", "")}
    return serve(method, path, query=environ.get("QUERY_STRING", ""), headers=headers, body=body)


def make_sandbox_server(host: str, port: int, token: str | None = None) -> WSGIServer:
    return make_server(
        host, port, application(token), server_class=ThreadingServer, handler_class=QuietHandler
    )


def serve_in_thread(port: int = 0, token: str | None = None) -> tuple[WSGIServer, str]:
    """Start the server on 127.0.0.1 in a daemon thread; returns it and its base URL."""
    server = make_sandbox_server("127.0.0.1", port, token)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"
