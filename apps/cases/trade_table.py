"""The case's trades as an investigator reads them: one row per trade, from the side of the
case's account — when, who, bought or sold what, at what price, for how much in USDT, with
whom — and what makes the trade suspect: the account traded with itself, with an account
linked to it, or away from the market price. Totals close the table."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

# A fill this far from the contract's mark price at that moment is off-market.
OFF_MARKET = 0.01
# The mark price is read at the last tick at or before the fill, no older than this.
MARK_TOLERANCE = pd.Timedelta(minutes=5)


@dataclass(frozen=True)
class TradeRow:
    at: datetime
    account: str  # the case's account in the trade
    side: str  # "Buy" / "Sell", as that account traded
    symbol: str
    price: float
    qty: float
    counterparty: str
    mark_price: float | None
    flags: tuple[str, ...]  # in words: "self-trade", "linked counterparty", "off-market …"
    within: bool = False  # both sides are the case's accounts: it bought and sold at once

    @property
    def notional(self) -> float:
        return self.price * self.qty

    @property
    def account_ids(self) -> tuple[str, str]:  # lists mark the restricted ones
        return (self.account, self.counterparty)


@dataclass
class TradeTable:
    rows: list[TradeRow] = field(default_factory=list)

    @property
    def notional(self) -> float:
        return sum(r.notional for r in self.rows)

    @property
    def bought(self) -> float:
        """Bought from accounts outside the case."""
        return sum(r.notional for r in self.rows if r.side == "Buy" and not r.within)

    @property
    def sold(self) -> float:
        """Sold to accounts outside the case."""
        return sum(r.notional for r in self.rows if r.side == "Sell" and not r.within)

    @property
    def between(self) -> float:
        """Traded between the case's own accounts (self-trades included)."""
        return sum(r.notional for r in self.rows if r.within)

    def count(self, flag: str) -> int:
        return sum(1 for r in self.rows if any(f.startswith(flag) for f in r.flags))

    @property
    def self_trades(self) -> int:
        return self.count("self-trade")

    @property
    def linked(self) -> int:
        return self.count("linked") + self.count("between")

    @property
    def off_market(self) -> int:
        return self.count("off-market")

    @property
    def quantities(self) -> list[tuple[str, float]]:
        """Quantity traded per contract: contracts of different symbols do not add up."""
        per: dict[str, float] = {}
        for r in self.rows:
            per[r.symbol] = per.get(r.symbol, 0.0) + r.qty
        return sorted(per.items())


def trade_table(
    trades: list[dict],
    *,
    case_accounts: Iterable[str],
    linked: Iterable[str],
    marks: pd.DataFrame | None,
) -> TradeTable:
    """`trades` as read from the feed (trade_id, symbol, ts, price, qty, buyer_id,
    seller_id), `linked` the accounts linked to the case's (its graph), `marks` the mark
    prices (symbol, ts, mark_price) of the window, if it has them."""
    ours = {str(a) for a in case_accounts}
    near = ours | {str(a) for a in linked}
    table = TradeTable()
    if not trades:
        return table
    frame = pd.DataFrame(trades)
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True).astype("datetime64[ns, UTC]")
    frame = _with_marks(frame.sort_values(["ts", "trade_id"]), marks)
    for t in frame.itertuples(index=False):
        buyer, seller = str(t.buyer_id), str(t.seller_id)
        as_buyer = buyer in ours or seller not in ours
        account, other = (buyer, seller) if as_buyer else (seller, buyer)
        flags: list[str] = []
        if buyer == seller:
            flags.append("self-trade")
        elif other in near:
            flags.append("between the case's accounts" if other in ours else "linked counterparty")
        mark = float(t.mark_price) if pd.notna(t.mark_price) else None
        if mark:
            gap = (float(t.price) - mark) / mark
            if abs(gap) > OFF_MARKET:
                flags.append(f"off-market {gap:+.1%} vs mark")
        table.rows.append(
            TradeRow(
                at=t.ts.to_pydatetime(),
                account=account,
                side="Buy" if as_buyer else "Sell",
                symbol=str(t.symbol),
                price=float(t.price),
                qty=float(t.qty),
                counterparty=other,
                mark_price=mark,
                flags=tuple(flags),
                within=other in ours,
            )
        )
    return table


def _with_marks(frame: pd.DataFrame, marks: pd.DataFrame | None) -> pd.DataFrame:
    if marks is None or not len(marks):
        return frame.assign(mark_price=float("nan"))
    at = pd.to_datetime(marks["ts"], utc=True).astype("datetime64[ns, UTC]")
    marks = marks.assign(ts=at).sort_values("ts")
    merged = pd.merge_asof(
        frame.assign(symbol=frame["symbol"].astype(str)),
        marks[["symbol", "ts", "mark_price"]].assign(symbol=marks["symbol"].astype(str)),
        on="ts",
        by="symbol",
        direction="backward",
        tolerance=MARK_TOLERANCE,
    )
    return merged
