"""Account takeover, the traded-away path: after a takeover login the balance is handed to
one counterparty by trading with it at off-market prices, with no outflow from the victim
at all (the logins and the withdrawal path are in takeover.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...context import Context, epoch_ms
from ..base import Finding, capped, feed_window
from ..views import among
from ..views import trades as trades_view
from .takeover import _after_login, _equity_before, _finding, _registered


def _traded_away(
    ctx: Context, params: dict[str, Any], logins: pd.DataFrame, moves: pd.DataFrame
) -> list[Finding]:
    """The balance handed to one counterparty by trading with it at off-market prices
    after a takeover login: no outflow from the victim at all."""
    trades = ctx.feed.trades
    if trades is None or trades.empty or logins.empty:
        return []
    suspects = sorted(set(logins["account_id"]))
    # The suspects' fills found on the trades' account codes, and only the columns read
    # taken from them: no string compare, no copy of every column, over 1.5M trades.
    coded = trades_view(ctx)
    wanted = np.flatnonzero(pd.Index(ctx.accounts).isin(suspects))
    legs = []
    for side, other, sign in (("buyer_id", "seller_id", 1.0), ("seller_id", "buyer_id", -1.0)):
        mask = among(coded[side.removesuffix("_id")].to_numpy(), wanted)
        # A venue's market maker is nobody's mule: its fills off the mark are its quotes
        # being hit in a fast market, not a balance handed to the thief.
        mask &= ~ctx.flag("market_maker", coded[other.removesuffix("_id")].to_numpy())
        if not mask.any():
            continue
        rows = trades[[side, other, "ts", "symbol", "price", "qty", "trade_id"]].iloc[
            np.flatnonzero(mask)
        ]
        legs.append(
            pd.DataFrame(
                {
                    "account_id": rows[side].astype(str).to_numpy(),
                    "other": rows[other].astype(str).to_numpy(),
                    "ts": rows["ts"].array,
                    "symbol": rows["symbol"].astype(str).to_numpy(),
                    "symbol_code": ctx.symbol_codes(rows["symbol"]),
                    "price": rows["price"].to_numpy(),
                    "qty": rows["qty"].to_numpy(),
                    "trade_id": rows["trade_id"].astype(str).to_numpy(),
                    "sign": sign,  # a buyer loses when the price is above the mark
                }
            )
        )
    if not legs:
        return []
    fills = pd.concat(legs, ignore_index=True)
    mark = ctx.mark_at(fills["symbol_code"].to_numpy(), epoch_ms(fills["ts"]))
    size = ctx.limits("contract_size")[fills["symbol_code"].to_numpy()]
    size = np.where(np.isfinite(size), size, 1.0)
    off = fills["sign"].to_numpy() * (fills["price"].to_numpy() / mark - 1.0)
    fills["lost"] = off * mark * fills["qty"].to_numpy() * size
    fills = fills[np.nan_to_num(off) >= params["min_off_market"]]
    fills = _after_login(fills, logins, params["max_hours_draining"])
    if fills.empty:
        return []
    start, end = feed_window(ctx)
    findings = []
    handed = (
        fills.groupby(["account_id", "login_ts", "other", "remembered", "other_device"])["lost"]
        .sum()
        .reset_index()
    )
    others = pd.Series(handed["other"].unique())
    opened = _registered(ctx, others)
    fresh = dict(
        zip(
            others,
            (pd.Timestamp(start) - opened <= pd.Timedelta(days=params["min_history_days"]))
            .fillna(False)
            .to_numpy(),
            strict=True,
        )
    )
    for row in (
        handed.sort_values("lost", ascending=False).drop_duplicates("account_id").itertuples()
    ):
        account, login_ts, mule = str(row.account_id), row.login_ts, str(row.other)
        if ctx.linkage.account_cluster.get(account, account) == ctx.linkage.account_cluster.get(
            mule, mule
        ):
            # Value handed to an account under the same control is the owner moving it
            # (abnormal_pnl names both sides), not a stranger draining it.
            continue
        if not (row.remembered and row.other_device) and not fresh[mule]:
            # Without the desk's memory of the victim (or of any device it logged in
            # from, so "new device" says nothing), only a receiving account opened in
            # the days before (a mule made for it) says stranger; two old accounts trading
            # off-market are abnormal_pnl's to judge.
            continue
        amount = float(row.lost)
        equity = max(_equity_before(ctx, moves, account, login_ts), amount)
        if amount < params["min_amount"] or amount / equity < params["min_share_of_equity"]:
            continue
        mine = fills[(fills["account_id"] == account) & (fills["other"] == mule)]
        symbols = sorted(set(mine["symbol"]))
        login = mine.iloc[0]
        findings.append(
            _finding(
                ctx,
                account=account,
                accounts=[account, mule],
                login=login,
                amount=amount,
                equity=equity,
                params=params,
                window=(start, end),
                how=f"lost {amount:,.0f} USDT to {mule} in {len(mine)} trades at least "
                f"{params['min_off_market']:.0%} off the mark",
                extra={"trades": len(mine), "symbols": symbols},
                evidence={"trade_ids": capped(mine["trade_id"])},
                symbol=symbols[0] if len(symbols) == 1 else None,
            )
        )
    return findings
