"""Detection split across Celery workers: wall time of one window with 1 worker vs 2.

Real pieces only: PostgreSQL, Celery workers on Redis (queue `detection`), the drop-folder
scan that claims the window and fans its parts out. The window is the one bench/detection.py
generates (run that first). Alerts go to a throw-away stream, not into a desk.

    DATABASE_URL=postgres://root@127.0.0.1:5432/riskdesk_bench_detect \
    REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/detection_workers.py
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskdesk.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["ALERT_STREAM"] = f"riskdesk:bench-alerts:{os.getpid()}"
if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
    sys.exit("bench/detection_workers.py needs DATABASE_URL=postgres://… and REDIS_URL=redis://…")


def ensure_database() -> None:
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", user=db["USER"], dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}"')
        admin.execute(f'CREATE DATABASE "{db["NAME"]}"')


def start_workers(count: int, drop: Path, parts: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "DETECTION_DROP_DIR": str(drop), "DETECTION_PARTS": str(parts)}
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "riskdesk",
                "worker",
                "-Q",
                "detection",
                "-P",
                "solo",
                "-n",
                f"bench{n}@%h",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(count)
    ]


def one_run(window: Path, workers: int, parts: int) -> tuple[float, list[float]]:
    from django.conf import settings

    from apps.detection import tasks
    from apps.detection.models import DetectionRun

    with tempfile.TemporaryDirectory() as folder:
        drop = Path(folder)
        name = f"{window.name}-w{workers}-p{parts}-{time.time_ns()}"
        (drop / name).symlink_to(window.resolve(), target_is_directory=True)
        settings.DETECTION_DROP_DIR = drop
        settings.DETECTION_PARTS = parts
        pool = start_workers(workers, drop, parts)
        try:
            time.sleep(6)  # the workers connect and import the project
            marker = window / tasks.READY_MARKER
            marker.touch()
            try:
                began = time.monotonic()
                tasks.scan_drop_folder()
            finally:
                marker.unlink()
            while True:
                run = DetectionRun.objects.get(window=name)
                if run.status in ("done", "failed"):
                    break
                time.sleep(0.1)
            wall = time.monotonic() - began
            if run.status == "failed":
                sys.exit(f"run failed: {run.error}")
            return wall, [p.seconds or 0.0 for p in run.parts.order_by("index")]
        finally:
            for process in pool:
                process.terminate()
            for process in pool:
                process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--window", type=Path, default=ROOT / "var/bench/a50000-h24-x1.2-s42")
    options = parser.parse_args()
    if not options.window.is_dir():
        sys.exit(f"{options.window}: run bench/detection.py first to generate the window")
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    load = os.getloadavg()[0]
    print(f"window {options.window.name}; load average {load:.1f} on {os.cpu_count()} cores")
    print(f"{'workers':>7} {'parts':>5} {'wall s':>7}  part seconds")
    results = {}
    for workers, parts in ((1, 1), (2, 2), (2, 3)):
        wall, seconds = one_run(options.window, workers, parts)
        results[workers, parts] = wall
        print(f"{workers:>7} {parts:>5} {wall:>7.2f}  {', '.join(f'{s:.1f}' for s in seconds)}")
    base = results[1, 1]
    best = min(results[2, 2], results[2, 3])
    print(f"speed-up with a second worker: {base / best:.2f}x")


if __name__ == "__main__":
    main()
