"""Evidence of a case drawn from its alerts: the trades and orders they name, read from the
feed window on disk, and the subject accounts' realised PnL and volume over that window."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.utils.safestring import SafeString

from apps.cases.timeline import Timeline, evidence_timeline
from apps.cases.trade_table import TradeTable, trade_table
from apps.desk.charts import Series, bar_chart, line_chart
from apps.detection.feed import read_table, table_path
from apps.detection.schema import TABLES
from apps.detection.selectors import done_runs

if TYPE_CHECKING:
    from apps.alerts.models import Alert

ROWS_SHOWN = 100
TRADE_COLUMNS = [
    "trade_id", "symbol", "ts", "price", "qty", "buyer_id", "seller_id",
    "buyer_realized_pnl", "seller_realized_pnl",
]  # fmt: skip
ORDER_COLUMNS = [
    "order_id", "account_id", "symbol", "side", "order_type", "price", "qty",
    "channel", "created_at", "cancelled_at", "filled_qty",
]  # fmt: skip
COLUMNS = {
    "trades": TRADE_COLUMNS,
    "orders": ORDER_COLUMNS,
    "mark_prices": ["symbol", "ts", "mark_price"],
}


@dataclass
class Evidence:
    trade_ids: int = 0
    order_ids: int = 0
    window: str = ""
    trades: list[dict] = field(default_factory=list)
    orders: list[dict] = field(default_factory=list)
    pnl_chart: SafeString | str = ""
    pnl_note: str = ""  # said instead of the chart when nothing was realised
    volume_chart: SafeString | str = ""
    note: str = ""
    timeline: Timeline | None = None
    trade_table: TradeTable | None = None


def _ids(alerts: Iterable[Alert], key: str) -> list[str]:
    seen: dict[str, None] = {}
    for alert in alerts:
        values = alert.evidence.get(key) if isinstance(alert.evidence, dict) else None
        for value in values or []:
            seen[str(value)] = None
    return list(seen)


def _windows() -> list[tuple[str, Path]]:
    return [(run.window, Path(run.folder)) for run in done_runs(5) if Path(run.folder).is_dir()]


@lru_cache(maxsize=8)
def _read(
    path: str, mtime: float, table: str, column: str, values: tuple[str, ...]
) -> pd.DataFrame:
    """Rows of `table` whose `column` is one of `values`; Parquet is filtered as it is read."""
    columns = COLUMNS[table]
    if path.endswith(".parquet"):
        data = pq.read_table(path, columns=columns)
        mask = pc.is_in(data[column].cast("string"), value_set=pc.cast(list(values), "string"))
        return data.filter(mask).to_pandas()
    frame = read_table(Path(path), TABLES[table])
    return frame[frame[column].astype(str).isin(values)][columns]


def _rows(folder: Path, table: str, column: str, values: list[str]) -> pd.DataFrame | None:
    path = table_path(folder, table)
    if path is None or not values:
        return None
    return _read(str(path), path.stat().st_mtime, table, column, tuple(sorted(values)))


def case_evidence(alerts: list[Alert], accounts: list[str], linked: Iterable[str] = ()) -> Evidence:
    """`linked`: the accounts linked to the case's (its graph), so a trade with one is said."""
    evidence, folder = _feed_rows(_ids(alerts, "trade_ids"), _ids(alerts, "order_ids"))
    if folder is not None:
        _charts(evidence, folder, accounts)
        symbols = sorted({str(t["symbol"]) for t in evidence.trades})
        evidence.trade_table = trade_table(
            evidence.trades,
            case_accounts=accounts,
            linked=linked,
            marks=_rows(folder, "mark_prices", "symbol", symbols),
        )
    return evidence


def alert_evidence(alert: Alert) -> Evidence:
    """The trades and orders one alert names, read from the feed window, and their
    timeline over the contract's mark price (apps/cases/timeline.py)."""
    trade_ids, order_ids = _ids([alert], "trade_ids"), _ids([alert], "order_ids")
    evidence, folder = _feed_rows(trade_ids, order_ids)
    if folder is not None:
        evidence.timeline = evidence_timeline(alert, folder, order_ids, trade_ids)
    return evidence


def _feed_rows(trade_ids: list[str], order_ids: list[str]) -> tuple[Evidence, Path | None]:
    evidence = Evidence(trade_ids=len(trade_ids), order_ids=len(order_ids))
    if not trade_ids and not order_ids:
        return evidence, None
    windows = _windows()
    if not windows:
        evidence.note = "No feed window is on disk; the tables list ids only."
        return evidence, None
    for window, folder in windows:
        trades = _rows(folder, "trades", "trade_id", trade_ids)
        orders = _rows(folder, "orders", "order_id", order_ids)
        if (trades is not None and len(trades)) or (orders is not None and len(orders)):
            evidence.window = window
            if trades is not None:
                evidence.trades = _records(trades.sort_values("ts").head(ROWS_SHOWN))
            if orders is not None:
                evidence.orders = _records(orders.sort_values("created_at").head(ROWS_SHOWN))
            return evidence, folder
    evidence.note = "The trades and orders of these alerts are in no feed window on disk."
    return evidence, None


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows for a template: a missing time (an order never cancelled) is None, not NaT,
    which a template would take for true."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _charts(evidence: Evidence, folder: Path, accounts: list[str]) -> None:
    subjects = sorted(accounts)[:6]
    buys = _rows(folder, "trades", "buyer_id", subjects)
    sells = _rows(folder, "trades", "seller_id", subjects)
    legs = []
    for frame, side in ((buys, "buyer"), (sells, "seller")):
        if frame is not None and len(frame):
            legs.append(
                pd.DataFrame(
                    {
                        "ts": pd.to_datetime(frame["ts"], utc=True),
                        "account": frame[f"{side}_id"].astype(str),
                        "pnl": frame[f"{side}_realized_pnl"].astype(float),
                        "notional": frame["price"].astype(float) * frame["qty"].astype(float),
                    }
                )
            )
    if not legs:
        return
    fills = pd.concat(legs).sort_values("ts")
    fills = fills[fills["account"].isin(subjects)]
    if not fills["pnl"].astype(bool).any():
        # A line of zeros tells an investigator nothing: say it in words instead.
        evidence.pnl_note = (
            "No fill of these accounts realised a profit or loss in the window "
            "(positions opened, or closed at their entry price)."
        )
    series = []
    for account, own in fills.groupby("account", sort=True):
        cumulative = own["pnl"].cumsum()
        # At most ~200 points a line: a day of fills would otherwise be a megabyte of SVG.
        step = max(len(own) // 200, 1)
        points = list(zip(own["ts"].iloc[::step], cumulative.iloc[::step], strict=True))
        points.append((own["ts"].iloc[-1], float(cumulative.iloc[-1])))
        series.append(Series(str(account), [(t.to_pydatetime(), float(v)) for t, v in points]))
    if not evidence.pnl_note:
        evidence.pnl_chart = line_chart(
            series, title="Cumulative realised PnL per account, over the window (UTC)", unit="USDT"
        )
    hourly = fills.set_index("ts")["notional"].resample("1h").sum()
    evidence.volume_chart = bar_chart(
        [(f"{t:%H:%M}", float(v)) for t, v in hourly.items()],
        title="Traded notional per hour (UTC)",
        unit="USDT",
    )
