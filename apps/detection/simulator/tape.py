"""The order and trade tape: every fill makes its two orders, so trades always point at
orders that exist, and each side's account, channel and effect stay consistent."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .market import Market
from .world import World
from .writer import serial_ids

SIDES = np.array(["buy", "sell"], dtype=object)
TYPES = np.array(["limit", "market"], dtype=object)
CHANNELS = np.array(["web", "app", "api"], dtype=object)
EFFECTS = np.array(["open", "close"], dtype=object)
WEB, APP, API = 0, 1, 2
BUY, SELL = 0, 1
OPEN, CLOSE = 0, 1
NONE = -1  # no cancel time


class Tape:
    def __init__(self, world: World, market: Market):
        self.world = world
        self.market = market
        self.orders: list[dict[str, np.ndarray]] = []
        self.trades: list[dict[str, np.ndarray]] = []
        self.next_order = 0

    def add_orders(self, **columns: Any) -> np.ndarray:
        """Orders: account, symbol, side, order_type, price, qty, channel, created,
        optional cancelled (-1 = none), filled (default 0), reduce_only (default False)."""
        n = len(columns["account"])
        ids = np.arange(self.next_order, self.next_order + n)
        self.next_order += n
        defaults = {"cancelled": NONE, "filled": 0.0, "reduce_only": False}
        row = {k: np.broadcast_to(np.asarray(columns.get(k, v)), n) for k, v in defaults.items()}
        for key in ("account", "symbol", "side", "order_type", "price", "qty", "channel"):
            row[key] = np.broadcast_to(np.asarray(columns[key]), n)
        row["created"] = np.asarray(columns["created"], dtype=np.int64)
        row["order_id"] = ids
        self.orders.append(row)
        return ids

    def add_trades(self, **c: Any) -> None:
        """Fills between ``buyer`` and ``seller``: symbol, ts, qty, optional price (default
        the mark), taker_side, effects, pnls, channels, maker_lag, taker_type, reduce_only."""
        n = len(c["buyer"])
        rng = self.world.rng
        symbol = np.broadcast_to(np.asarray(c["symbol"]), n)
        ts = np.asarray(c["ts"], dtype=np.int64)
        price = c.get("price")
        if price is None:
            price = self.market.mark_at(symbol, ts) * (1 + rng.normal(0, 0.0003, n))
        price = self.market.round_price(symbol, np.broadcast_to(np.asarray(price), n))
        qty = np.broadcast_to(np.asarray(c["qty"], dtype=float), n)
        taker = np.broadcast_to(np.asarray(c.get("taker_side", rng.integers(0, 2, n))), n)
        lag = np.asarray(c.get("maker_lag", rng.exponential(30_000, n).astype(np.int64)))
        taker_type = np.broadcast_to(np.asarray(c.get("taker_type", 1)), n)
        reduce_only = np.broadcast_to(np.asarray(c.get("reduce_only", False)), n)
        ids = {}
        for side, who in ((BUY, "buyer"), (SELL, "seller")):
            is_taker = taker == side
            ids[side] = self.add_orders(
                account=c[who],
                symbol=symbol,
                side=side,
                order_type=np.where(is_taker, taker_type, 0),
                price=np.where(is_taker & (taker_type == 1), np.nan, price),
                qty=qty,
                channel=c.get(f"{who}_channel", WEB),
                created=np.where(is_taker, ts, ts - lag),
                filled=qty,
                reduce_only=is_taker & reduce_only,
            )
        self.trades.append(
            {
                "symbol": symbol,
                "ts": ts,
                "price": price,
                "qty": qty,
                "buy_order": ids[BUY],
                "sell_order": ids[SELL],
                "buyer": np.asarray(c["buyer"]),
                "seller": np.asarray(c["seller"]),
                "taker_side": taker,
                "buyer_effect": np.broadcast_to(np.asarray(c.get("buyer_effect", OPEN)), n),
                "seller_effect": np.broadcast_to(np.asarray(c.get("seller_effect", OPEN)), n),
                "buyer_pnl": np.broadcast_to(np.asarray(c.get("buyer_pnl", 0.0)), n),
                "seller_pnl": np.broadcast_to(np.asarray(c.get("seller_pnl", 0.0)), n),
            }
        )

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        orders = {k: np.concatenate([o[k] for o in self.orders]) for k in self.orders[0]}
        trades = {k: np.concatenate([t[k] for t in self.trades]) for k in self.trades[0]}
        return self._orders_frame(orders), self._trades_frame(trades)

    def _ids(self, accounts: np.ndarray) -> pd.Series:
        ids = pa.array(self.world.ids.astype(str))
        return pd.Series(ids.take(pa.array(accounts)).to_pandas(), dtype="str")

    def _symbols(self, symbol: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(symbol, categories=self.market.symbols)

    def _order_ids(self, numbers: np.ndarray) -> pd.Series:
        every = serial_ids("O", self.next_order, 10).to_pandas()
        return pd.Series(every.to_numpy()[numbers], dtype="str")

    def _orders_frame(self, o: dict[str, np.ndarray]) -> pd.DataFrame:
        end = self.world.end_ms
        created = np.clip(o["created"], self.world.start_ms, end - 1)
        cancelled = np.where(o["cancelled"] >= 0, np.minimum(o["cancelled"], end - 1), -1)
        cancelled = np.where(cancelled >= 0, np.maximum(cancelled, created), -1)
        frame = pd.DataFrame(
            {
                "order_id": self._order_ids(o["order_id"]),
                "account_id": self._ids(o["account"]),
                "symbol": self._symbols(o["symbol"]),
                "side": pd.Categorical.from_codes(o["side"], categories=["buy", "sell"]),
                "order_type": pd.Categorical.from_codes(o["order_type"], ["limit", "market"]),
                "price": self.market.round_price(o["symbol"], o["price"].astype(float)),
                "qty": o["qty"].astype(float),
                "reduce_only": o["reduce_only"].astype(bool),
                "channel": pd.Categorical.from_codes(o["channel"], ["web", "app", "api"]),
                "created_at": _times(created),
                "cancelled_at": _times(np.where(cancelled >= 0, cancelled, np.nan)),
                "filled_qty": o["filled"].astype(float),
            }
        )
        return frame.sort_values("created_at", kind="stable", ignore_index=True)

    def _trades_frame(self, t: dict[str, np.ndarray]) -> pd.DataFrame:
        order_ids = serial_ids("O", self.next_order, 10).to_pandas().to_numpy()
        frame = pd.DataFrame(
            {
                "symbol": self._symbols(t["symbol"]),
                "ts": _times(np.clip(t["ts"], self.world.start_ms, self.world.end_ms - 1)),
                "price": t["price"],
                "qty": t["qty"],
                "buy_order_id": pd.Series(order_ids[t["buy_order"]], dtype="str"),
                "sell_order_id": pd.Series(order_ids[t["sell_order"]], dtype="str"),
                "buyer_id": self._ids(t["buyer"]),
                "seller_id": self._ids(t["seller"]),
                "taker_side": pd.Categorical.from_codes(t["taker_side"], ["buy", "sell"]),
                "buyer_effect": pd.Categorical.from_codes(t["buyer_effect"], ["open", "close"]),
                "seller_effect": pd.Categorical.from_codes(t["seller_effect"], ["open", "close"]),
                "buyer_realized_pnl": np.round(t["buyer_pnl"], 2),
                "seller_realized_pnl": np.round(t["seller_pnl"], 2),
            }
        )
        frame = frame.sort_values("ts", kind="stable", ignore_index=True)
        frame.insert(0, "trade_id", serial_ids("T", len(frame), 10).to_pandas())
        return frame


def _times(ms: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(ms, unit="ms", utc=True)).astype("datetime64[ms, UTC]")
