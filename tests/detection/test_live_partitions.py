"""A partitioned live feed (the proposed extension of feed-stream.md): the trading tables
cut by symbol hash, one consumer per symbol partition and one account-level consumer,
and together the window path's alerts, key by key and metric by metric."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core.management import call_command

from apps.detection.engine import detect
from apps.detection.feed import Feed, read_feed
from apps.detection.linking import link_window
from apps.detection.live import LiveDetector
from apps.detection.live.clusters import keep_cluster_keys
from apps.detection.live.partition import LOCAL, NoLinkage, Partition
from apps.detection.replay import pace_start_ms, replay_window, window_events
from apps.detection.replay.partitions import partition_events, symbol_partition
from apps.detection.rules import RULES
from apps.detection.simulator import simulate

Alerts = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def window(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate(tmp_path_factory.mktemp("w"), seed=7, accounts=1500, hours=8, fmt="parquet")


@pytest.fixture(scope="module")
def feed(window: Path) -> Feed:
    return read_feed(window)


def _redis_url() -> str:
    return os.environ["RISKDESK_TEST_REDIS_URL"]


@pytest.fixture
def partitioned(window: Path) -> Iterator[tuple[redis.Redis, str]]:
    client = redis.Redis.from_url(_redis_url())
    prefix = f"test:parts:{uuid.uuid4().hex}:"
    replay_window(window, client, prefix=prefix, maxlen=None, partitions=2)
    yield client, prefix
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)


def test_a_partition_is_named_i_of_n_or_accounts_of_n() -> None:
    assert Partition.parse("1/4") == Partition(1, 4)
    assert Partition.parse("accounts/4") == Partition(None, 4)
    for wrong in ("4/4", "-1/2", "x/2", "1", "0/0"):
        with pytest.raises(ValueError):
            Partition.parse(wrong)
    one = Partition(1, 2).sources("feed:")
    assert one["feed:p1:orders"] == "orders" and one["feed:accounts"] == "accounts"
    assert "feed:p0:orders" not in one and "feed:orders" not in one
    every = Partition(None, 2).sources("feed:")
    assert {"feed:p0:trades", "feed:p1:trades", "feed:logins"} <= set(every)


def test_each_rule_runs_in_exactly_one_consumer_with_its_covering_rules() -> None:
    local, account = Partition(0, 2).rules, Partition(None, 2).rules
    assert local == LOCAL and not (local & account) and local | account == set(RULES)
    for code, rule in RULES.items():
        side = local if code in local else account
        assert set(rule.covered_by) <= side, code
        if code in local:
            assert rule.per_symbol, code
    with pytest.raises(RuntimeError, match="no linkage"):
        NoLinkage().account_cluster  # noqa: B018


def test_the_partitions_carry_every_trading_row_once_updates_with_their_orders(
    feed: Feed,
) -> None:
    events = window_events(feed)
    parts = partition_events(events, 3)
    assert "orders" not in parts and "accounts" in parts  # reference tables unpartitioned
    for table in ("orders", "order_updates", "trades"):
        assert sum(len(parts[f"p{i}:{table}"]) for i in range(3)) == len(events[table])
    for i in range(3):
        orders = parts[f"p{i}:orders"].rows
        assert {symbol_partition(str(s), 3) for s in orders["symbol"].unique()} == {i}
        updates = parts[f"p{i}:order_updates"].rows
        assert updates["order_id"].isin(orders["order_id"]).all()
    # History is paced from the first order or trade whatever the streams are called.
    assert pace_start_ms(parts) == pace_start_ms(events)
    whole = partition_events(events, 2, whole=True)
    assert len(whole["orders"]) == len(events["orders"]) and "p1:orders" in whole


def _consumers(client: redis.Redis, prefix: str, count: int) -> list[LiveDetector]:
    detectors = []
    for name in ("0/2", "1/2", "accounts/2"):
        detector = LiveDetector(
            client, prefix=prefix, sink=lambda _: None, count=count, partition=Partition.parse(name)
        )
        detector.interval_seconds = 0.0
        detector.run(until_idle=True)
        detectors.append(detector)
    return detectors


@pytest.mark.redis
def test_two_partitions_and_the_account_level_consumer_find_what_the_window_finds(
    partitioned: tuple[redis.Redis, str], feed: Feed
) -> None:
    client, prefix = partitioned
    # Small reads and a detection every poll: the day is seen growing in many steps.
    zero, one, accounts = _consumers(client, prefix, count=40)

    found: Alerts = {}
    for detector in (zero, one, accounts):
        assert detector.stats["cycles"] > 5
        current = detector.current()
        assert not set(current) & set(found)  # no key from two consumers
        found.update(current)
    linkage, _ = keep_cluster_keys(
        link_window(feed, kept=accounts.saved.cluster_keys), accounts.saved.cluster_keys
    )
    window_alerts = {a["dedup_key"]: a for a in detect(feed, linkage=linkage)}
    assert set(found) == set(window_alerts)
    assert {k: a["metrics"] for k, a in found.items()} == {
        k: a["metrics"] for k, a in window_alerts.items()
    }
    assert {a["rule"] for a in zero.current().values()} | {
        a["rule"] for a in one.current().values()
    } <= LOCAL
    # Each symbol partition held only its share of the orders; the account level all.
    assert feed.orders is not None
    held = [len(d.state.tables()["orders"]) for d in (zero, one, accounts)]
    assert held[0] + held[1] == held[2] == len(feed.orders) and min(held[:2]) > 0


@pytest.mark.redis
def test_the_commands_replay_partitioned_and_consume_per_partition_as_detect_finds(
    window: Path, tmp_path: Path, db: None
) -> None:
    client = redis.Redis.from_url(_redis_url())
    prefix = f"test:parts:{uuid.uuid4().hex}:"
    url = ["--redis-url", _redis_url()]
    try:
        stdout = StringIO()
        replay = ["--speed", "max", "--maxlen", "0", "--prefix", prefix, "--partitions", "2"]
        call_command("replay_feed", str(window), *replay, *url, stdout=stdout)
        assert f"{prefix}p1:orders" in stdout.getvalue()
        assert client.exists(f"{prefix}p0:trades") and not client.exists(f"{prefix}orders")
        out = tmp_path / "live.jsonl"
        for name in ("0/2", "1/2", "accounts/2"):
            # One read takes the whole 8-hour window: the detection runs on the whole day.
            options = ["--prefix", prefix, "--partition", name, "--until-idle", "--count", "5000"]
            folder = tmp_path / name.replace("/", "of")
            call_command(
                "detect_live",
                *options,
                *url,
                "--checkpoint",
                str(folder),
                "--out",
                str(out),
                stdout=StringIO(),
            )
            assert (folder / "checkpoint.json").is_file()
    finally:
        for key in client.scan_iter(match=prefix + "*"):
            client.delete(key)
    window_out = tmp_path / "window.jsonl"
    call_command(
        "detect", str(window), "--out", str(window_out), "--without-memory", stdout=StringIO()
    )

    live = _last_by_key(out)
    window_alerts = _last_by_key(window_out)
    assert set(live) == set(window_alerts)
    assert {k: a["metrics"] for k, a in live.items()} == {
        k: a["metrics"] for k, a in window_alerts.items()
    }


def _last_by_key(path: Path) -> Alerts:
    return {a["dedup_key"]: a for a in map(json.loads, path.read_text().splitlines())}


def test_partition_events_refuses_updates_without_their_orders(feed: Feed) -> None:
    events = window_events(feed)
    events.pop("orders")
    with pytest.raises(ValueError, match="no orders"):
        partition_events(events, 2)
