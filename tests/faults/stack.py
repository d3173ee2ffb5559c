"""The processes of Procfile as real subprocesses, and the broken parts the fault suite uses:
a private Redis it may stop, and a TCP proxy to PostgreSQL it may cut.

The shared PostgreSQL (5432) and Redis (6379) serve other people and CI at the same time:
nothing here ever stops them. A case that stops Redis starts its own `redis-server`; a case
that takes PostgreSQL away puts a proxy between the app and the server and cuts it — every
open connection dropped and new ones refused, which is what a restart looks like from the
app's side (initdb refuses to run as root, the user CI runs as, so a private cluster is not
an option there).
"""

import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Every fault case: PostgreSQL (make test's second run), a redis-server binary for the
# private one, and data committed for the subprocesses to see.
FAULTS = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="no redis-server to start"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def procfile(name: str = "Procfile") -> dict[str, str]:
    lines = (ROOT / name).read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and ":" in line)


def command_of(kind: str, env: dict[str, str], name: str = "Procfile") -> list[str]:
    """Procfile's line for `kind`, with ${VAR:-default} filled in and the venv's programs."""
    line = re.sub(
        r"\$\{(\w+):-([^}]*)\}", lambda m: env.get(m.group(1), m.group(2)), procfile(name)[kind]
    )
    words = shlex.split(line)
    if words[0] == "python":
        words[0] = sys.executable
    elif (BIN / words[0]).exists():
        words[0] = str(BIN / words[0])
    return words


class Stack:
    """Procfile's processes on one database and one Redis; each in a session of its own, so
    a SIGKILL reaches its children (a Celery pool, gunicorn's workers) too."""

    def __init__(self, database_url: str, redis_url: str, **env: str) -> None:
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "riskdesk.settings",
            "DEBUG": "true",
            "HTTPS": "false",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "LOG_LEVEL": "WARNING",
            "WEB_CONCURRENCY": "2",
            "ACTIONS_CONCURRENCY": "1",
            "TIMERS_CONCURRENCY": "1",
            **env,
        }
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        # False: workers skip gossip and mingle (quicker to start in tests); the bench runs
        # Procfile's lines exactly.
        self.as_shipped = False
        self.logs = Path(tempfile.mkdtemp(prefix="riskdesk-faults-"))
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, kind: str, **env: str) -> subprocess.Popen[bytes]:
        environment = {**self.env, "PORT": str(self.port), **env}
        command = command_of(kind, environment)
        if "worker" in command and not self.as_shipped:
            command += ["--without-gossip", "--without-mingle"]
        if "beat" in command:  # its schedule file of its own, not the checkout's var/
            command[command.index("--schedule") + 1] = str(self.logs / "celerybeat-schedule")
        log = (self.logs / f"{kind}.log").open("ab")
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=log, stderr=log, start_new_session=True
        )
        self.running[kind] = process
        if kind == "web":
            wait_for(self._web_answers, "the web process to answer", 30)
        return process

    def _web_answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.5):
                return True
        except OSError:
            return False

    def kill(self, kind: str) -> None:
        """SIGKILL to the process and all its children: no clean-up of any kind."""
        process = self.running.pop(kind)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for kind in list(self.running):
            process = self.running[kind]
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for kind in list(self.running):
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.running[kind].wait(15)
            self.kill(kind)

    def log(self, kind: str) -> str:
        path = self.logs / f"{kind}.log"
        return path.read_text(errors="replace") if path.exists() else ""


class PrivateRedis:
    """A redis-server of the test's own: stopping it touches nobody else. A stop is a
    `SHUTDOWN SAVE` (what a maintenance restart does), so the streams survive it."""

    def __init__(self) -> None:
        if not shutil.which("redis-server"):
            raise RuntimeError("redis-server is not installed")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="riskdesk-redis-")
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", self.dir]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_for(self._answers, "the private redis-server", 10)

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        assert self.process is not None
        # The server closes the connection as it goes.
        with contextlib.suppress(redis.RedisError):
            self.client().shutdown(save=True)
        self.process.wait(10)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


class CuttableProxy:
    """A TCP proxy to a server. `cut()` drops every open connection and refuses new ones
    (the server restarting, from the client's side); `restore()` lets them through again."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.open = threading.Event()
        self.open.set()
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open.is_set():
                client.close()  # refused: the server is "down"
                continue
            try:
                server = socket.create_connection(self.target, 5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.open.clear()
        with self.lock:
            dropped, self.sockets = self.sockets, []
        for end in dropped:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def restore(self) -> None:
        self.open.set()

    def close(self) -> None:
        self.closing = True
        self.cut()
        self.listener.close()


def desk_person(username: str, role: str) -> Any:
    """A person the processes can sign in: the tests' settings hash with MD5 for speed,
    which the real settings the processes run do not accept."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from tests.factories import PASSWORD, make_person

    person = make_person(username, role)
    hasher = PBKDF2PasswordHasher()
    person.password = hasher.encode(PASSWORD, hasher.salt())
    person.save(update_fields=["password"])
    return person
