"""A live cycle costs the accounts that moved, not the day so far (live/dirty.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from apps.detection.context import Context
from apps.detection.engine import detect
from apps.detection.feed import read_feed
from apps.detection.linking import link_window
from apps.detection.live import LiveDetector
from apps.detection.live.clusters import keep_cluster_keys
from apps.detection.live.dirty import WHOLE_DAY
from apps.detection.live.memory_feed import MemoryFeed
from apps.detection.replay import pace_start_ms, window_batches, window_events
from apps.detection.rules import RULES
from apps.detection.simulator import simulate


@pytest.fixture(scope="module")
def window(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate(tmp_path_factory.mktemp("w"), seed=11, accounts=400, hours=4, fmt="parquet")


def published(window: Path, rows: int = 200) -> MemoryFeed:
    feed = MemoryFeed()
    events = window_events(read_feed(window))
    for batch in window_batches(events, batch=rows, start_ms=pace_start_ms(events)):
        feed.xadd("feed:" + batch.table, {"rows": batch.payload}, maxlen=None)
    return feed


def seen_by_rules(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, set[str], int]]:
    """Each rule run from now on: (rule, accounts of the orders it saw, orders it saw)."""
    seen: list[tuple[str, set[str], int]] = []

    def spied(code: str, run: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(ctx: Context, params: dict[str, Any]) -> Any:
            orders = ctx.feed.orders
            accounts = set() if orders is None else set(orders["account_id"].astype(str))
            seen.append((code, accounts, 0 if orders is None else len(orders)))
            return run(ctx, params)

        return wrapper

    for code, rule in list(RULES.items()):
        monkeypatch.setitem(RULES, code, dataclasses.replace(rule, run=spied(code, rule.run)))
    return seen


def test_a_cycle_runs_the_rules_on_the_rows_of_the_accounts_that_moved(
    window: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    detector = LiveDetector(published(window, rows=50), sink=lambda _: None, count=40)
    detector.link_interval_seconds = 3600.0  # no linking again in this test
    while len(detector.state.index.ids) < 400:  # a good part of the day, every account
        assert detector.poll()
    detector.detect()
    day = max(detector.state.days)
    whole = detector.state.feed(day)
    assert whole.orders is not None and len(whole.orders) > 1000

    detector.count = 1
    detector.poll()  # a few more rows: one entry per stream
    codes = detector.state.take_moved()  # orders updated and accounts read late included
    detector.state.moved = set(codes)  # put back for the cycle
    moved = {detector.state.index.ids[code] for code in codes}
    linkage = detector.linkages[day][1]
    narrow = set(moved)
    for key in set(linkage.account_cluster.reindex(list(moved)).dropna()):
        narrow.update(linkage.clusters[key])
    assert 0 < len(moved) < len(detector.state.index.ids) / 2

    seen = seen_by_rules(monkeypatch)
    detector.detect()

    grown = detector.state.feed(day).orders
    assert grown is not None
    day_orders = len(grown)
    by_rule = {code: (accounts, rows) for code, accounts, rows in seen}
    for code in ("self_trade", "frequent_cancel", "account_theft", "unauthorized_algo"):
        accounts, rows = by_rule[code]
        assert accounts <= narrow, code  # only the rows of the accounts that moved
        assert rows < day_orders / 2, code
    # The rules judged against the whole market did not run on the day again.
    assert not WHOLE_DAY & set(by_rule)


def test_narrow_cycles_end_on_the_window_path_s_findings(window: Path) -> None:
    """Many narrow cycles, some linking again, then the day's last word: the same keys
    and metrics as the window path on the same rows."""
    detector = LiveDetector(published(window), sink=lambda _: None, count=20)
    detector.interval_seconds = 0.0
    detector.link_interval_seconds = 0.05
    detector.run(until_idle=True)
    assert detector.stats["narrow_accounts"] > 0 and detector.stats.get("relinks", 0) > 0

    feed = read_feed(window)
    linkage, _ = keep_cluster_keys(
        link_window(feed, kept=detector.saved.cluster_keys), detector.saved.cluster_keys
    )
    expected = {a["dedup_key"]: a["metrics"] for a in detect(feed, linkage=linkage)}
    assert expected
    assert {k: a["metrics"] for k, a in detector.current().items()} == expected


def test_a_poll_says_whether_it_caught_up_with_the_streams(window: Path) -> None:
    """A due detection waits for a poll that read less than ``count`` from every stream
    (LiveDetector.run), so it does not start on half of what has arrived."""
    detector = LiveDetector(published(window, rows=50), sink=lambda _: None, count=5)
    assert detector.poll()
    assert not detector.caught_up  # a full read: more is waiting
    while detector.poll():
        pass
    assert detector.caught_up
