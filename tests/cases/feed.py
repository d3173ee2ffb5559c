"""A small feed window on disk (Parquet), so a case's evidence has trades and orders."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from apps.detection.models import DetectionRun


def feed_window(
    folder: Path, accounts: list[str], trades: int = 240, *, realised: bool = True
) -> tuple[list, list]:
    """Trades among `accounts` over a day with drifting PnL (none with `realised=False`);
    (trade ids, order ids)."""
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 11, 20, tzinfo=UTC)
    rows: dict[str, list] = {k: [] for k in (
        "trade_id", "symbol", "ts", "price", "qty", "buyer_id", "seller_id",
        "buyer_realized_pnl", "seller_realized_pnl",
    )}  # fmt: skip
    for n in range(trades):
        buyer = accounts[n % len(accounts)]
        seller = accounts[(n + 1) % len(accounts)]
        rows["trade_id"].append(f"T{n}")
        rows["symbol"].append("BTCUSDT")
        rows["ts"].append(start + timedelta(minutes=6 * n))
        rows["price"].append(60_000 + 40 * (n % 17))
        rows["qty"].append(0.5 + (n % 5) * 0.25 + (2.0 if 8 <= (n // 10) % 24 <= 11 else 0))
        rows["buyer_id"].append(buyer)
        rows["seller_id"].append(seller)
        rows["buyer_realized_pnl"].append(35.0 + (n % 7) * 4 if realised else 0.0)
        rows["seller_realized_pnl"].append(-20.0 - (n % 3) * 6 if realised else 0.0)
    pq.write_table(pa.table(rows), folder / "trades.parquet")
    orders: dict[str, list] = {k: [] for k in (
        "order_id", "account_id", "symbol", "side", "order_type", "price", "qty", "channel",
        "created_at", "cancelled_at", "filled_qty",
    )}  # fmt: skip
    for n in range(40):
        orders["order_id"].append(f"O{n}")
        orders["account_id"].append(accounts[n % len(accounts)])
        orders["symbol"].append("BTCUSDT")
        orders["side"].append("buy" if n % 2 else "sell")
        orders["order_type"].append("limit")
        orders["price"].append(60_000.0 + n)
        orders["qty"].append(25.0)
        orders["channel"].append("api")
        orders["created_at"].append(start + timedelta(minutes=n))
        orders["cancelled_at"].append(start + timedelta(minutes=n, seconds=2))
        orders["filled_qty"].append(0.0)
    pq.write_table(pa.table(orders), folder / "orders.parquet")
    DetectionRun.objects.create(
        window=folder.name, folder=str(folder), status=DetectionRun.Status.DONE
    )
    return [f"T{n}" for n in range(0, trades, 12)], [f"O{n}" for n in range(0, 40, 4)]
