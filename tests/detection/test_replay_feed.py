"""Replaying a window onto the live feed (shared/contracts/feed-stream.md)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import redis
from django.core.management import CommandError, call_command

from apps.detection.feed import Feed, read_feed
from apps.detection.replay import (
    STREAMS,
    Batch,
    publish_batches,
    tick_ms_for,
    window_batches,
    window_events,
)
from apps.detection.replay.events import UPDATE_COLUMNS
from apps.detection.schema import TABLES
from apps.detection.simulator import simulate

from .builder import Window, at
from .files import valid_tables, write_window

ISO_MS_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
EVENT_TIME = {
    "accounts": "registered_at",
    "orders": "created_at",
    "promotions": "joined_at",
    "instruments": None,
}
Entry = tuple[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def window(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("replay") / "w-2026-11-20"
    return simulate(folder, seed=5, accounts=300, hours=2, fmt="parquet")


@pytest.fixture(scope="module")
def feed(window: Path) -> Feed:
    return read_feed(window)


@pytest.fixture(scope="module")
def entries(feed: Feed) -> list[Entry]:
    """The whole window as published, in publication order, decoded."""
    return decoded(window_batches(window_events(feed), batch=500))


def decoded(batches: Iterator[Batch]) -> list[Entry]:
    return [(batch.table, json.loads(batch.payload)) for batch in batches]


def rows_of(entries: list[Entry], table: str) -> list[dict[str, Any]]:
    return [row for name, rows in entries if name == table for row in rows]


def replayed_orders(entries: list[Entry]) -> pd.DataFrame:
    """Each order's last state: its placement, then its updates applied in order."""
    state: dict[str, dict[str, Any]] = {}
    for name, rows in entries:
        for row in rows:
            if name == "orders":
                state[row["order_id"]] = dict(row)
            elif name == "order_updates":
                order = state[row["order_id"]]  # an update never precedes its placement
                order.update(cancelled_at=row["cancelled_at"], filled_qty=row["filled_qty"])
    frame = pd.DataFrame(list(state.values()))
    for column in ("created_at", "cancelled_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[ms, UTC]")
    return frame


def assert_orders_replay_to(entries: list[Entry], orders: pd.DataFrame) -> None:
    got = replayed_orders(entries).set_index("order_id").sort_index()
    want = orders.set_index("order_id").sort_index()
    assert list(got.index) == list(want.index)
    for column in want.columns:
        expected = want[column].astype(object) if column != "price" else want[column]
        actual = got[column].astype(object) if column != "price" else got[column]
        pd.testing.assert_series_equal(actual, expected, check_names=False, check_dtype=False)
    # Exact, not approximately: the final filled quantity is the window's number.
    assert got["filled_qty"].tolist() == want["filled_qty"].tolist()


def test_replaying_the_order_events_gives_each_order_its_window_row(
    entries: list[Entry], feed: Feed
) -> None:
    assert feed.orders is not None
    assert_orders_replay_to(entries, feed.orders)


def test_an_order_is_published_as_placed_and_its_fills_and_cancel_as_updates(
    entries: list[Entry], feed: Feed
) -> None:
    placed = rows_of(entries, "orders")
    assert all(row["cancelled_at"] is None and row["filled_qty"] == 0 for row in placed)
    updates = rows_of(entries, "order_updates")
    assert feed.orders is not None and feed.trades is not None
    cancelled = int(feed.orders["cancelled_at"].notna().sum())
    # one update per side of every trade, one per cancel (this window's fills add up)
    assert len(updates) == 2 * len(feed.trades) + cancelled
    assert sum(row["cancelled_at"] is not None for row in updates) == cancelled


def test_a_trade_is_published_after_the_orders_it_names(entries: list[Entry]) -> None:
    placed: set[str] = set()
    trades = 0
    for name, rows in entries:
        if name == "orders":
            placed.update(row["order_id"] for row in rows)
        elif name == "trades":
            trades += len(rows)
            assert all({r["buy_order_id"], r["sell_order_id"]} <= placed for r in rows)
    assert trades > 0


def test_each_stream_is_in_event_time_order(entries: list[Entry]) -> None:
    assert entries[0][0] == "instruments"
    for table in STREAMS:
        column = EVENT_TIME.get(table, "ts")
        if column is None:
            continue
        times = [row[column] for row in rows_of(entries, table)]
        assert times, table
        # ISO-8601 with a fixed width sorts as text exactly as in time.
        assert times == sorted(times), table


def test_rows_are_json_objects_of_the_contracts_columns_and_types(
    entries: list[Entry],
) -> None:
    kinds = {name: {c.name: c for c in table.columns} for name, table in TABLES.items()}
    kinds["order_updates"] = {
        name: kinds["orders"]["created_at" if name == "ts" else name] for name in UPDATE_COLUMNS
    }
    nulls = 0
    for table, rows in entries:
        assert 1 <= len(rows) <= 500
        for row in rows:
            assert list(row) == list(kinds[table]), table
            for name, value in row.items():
                column = kinds[table][name]
                if value is None:
                    assert column.nullable, (table, name)
                    nulls += 1
                elif column.kind == "time":
                    assert ISO_MS_UTC.match(value), (table, name, value)
                elif column.kind == "bool":
                    assert isinstance(value, bool)
                elif column.kind in ("number", "int"):
                    assert isinstance(value, int | float) and not isinstance(value, bool)
                else:
                    assert isinstance(value, str)
    assert nulls > 0


def test_text_that_needs_escaping_survives_as_json(tmp_path: Path) -> None:
    w = Window()
    w.login("U1", at(1), ip='10.0.0.1 "quoted" \\ back', device="tab\there ü")
    logins = rows_of(decoded(window_batches(window_events(w.feed()))), "logins")
    assert (logins[0]["ip"], logins[0]["device_id"]) == ('10.0.0.1 "quoted" \\ back', "tab\there ü")


def odd_window() -> Window:
    """Orders a window can hold that plain fills would not reproduce."""
    w = Window()
    buy = w.order("U1", "buy", 0.3, 100.0, at(0), filled=0.3)  # 0.1 + 0.2 != 0.3 in floats
    for qty, second in ((0.1, 1), (0.2, 2)):
        sell = w.order("U2", "sell", qty, 100.0, at(0, second), filled=qty)
        add_trade(w, buy, sell, qty, at(0, second))
    w.order("U3", "buy", 5.0, 99.0, at(1), cancelled=at(2), filled=1.0)  # fill not in window
    w.order("U3", "sell", 2.0, 99.0, at(1), filled=2.0)  # filled, no trade, never cancelled
    late = w.order("U4", "sell", 1.0, 100.0, at(0, 30), filled=1.0)
    early = w.order("U5", "buy", 1.0, 100.0, at(0, 10), filled=1.0)
    add_trade(w, early, late, 1.0, at(0, 20))  # before its sell order was created
    return w


def add_trade(w: Window, buy: str, sell: str, qty: float, ts: pd.Timestamp) -> None:
    row = {"trade_id": f"T{len(w.rows['trades']) + 1}", "symbol": "BTCUSDT", "ts": ts}
    row |= {"price": 100.0, "qty": qty, "buy_order_id": buy, "sell_order_id": sell}
    row |= {"buyer_id": "U1", "seller_id": "U2", "taker_side": "buy"}
    row |= {"buyer_effect": "open", "seller_effect": "open"}
    row |= {"buyer_realized_pnl": 0.0, "seller_realized_pnl": 0.0}
    w.rows["trades"].append(row)


def test_odd_orders_still_end_as_their_window_rows(tmp_path: Path) -> None:
    feed = odd_window().feed()
    # One-second ticks, so that the trade before its order's created_at has a tick of its own.
    entries = decoded(window_batches(window_events(feed), batch=1, tick_ms=1000))
    assert feed.orders is not None
    assert_orders_replay_to(entries, feed.orders)
    test_a_trade_is_published_after_the_orders_it_names(entries)
    updates = rows_of(entries, "order_updates")
    cancel = [r for r in updates if r["cancelled_at"]]
    assert [(r["ts"], r["filled_qty"]) for r in cancel] == [("2026-11-20T00:02:00.000Z", 1)]
    # The fills of 0.1 and 0.2 say 0.3, the window's number, and need no correction after.
    assert [r["filled_qty"] for r in updates if r["order_id"] == "O1"] == [0.1, 0.3]
    # The order filled without a trade in the window is put right at its creation.
    assert [(r["ts"], r["filled_qty"]) for r in updates if r["order_id"] == "O5"] == [
        ("2026-11-20T00:01:00.000Z", 2)
    ]


class FakeRedis:
    """Records when (on a fake clock) each XADD reached Redis."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sent: list[tuple[float, str, dict[str, Any], int | None]] = []

    def pipeline(self, transaction: bool = False) -> FakeRedis:
        self.queued: list[tuple[str, dict[str, Any], int | None]] = []
        return self

    def xadd(self, name: str, fields: dict[str, Any], maxlen: int | None, approximate: bool):
        assert approximate  # MAXLEN ~: trimming whole macro-nodes is what keeps XADD cheap
        self.queued.append((name, fields, maxlen))

    def __len__(self) -> int:
        return len(self.queued)

    def execute(self) -> None:
        self.sent += [(self.now, *queued) for queued in self.queued]
        self.queued = []

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_paced_replay_publishes_each_tick_when_its_time_has_come(feed: Feed) -> None:
    fake, speed = FakeRedis(), 60.0
    batches = list(
        window_batches(window_events(feed), tick_ms=tick_ms_for(speed), limit_seconds=600)
    )
    publish_batches(
        fake,  # type: ignore[arg-type]
        batches,
        speed=speed,
        prefix="x:",
        maxlen=7,
        clock=lambda: fake.now,
        sleep=fake.sleep,
    )
    assert len(fake.sent) == len(batches)
    for (sent_at, name, fields, maxlen), batch in zip(fake.sent, batches, strict=True):
        assert name == "x:" + batch.table and fields == {"rows": batch.payload} and maxlen == 7
        assert sent_at >= batch.due_seconds / speed  # never before its time...
        assert sent_at <= max(batch.due_seconds, 0) / speed + 0.2  # ...nor a tick later
    assert 9.8 <= fake.now <= 10.2  # ten minutes of the window at 60x


def test_history_before_the_trading_goes_out_first_unpaced(feed: Feed) -> None:
    batches = list(window_batches(window_events(feed), tick_ms=tick_ms_for(1.0)))
    history = [b for b in batches if b.due_seconds <= 0]
    assert {b.table for b in history} >= {"instruments", "accounts", "logins"}
    assert batches[: len(history)] == history


@pytest.fixture
def streams(redis_url: str) -> Iterator[tuple[Any, str]]:
    client = redis.Redis.from_url(redis_url)
    prefix = f"test:replay:{uuid.uuid4().hex}:"
    yield client, prefix
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)


@pytest.mark.redis
def test_the_command_publishes_the_window_onto_one_stream_per_table(
    streams: tuple[Any, str], redis_url: str, window: Path, feed: Feed
) -> None:
    client, prefix = streams
    out = StringIO()
    command = ["replay_feed", str(window), "--speed", "max", "--batch", "700"]
    call_command(*command, "--redis-url", redis_url, "--prefix", prefix, stdout=out)

    expected = decoded(window_batches(window_events(feed), batch=700))
    for table in STREAMS:
        entries = client.xrange(prefix + table)
        assert all(list(fields) == [b"rows"] for _, fields in entries)
        published = [json.loads(fields[b"rows"]) for _, fields in entries]
        assert published == [rows for name, rows in expected if name == table], table
    assert feed.orders is not None and feed.trades is not None
    assert client.xlen(prefix + "orders") > 1
    assert f"{len(feed.orders):,} rows" in out.getvalue()
    assert "rows/s" in out.getvalue()


@pytest.mark.redis
def test_a_bad_window_is_a_clear_error_and_publishes_nothing(
    streams: tuple[Any, str], redis_url: str, tmp_path: Path
) -> None:
    client, prefix = streams
    tables = valid_tables()
    tables["orders"] = tables["orders"].astype(object)
    tables["orders"]["qty"] = [2.0, "two"]
    folder = write_window(tmp_path / "bad", tables, "csv")
    with pytest.raises(CommandError, match=r"orders\.csv, row 2, column 'qty'"):
        call_command(
            "replay_feed", str(folder), "--speed", "max", "--redis-url", redis_url,
            "--prefix", prefix,
        )  # fmt: skip
    assert list(client.scan_iter(match=prefix + "*")) == []
