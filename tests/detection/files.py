"""Write small feed windows to disk, as CSV or Parquet, for the reader's tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from apps.detection.schema import TABLES

T0 = pd.Timestamp("2026-11-20T00:00:00Z")


def valid_tables() -> dict[str, pd.DataFrame]:
    """A tiny window that satisfies the contract: two accounts, one trade between them."""
    t = [T0 + pd.Timedelta(seconds=s) for s in range(4)]
    return {
        "instruments": pd.DataFrame(
            {
                "symbol": ["BTCUSDT"],
                "contract_size": [0.001],
                "tick_size": [0.1],
                "max_leverage": [125.0],
                "position_limit": [1000.0],
                "daily_open_limit": [5000.0],
            }
        ),
        "accounts": pd.DataFrame(
            {
                "account_id": ["U1", "U2"],
                "registered_at": [t[0], t[1]],
                "kyc_level": [1, 2],
                "vip_tier": [0, 3],
                "api_trading_allowed": [False, True],
                "market_maker": [False, False],
                "referrer_id": [None, "U1"],
            }
        ),
        "logins": pd.DataFrame(
            {
                "account_id": ["U1", "U2"],
                "ts": [t[0], t[1]],
                "ip": ["10.0.0.1", "10.0.0.2"],
                "device_id": ["D1", "D2"],
            }
        ),
        "transfers": pd.DataFrame(
            {
                "transfer_id": ["X1", "X2"],
                "account_id": ["U1", "U2"],
                "ts": [t[0], t[1]],
                "kind": ["deposit", "internal_in"],
                "asset": ["USDT", "USDT"],
                "amount": [100.0, 5.0],
                "address": ["addr1", None],
                "counterparty_account_id": [None, "U1"],
            }
        ),
        "orders": pd.DataFrame(
            {
                "order_id": ["O1", "O2"],
                "account_id": ["U1", "U2"],
                "symbol": ["BTCUSDT", "BTCUSDT"],
                "side": ["buy", "sell"],
                "order_type": ["limit", "market"],
                "price": [50000.0, None],
                "qty": [2.0, 2.0],
                "reduce_only": [False, False],
                "channel": ["web", "api"],
                "created_at": [t[1], t[2]],
                "cancelled_at": [None, None],
                "filled_qty": [2.0, 2.0],
            }
        ),
        "trades": pd.DataFrame(
            {
                "trade_id": ["T1"],
                "symbol": ["BTCUSDT"],
                "ts": [t[2]],
                "price": [50000.0],
                "qty": [2.0],
                "buy_order_id": ["O1"],
                "sell_order_id": ["O2"],
                "buyer_id": ["U1"],
                "seller_id": ["U2"],
                "taker_side": ["sell"],
                "buyer_effect": ["open"],
                "seller_effect": ["open"],
                "buyer_realized_pnl": [0.0],
                "seller_realized_pnl": [0.0],
            }
        ),
        "promotions": pd.DataFrame(
            {
                "campaign_id": ["C1"],
                "account_id": ["U2"],
                "joined_at": [t[1]],
                "reward": [10.0],
                "reward_kind": ["trial_fund"],
                "paid_at": [None],
            }
        ),
    }


def _csv_cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return str(value)


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    lines = [",".join(frame.columns)]
    lines += [",".join(_csv_cell(v) for v in row) for row in frame.itertuples(index=False)]
    path.write_text("\n".join(lines) + "\n")


def write_parquet(path: Path, frame: pd.DataFrame, table: str) -> None:
    frame = frame.copy()
    for column in TABLES[table].columns:
        if column.name not in frame:
            continue
        is_text = any(isinstance(v, str) for v in frame[column.name])
        if column.kind == "time" and not is_text:
            frame[column.name] = pd.to_datetime(frame[column.name], utc=True).astype(
                "datetime64[ms, UTC]"
            )
    frame.to_parquet(path, index=False)


def write_window(folder: Path, tables: dict[str, pd.DataFrame], fmt: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if fmt == "csv":
            write_csv(folder / f"{name}.csv", frame)
        else:
            write_parquet(folder / f"{name}.parquet", frame, name)
    return folder
