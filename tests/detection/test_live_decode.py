"""The live feed's JSON into typed frames: Arrow's reader gives what the plain parser gives,
and a bad row still fails naming the entries and the column."""

from __future__ import annotations

import json

import pytest

from apps.detection.feed import FeedError, read_feed
from apps.detection.live.decode import SCHEMAS, _decode_plain, decode_rows
from apps.detection.replay import window_batches, window_events
from apps.detection.simulator import simulate


@pytest.fixture(scope="module")
def payloads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[bytes]]:
    window = simulate(tmp_path_factory.mktemp("w"), seed=3, accounts=300, hours=2, fmt="parquet")
    found: dict[str, list[bytes]] = {}
    for batch in window_batches(window_events(read_feed(window)), batch=500):
        found.setdefault(batch.table, []).append(batch.payload)
    return found


def test_arrow_decoding_equals_the_plain_parser_on_every_stream(
    payloads: dict[str, list[bytes]],
) -> None:
    assert {"orders", "order_updates", "trades", "accounts", "logins"} <= set(payloads)
    for table, entries in payloads.items():
        fast = decode_rows(table, entries, f"feed:{table}")
        plain = _decode_plain(SCHEMAS[table], entries, f"feed:{table}")
        assert fast.equals(plain), table
        assert list(fast.dtypes) == list(plain.dtypes), table


def test_a_row_arrow_refuses_fails_as_the_plain_parser_says() -> None:
    row = {"order_id": "O1", "ts": "2026-11-20T00:00:01Z", "cancelled_at": None}
    good = json.dumps([{**row, "filled_qty": 2}]).encode()
    bad = json.dumps([{**row, "filled_qty": "two"}]).encode()
    assert decode_rows("order_updates", [good], "x")["filled_qty"].tolist() == [2.0]
    with pytest.raises(FeedError, match="filled_qty"):
        decode_rows("order_updates", [good, bad], "feed:order_updates entries 1-0..2-0")
    late = json.dumps([{**row, "ts": "2026-11-20 00:00:01", "filled_qty": 1}]).encode()
    with pytest.raises(FeedError, match="ts"):
        decode_rows("order_updates", [late], "x")
    # Keys beyond the table's columns are ignored, a missing nullable one is null.
    extra = json.dumps([{"order_id": "O2", "ts": row["ts"], "filled_qty": 0, "x": 1}])
    assert decode_rows("order_updates", [extra.encode()], "x")["cancelled_at"].isna().all()


def test_an_entry_with_a_line_break_between_values_decodes(
    payloads: dict[str, list[bytes]],
) -> None:
    text = json.dumps(json.loads(payloads["trades"][0]), indent=1).encode()
    assert b"\n" in text
    assert decode_rows("trades", [text], "x").equals(
        decode_rows("trades", payloads["trades"][:1], "x")
    )
