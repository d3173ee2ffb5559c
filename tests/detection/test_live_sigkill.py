"""A live detector killed with SIGKILL mid-stream, three times, ends as an uninterrupted
run: the same findings by dedup key and by metrics, each row counted once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from apps.detection.engine import detect
from apps.detection.feed import read_feed
from apps.detection.linking import link_window
from apps.detection.live.checkpoint import load
from apps.detection.live.clusters import keep_cluster_keys
from apps.detection.replay import replay_window
from apps.detection.simulator import simulate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def replayed(tmp_path: Path) -> Iterator[tuple[Path, str, str]]:
    window = simulate(tmp_path / "w", seed=7, accounts=1500, hours=8, fmt="parquet")
    url = os.environ["RISKDESK_TEST_REDIS_URL"]
    client = redis.Redis.from_url(url)
    prefix = f"test:live-kill:{uuid.uuid4().hex}:"
    replay_window(window, client, prefix=prefix, maxlen=None)
    yield window, url, prefix
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)


def worker(url: str, prefix: str, folder: Path, out: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.detection.live_worker", url, prefix]
    return subprocess.Popen(
        [*command, str(folder), str(out)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


def _sequence(folder: Path) -> int:
    """The number of the last save (the manifest is replaced atomically)."""
    manifest = folder / "checkpoint.json"
    return int(json.loads(manifest.read_text())["sequence"]) if manifest.is_file() else 0


@pytest.mark.redis
def test_a_worker_killed_three_times_ends_as_an_uninterrupted_run(
    replayed: tuple[Path, str, str], tmp_path: Path
) -> None:
    window, url, prefix = replayed
    folder, out = tmp_path / "live", tmp_path / "alerts.jsonl"
    kills = 0
    for _ in range(3):
        before = _sequence(folder)
        process = worker(url, prefix, folder, out)
        # Killed mid-stream: after it has saved at least once more, between two saves.
        while process.poll() is None and _sequence(folder) <= before:
            time.sleep(0.05)
        time.sleep(0.3)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
    final = worker(url, prefix, folder, out)
    stdout, _ = final.communicate(timeout=600)
    assert final.returncode == 0
    found = json.loads(stdout.strip().splitlines()[-1])
    cluster_keys = json.loads(stdout.strip().splitlines()[-2])

    feed = read_feed(window)
    # The window path handed the cluster keys the live run kept (clusters.py).
    linkage, _ = keep_cluster_keys(link_window(feed, kept=cluster_keys), cluster_keys)
    expected = {alert["dedup_key"]: alert["metrics"] for alert in detect(feed, linkage=linkage)}
    assert kills == 3  # the worker did die mid-stream, three times
    assert found == expected
    sent = [json.loads(line) for line in out.read_text().splitlines()]
    last = {alert["dedup_key"]: alert["metrics"] for alert in sent}
    assert {key: last[key] for key in expected} == expected
    saved = load(folder)
    assert saved is not None
    kept = saved[1].tables()
    assert feed.orders is not None and feed.trades is not None
    assert (len(kept["orders"]), len(kept["trades"])) == (len(feed.orders), len(feed.trades))
