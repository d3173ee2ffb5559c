"""Hand-built feed windows for rule tests: say what happened, get a typed Feed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from apps.detection.columns import parse_column
from apps.detection.feed import Feed
from apps.detection.schema import TABLES

DAY = pd.Timestamp("2026-11-20T00:00:00Z")


def at(minutes: float = 0.0, seconds: float = 0.0) -> pd.Timestamp:
    return DAY + pd.Timedelta(minutes=minutes, seconds=seconds)


class Window:
    """Accounts referenced anywhere are created on the fly (old, not authorised)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        self._accounts: dict[str, dict[str, Any]] = {}
        self._orders = 0
        self._trades = 0
        self._transfers = 0
        self.instrument("BTCUSDT")

    def account(self, account_id: str, **fields: Any) -> str:
        row = self._accounts.setdefault(
            account_id,
            {
                "account_id": account_id,
                "registered_at": DAY - pd.Timedelta(days=400),
                "kyc_level": 1,
                "vip_tier": 0,
                "api_trading_allowed": False,
                "market_maker": False,
                "referrer_id": None,
            },
        )
        row.update(fields)
        return account_id

    def instrument(self, symbol: str, **fields: Any) -> None:
        row = {
            "symbol": symbol,
            "contract_size": 0.001,
            "tick_size": 0.1,
            "max_leverage": 100.0,
            "position_limit": 1000.0,
            "daily_open_limit": 5000.0,
        }
        row.update(fields)
        self.rows["instruments"] = [r for r in self.rows["instruments"] if r["symbol"] != symbol]
        self.rows["instruments"].append(row)

    def marks(
        self,
        symbol: str = "BTCUSDT",
        price: float = 100_000.0,
        minutes: int = 60,
        start: float = 0.0,
        index: float | None = None,
    ) -> None:
        for m in range(minutes):
            self.rows["mark_prices"].append(
                {
                    "symbol": symbol,
                    "ts": at(start + m),
                    "mark_price": price,
                    "index_price": price if index is None else index,
                }
            )

    def login(self, account: str, ts: pd.Timestamp, ip: str, device: str) -> None:
        self.account(account)
        self.rows["logins"].append({"account_id": account, "ts": ts, "ip": ip, "device_id": device})

    def transfer(
        self,
        account: str,
        kind: str,
        amount: float,
        ts: pd.Timestamp,
        address: str | None = None,
        counterparty: str | None = None,
    ) -> None:
        self.account(account)
        self._transfers += 1
        self.rows["transfers"].append(
            {
                "transfer_id": f"X{self._transfers}",
                "account_id": account,
                "ts": ts,
                "kind": kind,
                "asset": "USDT",
                "amount": amount,
                "address": address,
                "counterparty_account_id": counterparty,
            }
        )

    def order(
        self,
        account: str,
        side: str,
        qty: float,
        price: float | None,
        created: pd.Timestamp,
        *,
        symbol: str = "BTCUSDT",
        cancelled: pd.Timestamp | None = None,
        filled: float = 0.0,
        channel: str = "web",
        reduce_only: bool = False,
    ) -> str:
        self.account(account)
        self._orders += 1
        order_id = f"O{self._orders}"
        self.rows["orders"].append(
            {
                "order_id": order_id,
                "account_id": account,
                "symbol": symbol,
                "side": side,
                "order_type": "limit" if price is not None else "market",
                "price": price,
                "qty": qty,
                "reduce_only": reduce_only,
                "channel": channel,
                "created_at": created,
                "cancelled_at": cancelled,
                "filled_qty": filled,
            }
        )
        return order_id

    def trade(
        self,
        buyer: str,
        seller: str,
        qty: float,
        price: float,
        ts: pd.Timestamp,
        *,
        symbol: str = "BTCUSDT",
        taker: str = "buy",
        buyer_effect: str = "open",
        seller_effect: str = "open",
        buyer_pnl: float = 0.0,
        seller_pnl: float = 0.0,
    ) -> str:
        buy = self.order(buyer, "buy", qty, price, ts, symbol=symbol, filled=qty)
        sell = self.order(seller, "sell", qty, price, ts, symbol=symbol, filled=qty)
        self._trades += 1
        trade_id = f"T{self._trades}"
        self.rows["trades"].append(
            {
                "trade_id": trade_id,
                "symbol": symbol,
                "ts": ts,
                "price": price,
                "qty": qty,
                "buy_order_id": buy,
                "sell_order_id": sell,
                "buyer_id": buyer,
                "seller_id": seller,
                "taker_side": taker,
                "buyer_effect": buyer_effect,
                "seller_effect": seller_effect,
                "buyer_realized_pnl": buyer_pnl,
                "seller_realized_pnl": seller_pnl,
            }
        )
        return trade_id

    def sweep(
        self,
        taker: str,
        maker: str,
        prices: list[float],
        ts: pd.Timestamp,
        *,
        symbol: str = "BTCUSDT",
        taker_buys: bool = True,
    ) -> None:
        """One taker order of ``taker`` filling a resting order of ``maker`` at each of
        ``prices`` (1 each), a millisecond apart: one order, several trades."""
        side, other = ("buy", "sell") if taker_buys else ("sell", "buy")
        taken = self.order(taker, side, len(prices), None, ts, symbol=symbol, filled=len(prices))
        for fill, price in enumerate(prices):
            rests = self.order(maker, other, 1, price, ts, symbol=symbol, filled=1)
            buy, sell = (taken, rests) if taker_buys else (rests, taken)
            self._trades += 1
            self.rows["trades"].append(
                {
                    "trade_id": f"T{self._trades}",
                    "symbol": symbol,
                    "ts": ts + pd.Timedelta(milliseconds=fill),
                    "price": price,
                    "qty": 1,
                    "buy_order_id": buy,
                    "sell_order_id": sell,
                    "buyer_id": taker if taker_buys else maker,
                    "seller_id": maker if taker_buys else taker,
                    "taker_side": side,
                    "buyer_effect": "open",
                    "seller_effect": "open",
                    "buyer_realized_pnl": 0.0,
                    "seller_realized_pnl": 0.0,
                }
            )

    def position(self, account: str, qty: float, ts: pd.Timestamp, symbol: str = "BTCUSDT") -> None:
        self.account(account)
        self.rows["positions"].append(
            {
                "ts": ts,
                "account_id": account,
                "symbol": symbol,
                "qty": qty,
                "entry_price": 100_000.0,
                "leverage": 10.0,
                "margin": 1.0,
                "unrealized_pnl": 0.0,
            }
        )

    def promotion(self, campaign: str, account: str, joined: pd.Timestamp) -> None:
        self.account(account)
        self.rows["promotions"].append(
            {
                "campaign_id": campaign,
                "account_id": account,
                "joined_at": joined,
                "reward": 50.0,
                "reward_kind": "trial_fund",
                "paid_at": None,
            }
        )

    def feed(self) -> Feed:
        self.rows["accounts"] = list(self._accounts.values())
        feed = Feed(folder=Path("."))
        for name, table in TABLES.items():
            frame = pd.DataFrame(self.rows[name], columns=table.column_names)
            parsed = {
                column.name: parse_column(
                    frame[column.name].astype(_raw_dtype(column.kind)), column, name
                )
                for column in table.columns
            }
            setattr(feed, name, pd.DataFrame(parsed, index=range(len(frame))))
        return feed


def _raw_dtype(kind: str) -> str:
    return {"time": "datetime64[ms, UTC]", "bool": "bool", "int": "int64", "number": "float64"}.get(
        kind, "object"
    )
