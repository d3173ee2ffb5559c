"""The feed contract (shared/contracts/feed.md) as data: tables, columns and their kinds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["id", "text", "category", "enum", "time", "bool", "int", "number"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind
    nullable: bool = False
    values: tuple[str, ...] = ()  # the allowed values of an enum column


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    optional: bool = False
    # Columns whose values (together) must be unique within the table.
    unique: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


SIDES = ("buy", "sell")
ORDER_TYPES = ("limit", "market")
CHANNELS = ("web", "app", "api")
TRANSFER_KINDS = ("deposit", "withdrawal", "internal_in", "internal_out")
EFFECTS = ("open", "close")
REWARD_KINDS = ("trial_fund", "fee_rebate", "deposit_bonus")

TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        Table(
            "instruments",
            (
                Column("symbol", "category"),
                Column("contract_size", "number"),
                Column("tick_size", "number"),
                Column("max_leverage", "number"),
                Column("position_limit", "number"),
                Column("daily_open_limit", "number"),
            ),
            unique=("symbol",),
        ),
        Table(
            "accounts",
            (
                Column("account_id", "id"),
                Column("registered_at", "time"),
                Column("kyc_level", "int"),
                Column("vip_tier", "int"),
                Column("api_trading_allowed", "bool"),
                Column("market_maker", "bool"),
                Column("referrer_id", "id", nullable=True),
            ),
            unique=("account_id",),
        ),
        Table(
            "logins",
            (
                Column("account_id", "id"),
                Column("ts", "time"),
                Column("ip", "text"),
                Column("device_id", "text"),
            ),
        ),
        Table(
            "transfers",
            (
                Column("transfer_id", "id"),
                Column("account_id", "id"),
                Column("ts", "time"),
                Column("kind", "enum", values=TRANSFER_KINDS),
                Column("asset", "category"),
                Column("amount", "number"),
                Column("address", "text", nullable=True),
                Column("counterparty_account_id", "id", nullable=True),
            ),
            unique=("transfer_id",),
        ),
        Table(
            "orders",
            (
                Column("order_id", "id"),
                Column("account_id", "id"),
                Column("symbol", "category"),
                Column("side", "enum", values=SIDES),
                Column("order_type", "enum", values=ORDER_TYPES),
                Column("price", "number", nullable=True),
                Column("qty", "number"),
                Column("reduce_only", "bool"),
                Column("channel", "enum", values=CHANNELS),
                Column("created_at", "time"),
                Column("cancelled_at", "time", nullable=True),
                Column("filled_qty", "number"),
            ),
            unique=("order_id",),
        ),
        Table(
            "trades",
            (
                Column("trade_id", "id"),
                Column("symbol", "category"),
                Column("ts", "time"),
                Column("price", "number"),
                Column("qty", "number"),
                Column("buy_order_id", "id"),
                Column("sell_order_id", "id"),
                Column("buyer_id", "id"),
                Column("seller_id", "id"),
                Column("taker_side", "enum", values=SIDES),
                Column("buyer_effect", "enum", values=EFFECTS),
                Column("seller_effect", "enum", values=EFFECTS),
                Column("buyer_realized_pnl", "number"),
                Column("seller_realized_pnl", "number"),
            ),
            unique=("trade_id",),
        ),
        Table(
            "positions",
            (
                Column("ts", "time"),
                Column("account_id", "id"),
                Column("symbol", "category"),
                Column("qty", "number"),
                Column("entry_price", "number"),
                Column("leverage", "number"),
                Column("margin", "number"),
                Column("unrealized_pnl", "number"),
            ),
            optional=True,
        ),
        Table(
            "mark_prices",
            (
                Column("symbol", "category"),
                Column("ts", "time"),
                Column("mark_price", "number"),
                Column("index_price", "number"),
            ),
            optional=True,
        ),
        Table(
            "promotions",
            (
                Column("campaign_id", "id"),
                Column("account_id", "id"),
                Column("joined_at", "time"),
                Column("reward", "number"),
                Column("reward_kind", "enum", values=REWARD_KINDS),
                Column("paid_at", "time", nullable=True),
            ),
            optional=True,
            unique=("campaign_id", "account_id"),
        ),
    )
}
