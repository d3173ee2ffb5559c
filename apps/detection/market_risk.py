"""The market's own risk per contract, read from one window of the feed (feed.md).

Per contract: the mark / index gap (now and the worst sustained), the largest move, forced
closes per minute and their notional, open interest and how much of it the top accounts and
control clusters hold. The thresholds are the market_stress rule's live ones, applied to
the raw readings: the rule asks more of a gap before it alerts (the move beyond the
contract's standing premium, against how far that premium usually moves, not a ramp's
footprint: rules/market_stress.py), so the dashboard shows a contract standing at a premium
that raises no alert. Concentration has its own bound.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from apps.detection.feed import read_table, table_path
from apps.detection.schema import TABLES

TOP = 5  # accounts / clusters counted in the concentration share
CONCENTRATION_BOUND = 0.5  # the top 5 holding half the open interest or more


@dataclass
class ContractRisk:
    symbol: str
    gap_now: float = 0.0
    gap_sustained: float = 0.0
    max_move: float = 0.0
    liq_accounts_per_minute: int = 0  # the worst minute
    liq_notional_per_minute: float = 0.0  # the worst minute, USDT
    liq_notional: float = 0.0  # the whole window, USDT
    open_interest: float = 0.0  # contracts, long side of the latest snapshot
    top_accounts_share: float = 0.0
    top_clusters_share: float = 0.0
    signals: list[str] = field(default_factory=list)  # market_stress's signal names

    @property
    def concentrated(self) -> bool:
        return max(self.top_accounts_share, self.top_clusters_share) >= CONCENTRATION_BOUND


def _table(folder: Path, name: str) -> pd.DataFrame | None:
    path = table_path(folder, name)
    return None if path is None else read_table(path, TABLES[name], check_unique=False)


def _prices(marks: pd.DataFrame, params: dict[str, Any], found: dict[str, ContractRisk]) -> None:
    marks = marks.sort_values(["symbol", "ts"])
    for symbol, rows in marks.groupby("symbol", observed=True):
        gap = (rows["mark_price"] / rows["index_price"] - 1.0).abs()
        sustained = gap.rolling(params["gap_minutes"], min_periods=params["gap_minutes"]).min()
        lag = params["move_minutes"]
        move = np.abs(np.log(rows["mark_price"] / rows["mark_price"].shift(lag)))
        risk = found.setdefault(str(symbol), ContractRisk(str(symbol)))
        risk.gap_now = float(gap.iloc[-1]) if len(gap) else 0.0
        risk.gap_sustained = float(np.nan_to_num(sustained.max()))
        risk.max_move = float(np.nan_to_num(move.max()))


def _forced_closes(trades: pd.DataFrame, sizes: dict[str, float], found: dict) -> None:
    """Takers closing at a loss, per minute: the footprint market_stress counts."""
    taker_buys = (trades["taker_side"] == "buy").to_numpy()
    closing = np.where(
        taker_buys, trades["buyer_effect"] == "close", trades["seller_effect"] == "close"
    )
    pnl = np.where(taker_buys, trades["buyer_realized_pnl"], trades["seller_realized_pnl"])
    forced = trades[closing & (pnl < 0)].assign(
        taker=np.where(taker_buys, trades["buyer_id"], trades["seller_id"])[closing & (pnl < 0)]
    )
    if forced.empty:
        return
    forced = forced.assign(
        minute=forced["ts"].dt.floor("min"),
        notional=forced["price"]
        * forced["qty"]
        * forced["symbol"].astype(str).map(sizes).fillna(1.0),
    )
    per_minute = forced.groupby(["symbol", "minute"], observed=True).agg(
        accounts=("taker", "nunique"), notional=("notional", "sum")
    )
    for symbol, rows in per_minute.groupby(level=0, observed=True):
        risk = found.setdefault(str(symbol), ContractRisk(str(symbol)))
        risk.liq_accounts_per_minute = int(rows["accounts"].max())
        risk.liq_notional_per_minute = float(rows["notional"].max())
        risk.liq_notional = float(rows["notional"].sum())


ClusterOf = Callable[[list[str]], dict[str, str]]


def _open_interest(positions: pd.DataFrame, cluster_of: ClusterOf, found: dict) -> None:
    latest = positions.sort_values("ts").groupby(["symbol", "account_id"], observed=True).tail(1)
    clusters = cluster_of(sorted(set(latest["account_id"].astype(str))))
    for symbol, rows in latest.groupby("symbol", observed=True):
        size = rows["qty"].abs()
        gross = float(size.sum())
        risk = found.setdefault(str(symbol), ContractRisk(str(symbol)))
        risk.open_interest = float(rows["qty"].clip(lower=0).sum())
        if gross <= 0:
            continue
        by_account = size.groupby(rows["account_id"].astype(str)).sum()
        risk.top_accounts_share = float(by_account.nlargest(TOP).sum() / gross)
        holder = rows["account_id"].astype(str).map(lambda a: clusters.get(a, a))
        risk.top_clusters_share = float(
            size.groupby(holder.to_numpy()).sum().nlargest(TOP).sum() / gross
        )


NEEDED = ("instruments", "mark_prices", "trades", "positions")


def window_tables(folder: Path) -> dict[str, pd.DataFrame | None]:
    return {name: _table(folder, name) for name in NEEDED}


def live_tables(checkpoint_folder: Path) -> dict[str, pd.DataFrame | None] | None:
    """What the live detector holds, from its last checkpoint (apps.detection.live): the
    same tables, parsed the same way as a window's."""
    from apps.detection.live.checkpoint import load

    loaded = load(checkpoint_folder)
    if loaded is None:
        return None
    tables = loaded[1].tables()
    return {name: tables.get(name) for name in NEEDED}


def contract_risk(
    folder: Path, params: dict[str, Any], cluster_of: ClusterOf | None = None
) -> list[ContractRisk]:
    """Every contract's readings over the window in `folder` (see contract_risk_of)."""
    return contract_risk_of(window_tables(folder), params, cluster_of)


def contract_risk_of(
    tables: dict[str, pd.DataFrame | None],
    params: dict[str, Any],
    cluster_of: ClusterOf | None = None,
) -> list[ContractRisk]:
    """Every contract's readings, the most alarming first. `cluster_of` maps account ids to
    their control cluster's key (accounts outside one hold alone)."""
    found: dict[str, ContractRisk] = {}
    instruments = tables.get("instruments")
    sizes = (
        {}
        if instruments is None
        else dict(zip(instruments["symbol"].astype(str), instruments["contract_size"], strict=True))
    )
    marks = tables.get("mark_prices")
    if marks is not None and len(marks):
        _prices(marks, params, found)
    trades = tables.get("trades")
    if trades is not None and len(trades):
        _forced_closes(trades, sizes, found)
    positions = tables.get("positions")
    if positions is not None and len(positions):
        _open_interest(positions, cluster_of or (lambda ids: {}), found)
    for risk in found.values():
        ratios = {
            "mark_index_gap": risk.gap_sustained / params["max_mark_gap"],
            "sudden_move": risk.max_move / params["max_move"],
            "liquidation_burst": risk.liq_accounts_per_minute / params["min_liquidated_accounts"],
        }
        risk.signals = [name for name, ratio in ratios.items() if ratio >= 1.0]
    return sorted(found.values(), key=lambda r: (-len(r.signals), -r.gap_sustained, r.symbol))
