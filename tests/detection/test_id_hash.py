"""The id checks' string hashes, and that a hash collision changes no verdict."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from apps.detection import feed as feed_module
from apps.detection.feed import Feed, FeedError, check_keys, read_feed
from apps.detection.id_hash import string_hashes

from .files import valid_tables, write_window


def test_equal_strings_hash_alike_however_they_are_stored() -> None:
    words = ["O1", "", "O0000221596", "a-much-longer-order-id-of-37-characters", "O1"]
    plain = string_hashes(pa.array(words))
    assert plain[0] == plain[4]
    large = pa.chunked_array([pa.array(words[:2], pa.large_string()), words[2:]])
    assert (string_hashes(large) == plain).all()
    sliced = pa.array(["x", *words]).slice(1)  # an offset into its buffers
    assert (string_hashes(sliced) == plain).all()


def test_strings_that_differ_anywhere_hash_apart() -> None:
    words = ["a", "a\x00", "", "abcdefgh", "abcdefgh\x00", "abcdefghi", "abcdefgj", "bbcdefghi"]
    assert len(set(string_hashes(pa.array(words)).tolist())) == len(words)
    ids = pa.array([f"O{i:010d}" for i in range(200_000)])
    assert len(np.unique(string_hashes(ids))) == len(ids)


def _feed(tmp_path: Path, **columns: list[str]) -> Feed:
    tables = valid_tables()
    for name, values in columns.items():
        table = "orders" if name == "order_id" else "trades"
        tables[table] = tables[table].astype(object).assign(**{name: values})
    return read_feed(write_window(tmp_path / "w", tables, "parquet"), checking_keys=False)


def test_ids_that_share_a_hash_are_judged_on_their_strings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every id hashes alike: the hashes short-list everything, the strings decide.
    monkeypatch.setattr(feed_module, "string_hashes", lambda v: np.zeros(len(v), np.uint64))
    check_keys(_feed(tmp_path / "sound"))
    with pytest.raises(FeedError, match="duplicate order_id"):
        check_keys(_feed(tmp_path / "twice", order_id=["O1", "O1"]))
    with pytest.raises(FeedError, match="O9"):
        check_keys(_feed(tmp_path / "unknown", sell_order_id=["O9"]))


def test_an_unknown_id_whose_hash_is_a_known_orders_is_still_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = _feed(tmp_path, buy_order_id=["O9"])
    real = string_hashes

    def colliding(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
        # O9 hashes as O1 does: the table finds "O1", the strings say otherwise.
        named = pa.chunked_array([values]) if isinstance(values, pa.Array) else values
        swapped = pa.array(["O1" if v == "O9" else v for v in named.to_pylist()])
        return real(swapped)

    monkeypatch.setattr(feed_module, "string_hashes", colliding)
    with pytest.raises(FeedError) as caught:
        check_keys(feed)
    assert (caught.value.row, caught.value.column) == (1, "buy_order_id")
