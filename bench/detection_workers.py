"""Detection split across Celery workers: wall time of one window with 1 worker vs 2.

Real pieces only: PostgreSQL, Celery workers on Redis (queue `detection`), the drop-folder
scan that claims the window and fans its parts out. The window is the one bench/detection.py
generates (run that first). Alerts go to a throw-away stream, not into a desk.

Measured twice. Free: the workers share this machine's two cores as the OS likes (one
worker alone already uses both: pyarrow reads on threads and the id check runs beside
the rules). One core each (`taskset`): what adding a worker with its own core buys, the
way workers are added in production.

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


def start_workers(
    count: int, drop: Path, parts: int, pinned: bool
) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "DETECTION_DROP_DIR": str(drop), "DETECTION_PARTS": str(parts)}
    cores = os.cpu_count() or 1
    return [
        subprocess.Popen(
            [
                *(["taskset", "-c", str(n % cores)] if pinned else []),
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


def one_window(window: Path, drop: Path, label: str) -> tuple[float, list[str]]:
    """Drop the window once more under a new name; wall time until its run is done."""
    from apps.detection import tasks
    from apps.detection.models import DetectionRun

    name = f"{window.name}-{label}-{time.time_ns()}"
    (drop / name).symlink_to(window.resolve(), target_is_directory=True)
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
        time.sleep(0.05)
    wall = time.monotonic() - began
    (drop / name).unlink()
    if run.status == "failed":
        sys.exit(f"run failed: {run.error}")
    return wall, [f"{p.kind} {p.seconds or 0:.1f}" for p in run.parts.order_by("index")]


def one_setup(
    window: Path, workers: int, parts: int, pinned: bool
) -> tuple[float, float, list[str]]:
    """Cold (the workers' first window) and warm (their second, as a long-lived worker
    meets every window after the first) wall times."""
    from django.conf import settings

    with tempfile.TemporaryDirectory() as folder:
        drop = Path(folder)
        settings.DETECTION_DROP_DIR = drop
        settings.DETECTION_PARTS = parts
        pool = start_workers(workers, drop, parts, pinned)
        try:
            time.sleep(6)  # the workers connect and import the project
            label = f"w{workers}-p{parts}"
            cold, _ = one_window(window, drop, label)
            warm, seconds = one_window(window, drop, label)
            return cold, warm, seconds
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
    for pinned in (False, True):
        print()
        print("one core per worker (taskset)" if pinned else "workers free on both cores")
        print(f"{'workers':>7} {'parts':>5} {'cold s':>7} {'warm s':>7}  warm part seconds")
        results = {}
        for workers, parts in ((1, 1), (2, 2), (2, 3)):
            cold, warm, seconds = one_setup(options.window, workers, parts, pinned)
            results[workers, parts] = (cold, warm)
            print(f"{workers:>7} {parts:>5} {cold:>7.2f} {warm:>7.2f}  {', '.join(seconds)}")
        for at, name in ((0, "cold"), (1, "warm")):
            base = results[1, 1][at]
            best = min(results[2, 2][at], results[2, 3][at])
            print(f"speed-up with a second worker ({name}): {base / best:.2f}x")


if __name__ == "__main__":
    main()
