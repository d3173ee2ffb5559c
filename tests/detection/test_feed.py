from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from apps.detection.engine import detect_window
from apps.detection.feed import FeedError, check_keys, keys_checked, read_feed

from .files import valid_tables, write_csv, write_window

FORMATS = ["csv", "parquet"]


def _window(tmp_path: Path, fmt: str, **changes: pd.DataFrame) -> Path:
    tables = valid_tables()
    tables.update(changes)
    return write_window(tmp_path / "window", tables, fmt)


def _with(table: str, **columns: list[Any]) -> pd.DataFrame:
    frame = valid_tables()[table].astype(object)
    for name, values in columns.items():
        frame[name] = values
    return frame


def _error(folder: Path, **kwargs: object) -> FeedError:
    with pytest.raises(FeedError) as caught:
        read_feed(folder, **kwargs)  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_valid_window_reads_with_the_contract_dtypes(tmp_path: Path, fmt: str) -> None:
    feed = read_feed(_window(tmp_path, fmt))
    assert feed.orders is not None and feed.trades is not None and feed.accounts is not None
    assert str(feed.orders["created_at"].dtype) == "datetime64[ms, UTC]"
    assert isinstance(feed.orders["side"].dtype, pd.CategoricalDtype)
    assert isinstance(feed.orders["symbol"].dtype, pd.CategoricalDtype)
    assert feed.orders["price"].isna().tolist() == [False, True]
    assert feed.orders["cancelled_at"].isna().all()
    assert feed.accounts["api_trading_allowed"].tolist() == [False, True]
    assert feed.accounts["kyc_level"].dtype == "int64"
    assert feed.accounts["referrer_id"].isna().tolist() == [True, False]
    assert feed.trades["ts"].iloc[0] == pd.Timestamp("2026-11-20T00:00:02Z")
    assert feed.positions is None and feed.mark_prices is None
    assert feed.promotions is not None and feed.promotions["paid_at"].isna().all()


@pytest.mark.parametrize("fmt", FORMATS)
def test_header_only_tables_are_fine(tmp_path: Path, fmt: str) -> None:
    empty = {name: frame.iloc[0:0] for name, frame in valid_tables().items()}
    feed = read_feed(write_window(tmp_path / "w", empty, fmt))
    assert feed.trades is not None and feed.trades.empty
    assert feed.trades.columns[0] == "trade_id"


def test_only_the_asked_tables_are_read(tmp_path: Path) -> None:
    feed = read_feed(_window(tmp_path, "csv"), tables=["accounts", "logins", "transfers"])
    assert feed.accounts is not None and feed.logins is not None
    assert feed.orders is None and feed.trades is None and feed.instruments is None


def test_parquet_wins_when_both_files_exist(tmp_path: Path) -> None:
    folder = _window(tmp_path, "parquet")
    write_csv(folder / "accounts.csv", valid_tables()["accounts"].iloc[0:0])
    feed = read_feed(folder, tables=["accounts"])
    assert feed.accounts is not None and len(feed.accounts) == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_extra_columns_are_ignored(tmp_path: Path, fmt: str) -> None:
    logins = _with("logins", user_agent=["curl", "firefox"])
    feed = read_feed(_window(tmp_path, fmt, logins=logins), tables=["logins"])
    assert feed.logins is not None and list(feed.logins.columns) == [
        "account_id",
        "ts",
        "ip",
        "device_id",
    ]


def test_a_quoted_csv_header_is_accepted(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "logins.csv").write_text(
        '"account_id","ts","ip","device_id"\n"U1",2026-11-20T00:00:00Z,"1.2.3.4",D1\n'
    )
    feed = read_feed(folder, tables=["logins"])
    assert feed.logins is not None and feed.logins["ip"].tolist() == ["1.2.3.4"]
    assert feed.logins["account_id"].tolist() == ["U1"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_required_column_names_file_and_column(tmp_path: Path, fmt: str) -> None:
    orders = valid_tables()["orders"].drop(columns=["channel"])
    error = _error(_window(tmp_path, fmt, orders=orders))
    assert error.file == f"orders.{fmt}" and error.column == "channel"
    assert "orders." in str(error) and "'channel'" in str(error)


def test_a_missing_required_table_is_an_error(tmp_path: Path) -> None:
    folder = _window(tmp_path, "csv")
    (folder / "trades.csv").unlink()
    assert "trades" in _error(folder).file


def test_a_missing_optional_table_is_not_an_error(tmp_path: Path) -> None:
    folder = _window(tmp_path, "csv")
    (folder / "promotions.csv").unlink()
    assert read_feed(folder).promotions is None


BAD_VALUES = [
    ("logins", "ts", ["2026-11-20T00:00:00Z", "2026-11-20 00:00:01"], 2),
    ("logins", "ts", ["2026-11-20T00:00:00Z", "2026-11-20T02:00:00+02:00"], 2),
    ("logins", "ts", ["2026-13-40T00:00:00Z", "2026-11-20T00:00:00Z"], 1),
    ("orders", "qty", ["2", "two"], 2),
    ("orders", "qty", ["inf", "2"], 1),
    ("orders", "side", ["buy", "long"], 2),
    ("orders", "order_type", ["stop", "limit"], 1),
    ("orders", "channel", ["web", "fix"], 2),
    ("orders", "reduce_only", ["false", "True"], 2),
    ("orders", "reduce_only", ["1", "false"], 1),
    ("accounts", "kyc_level", ["1", "1.5"], 2),
    ("accounts", "api_trading_allowed", ["yes", "false"], 1),
    ("transfers", "kind", ["deposit", "payout"], 2),
    ("trades", "taker_side", ["sideways"], 1),
    ("trades", "buyer_effect", ["reduce"], 1),
    ("promotions", "reward_kind", ["cashback"], 1),
    ("orders", "account_id", ["U1", ""], 2),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("table", "column", "values", "row"), BAD_VALUES)
def test_an_unparsable_value_names_file_row_and_column(
    tmp_path: Path, fmt: str, table: str, column: str, values: list[Any], row: int
) -> None:
    error = _error(_window(tmp_path, fmt, **{table: _with(table, **{column: values})}))
    assert (error.file, error.row, error.column) == (f"{table}.{fmt}", row, column)
    assert f"row {row}" in str(error)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_null_in_a_required_column_is_an_error(tmp_path: Path, fmt: str) -> None:
    orders = _with("orders", created_at=[pd.Timestamp("2026-11-20T00:00:01Z"), None])
    error = _error(_window(tmp_path, fmt, orders=orders))
    assert (error.row, error.column) == (2, "created_at")


def test_parquet_timestamps_without_a_time_zone_are_refused(tmp_path: Path) -> None:
    folder = _window(tmp_path, "parquet")
    logins = valid_tables()["logins"]
    logins["ts"] = logins["ts"].dt.tz_localize(None)
    logins.to_parquet(folder / "logins.parquet", index=False)
    error = _error(folder, tables=["logins"])
    assert error.column == "ts" and "time zone" in str(error)


DUPLICATES = [
    ("orders", {"order_id": ["O1", "O1"]}, "order_id"),
    ("accounts", {"account_id": ["U1", "U1"]}, "account_id"),
    ("transfers", {"transfer_id": ["X1", "X1"]}, "transfer_id"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("table", "columns", "column"), DUPLICATES)
def test_a_duplicate_id_is_an_error(
    tmp_path: Path, fmt: str, table: str, columns: dict[str, list[Any]], column: str
) -> None:
    error = _error(_window(tmp_path, fmt, **{table: _with(table, **columns)}))
    assert (error.file, error.row, error.column) == (f"{table}.{fmt}", 2, column)
    assert "duplicate" in str(error)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_duplicate_trade_or_symbol_is_an_error(tmp_path: Path, fmt: str) -> None:
    trades = pd.concat([valid_tables()["trades"]] * 2, ignore_index=True)
    error = _error(_window(tmp_path, fmt, trades=trades))
    assert (error.row, error.column) == (2, "trade_id")
    instruments = pd.concat([valid_tables()["instruments"]] * 2, ignore_index=True)
    error = _error(_window(tmp_path / "b", fmt, instruments=instruments))
    assert (error.row, error.column) == (2, "symbol")


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_account_joining_a_campaign_twice_is_an_error(tmp_path: Path, fmt: str) -> None:
    promotions = pd.concat([valid_tables()["promotions"]] * 3, ignore_index=True)
    promotions.loc[1, "account_id"] = "U1"  # another account in the same campaign is fine
    error = _error(_window(tmp_path, fmt, promotions=promotions))
    assert (error.file, error.row) == (f"promotions.{fmt}", 3)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("column", ["buy_order_id", "sell_order_id"])
def test_a_trade_on_an_unknown_order_is_an_error(tmp_path: Path, fmt: str, column: str) -> None:
    error = _error(_window(tmp_path, fmt, trades=_with("trades", **{column: ["O9"]})))
    assert (error.file, error.row, error.column) == (f"trades.{fmt}", 1, column)
    assert "O9" in str(error)


def test_a_broken_csv_line_is_an_error_naming_the_file(tmp_path: Path) -> None:
    folder = _window(tmp_path, "csv")
    with (folder / "logins.csv").open("a") as handle:
        handle.write("U2,2026-11-20T00:00:00Z\n")
    assert _error(folder, tables=["logins"]).file == "logins.csv"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_run_checking_ids_beside_the_rules_still_stops_on_a_duplicate(
    tmp_path: Path, fmt: str
) -> None:
    orders = _with("orders", order_id=["O1", "O1"])
    with pytest.raises(FeedError) as caught:
        detect_window(_window(tmp_path, fmt, orders=orders))
    assert (caught.value.file, caught.value.row, caught.value.column) == (
        f"orders.{fmt}",
        2,
        "order_id",
    )


def test_a_breach_found_beside_the_body_replaces_what_the_body_raised(tmp_path: Path) -> None:
    trades = _with("trades", buy_order_id=["O9"])
    feed = read_feed(_window(tmp_path, "csv", trades=trades), checking_keys=False)
    with pytest.raises(FeedError, match="O9"), keys_checked(feed):
        raise KeyError("a rule tripped over the bad id first")


def test_a_body_error_on_a_sound_window_is_raised_as_it_is(tmp_path: Path) -> None:
    feed = read_feed(_window(tmp_path, "csv"), checking_keys=False)
    with pytest.raises(KeyError), keys_checked(feed):
        raise KeyError("a bug, not the feed")


@pytest.mark.parametrize("fmt", FORMATS)
def test_reading_only_the_ids_finds_the_same_breaches(tmp_path: Path, fmt: str) -> None:
    trades = _with("trades", sell_order_id=["O9"])
    feed = read_feed(_window(tmp_path, fmt, trades=trades), checking_keys=False, keys_only=True)
    assert feed.logins is None and feed.orders is not None
    assert list(feed.orders.columns) == ["order_id"]
    with pytest.raises(FeedError) as caught:
        check_keys(feed)
    assert (caught.value.file, caught.value.row, caught.value.column) == (
        f"trades.{fmt}",
        1,
        "sell_order_id",
    )


def test_a_parquet_dictionary_enum_is_checked_on_the_values_its_rows_use(tmp_path: Path) -> None:
    # A dictionary may list a value no row holds: only a used one outside the enum is bad.
    unused = _with("orders", side=pd.Categorical(["buy", "sell"], ["buy", "long", "sell"]))
    feed = read_feed(_window(tmp_path / "unused", "parquet", orders=unused), tables=["orders"])
    assert feed.orders is not None and feed.orders["side"].tolist() == ["buy", "sell"]
    assert list(feed.orders["side"].cat.categories) == ["buy", "sell"]
    used = _with("orders", side=pd.Categorical(["buy", "long"], ["buy", "long", "sell"]))
    error = _error(_window(tmp_path / "used", "parquet", orders=used), tables=["orders"])
    assert (error.row, error.column) == (2, "side") and "'long'" in str(error)
