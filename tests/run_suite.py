"""`make test`: the whole suite on SQLite, then again on PostgreSQL with Redis.

The SQLite run keeps the fresh-machine path honest; the second run is where locking,
consumer groups and real workers are tested. Outside CI a missing server is said plainly
and its run skipped; with CI=true it fails the run.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
from urllib.parse import urlparse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def reachable(url: str, default_port: int) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def pytest(extra_env: dict[str, str], *args: str) -> int:
    env = {**os.environ, **extra_env}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]
    print(
        "$", " ".join(f"{k}={v}" for k, v in extra_env.items()), " ".join(command[2:]), flush=True
    )
    return subprocess.call(command, cwd=ROOT, env=env)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    options, rest = parser.parse_known_args()
    in_ci = os.environ.get("CI", "").lower() == "true"

    if not shutil.which(os.environ.get("RISKDESK_CHROMIUM", "chromium")):
        message = "no chromium found: browser tests are skipped (apt-get install chromium)"
        if in_ci:
            print(f"FAIL: {message}", flush=True)
            return 1
        print(f"NOTE: {message}", flush=True)

    print("== 1/2 the whole suite on SQLite ==", flush=True)
    sqlite = pytest({"DATABASE_URL": "", "RISKDESK_TEST_REDIS_URL": ""}, *rest)
    if sqlite not in (0,):
        return sqlite

    services = {
        "PostgreSQL": reachable(options.database_url, 5432),
        "Redis": reachable(options.redis_url, 6379),
    }
    missing = [name for name, up in services.items() if not up]
    if missing:
        message = f"{' and '.join(missing)} not reachable: the PostgreSQL + Redis run is skipped"
        if in_ci:
            print(f"FAIL: {message}", flush=True)
            return 1
        print(f"NOTE: {message}", flush=True)
        return 0

    print("== 2/2 the suite on PostgreSQL + Redis (browser tests ran above) ==", flush=True)
    return pytest(
        {"DATABASE_URL": options.database_url, "RISKDESK_TEST_REDIS_URL": options.redis_url},
        "-m",
        "not browser",
        *rest,
    )


if __name__ == "__main__":
    sys.exit(main())
