"""The evidence on a timeline: the contract's mark price over the window, and on it the
orders behind an alert as they were placed, cancelled and filled — the investigator's
market replay.

Drawn by matplotlib on the server as SVG and shown as an image (a data: URI, which the
CSP's img-src allows; an inline SVG's style attributes would be refused by style-src), so
the page needs no script and no chart library in the browser.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from apps.detection.feed import table_path

if TYPE_CHECKING:
    from apps.alerts.models import Alert

PAD = timedelta(minutes=5)  # mark price shown around the first and last event
MAX_MARKERS = 600  # per kind: a day of one account's orders would be an unreadable blot


@dataclass
class Timeline:
    image: str = ""  # data:image/svg+xml;base64,… or "" when nothing could be drawn
    title: str = ""
    note: str = ""  # what is missing, said plainly
    placed: int = 0
    cancelled: int = 0
    filled: int = 0
    marks: int = 0


def _read(path: Path | None, columns: list[str], mask_of: object) -> pd.DataFrame | None:
    """The rows of a Parquet table that `mask_of` keeps, with those of `columns` the file
    has (a test window or an older feed may lack an optional column)."""
    if path is None or path.suffix != ".parquet":
        return None
    present = set(pq.read_schema(path).names)
    table = pq.read_table(path, columns=[c for c in columns if c in present])
    return table.filter(mask_of(table)).to_pandas()  # type: ignore[operator]


def _in(column: str, values: list[str]) -> object:
    return lambda t: pc.is_in(t[column].cast("string"), value_set=pa.array(values, "string"))


def evidence_timeline(
    alert: Alert, folder: Path, order_ids: list[str], trade_ids: list[str]
) -> Timeline:
    """The alert's orders (placed / cancelled) and fills (its trades, and the trades of
    its orders) over the mark price of its contract."""
    orders = (
        _read(
            table_path(folder, "orders"),
            ["order_id", "account_id", "symbol", "side", "price", "created_at", "cancelled_at"],
            _in("order_id", order_ids),
        )
        if order_ids
        else None
    )
    if orders is not None and not {"created_at", "cancelled_at", "price"} <= set(orders.columns):
        orders = None
    fills = _fills(folder, order_ids, trade_ids)
    frames = [f for f in (orders, fills) if f is not None and len(f)]
    if not frames:
        return Timeline(
            note="No orders or trades behind this alert in the feed window: "
            "nothing to draw on a timeline."
        )
    first = frames[0]
    symbol = alert.symbol or (str(first["symbol"].iloc[0]) if "symbol" in first else "")
    times = pd.concat(
        [pd.to_datetime(f["created_at" if f is orders else "ts"], utc=True) for f in frames]
    )
    start, end = times.min() - PAD, times.max() + PAD
    marks = _read(
        table_path(folder, "mark_prices"),
        ["symbol", "ts", "mark_price"],
        lambda t: pc.equal(t["symbol"].cast("string"), symbol),
    )
    timeline = Timeline()
    if marks is not None and len(marks):
        marks["ts"] = pd.to_datetime(marks["ts"], utc=True)
        marks = marks[(marks["ts"] >= start) & (marks["ts"] <= end)].sort_values("ts")
    if marks is None or not len(marks):
        timeline.note = (
            f"The feed window has no mark prices for {symbol} over these minutes; "
            "the orders and fills are drawn at their own prices only."
        )
        marks = None
    _draw(timeline, alert, symbol, marks, orders, fills)
    return timeline


def _fills(folder: Path, order_ids: list[str], trade_ids: list[str]) -> pd.DataFrame | None:
    """The alert's trades and the trades that filled its orders."""
    path = table_path(folder, "trades")
    if path is None or path.suffix != ".parquet" or not (order_ids or trade_ids):
        return None
    present = set(pq.read_schema(path).names)
    if not {"ts", "price"} <= present:
        return None
    wanted = [
        (column, values)
        for column, values in (
            ("trade_id", trade_ids),
            ("buy_order_id", order_ids),
            ("sell_order_id", order_ids),
        )
        if values and column in present
    ]
    if not wanted:
        return None

    def mask(table: object) -> object:
        hits = [
            pc.is_in(table[c].cast("string"), value_set=pa.array(v, "string"))  # type: ignore[index]
            for c, v in wanted
        ]
        return reduce(pc.or_, hits)

    columns = ["trade_id", "symbol", "ts", "price", "qty", "buy_order_id", "sell_order_id"]
    return _read(path, columns, mask)


def _draw(
    timeline: Timeline,
    alert: Alert,
    symbol: str,
    marks: pd.DataFrame | None,
    orders: pd.DataFrame | None,
    fills: pd.DataFrame | None,
) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # text stays text: a smaller, sharper image
    figure, axes = plt.subplots(figsize=(11, 3.6), dpi=100)
    try:
        if marks is not None:
            axes.step(
                marks["ts"],
                marks["mark_price"],
                where="post",
                color="#5b6b7f",
                linewidth=1.2,
                label="mark price",
            )
            timeline.marks = len(marks)
        if orders is not None and len(orders):
            placed = orders.head(MAX_MARKERS)
            at = pd.to_datetime(placed["created_at"], utc=True)
            axes.scatter(
                at,
                placed["price"],
                marker="^",
                s=22,
                facecolors="none",
                edgecolors="#1f6feb",
                linewidths=1,
                label="order placed",
            )
            timeline.placed = len(orders)
            gone = orders[orders["cancelled_at"].notna()].head(MAX_MARKERS)
            axes.scatter(
                pd.to_datetime(gone["cancelled_at"], utc=True),
                gone["price"],
                marker="x",
                s=22,
                color="#c62828",
                linewidths=1,
                label="order cancelled",
            )
            timeline.cancelled = int(orders["cancelled_at"].notna().sum())
        if fills is not None and len(fills):
            shown = fills.head(MAX_MARKERS)
            axes.scatter(
                pd.to_datetime(shown["ts"], utc=True),
                shown["price"],
                marker="D",
                s=18,
                color="#2e7d32",
                label="filled (trade)",
            )
            timeline.filled = len(fills)
        axes.set_xlabel("time (UTC)")
        axes.set_ylabel("price (USDT)")
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz="UTC"))
        axes.grid(True, color="#e3e7ec", linewidth=0.6)
        # Above the plot, right of the title: never over the price line.
        axes.legend(loc="lower right", bbox_to_anchor=(1, 1), fontsize=8, ncols=4, frameon=False)
        accounts = ", ".join(alert.accounts[:3]) + (" …" if len(alert.accounts) > 3 else "")
        timeline.title = (
            f"{symbol} mark price with the orders and fills of {accounts or 'the alert'}"
        )
        axes.set_title(timeline.title, fontsize=10, loc="left")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg")
    finally:
        plt.close(figure)
    timeline.image = "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
