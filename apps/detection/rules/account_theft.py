"""Account takeover: a stranger's login, then the account is emptied.

"A stranger" is judged against everything the desk has seen of the account: earlier in
the window and, through ``ctx.memory``, in every window it ran before. Without that
memory a one-day window cannot tell a new device from an old one, so the rule only
judges logins of accounts the window itself shows a history for.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..context import Context, epoch_ms
from .base import Finding, Rule, capped, feed_window, score

OUT_KINDS = ("withdrawal", "internal_out")
IN_KINDS = ("deposit", "internal_in")
LOGIN_COLUMNS = ["account_id", "ts", "ip", "device_id", "new_device", "new_ip", "remembered"]


def takeover_logins(ctx: Context, params: dict[str, Any]) -> pd.DataFrame:
    """Logins in the window from a device the account never used before (in the window or
    in the desk's memory), from a new IP or not, on an account with a past: the desk
    remembers it (a login, a deposit, a withdrawal), or the window holds at least
    ``min_history_days`` of its logins (a new customer's first login is not a takeover).
    A new IP on a known device is the owner on another network (travel, a new carrier),
    not a stranger."""
    logins = ctx.feed.logins
    if logins is None or logins.empty:
        return pd.DataFrame(columns=LOGIN_COLUMNS)
    frame = logins.sort_values("ts", kind="stable").reset_index(drop=True)
    frame["account_id"] = frame["account_id"].astype(str)
    memory = ctx.memory
    new_device = ~frame.duplicated(["account_id", "device_id"]) & ~memory.known(
        "device", frame["account_id"], frame["device_id"]
    )
    new_ip = ~frame.duplicated(["account_id", "ip"]) & ~memory.known(
        "ip", frame["account_id"], frame["ip"]
    )
    first_seen = frame.groupby("account_id")["ts"].transform("min")
    history = pd.Timedelta(days=params["min_history_days"])
    remembered = memory.remembers(frame["account_id"]) | (frame["ts"] - first_seen >= history)
    # An account registered long before that a desk with a memory (it has watched earlier
    # windows) never saw log in — a quiet customer: its logins are judged too, but only by
    # what follows that no owner does (the balance traded away to one stranger:
    # _traded_away). A desk without any memory cannot call a device new at all.
    established = frame["ts"] - _registered(ctx, frame["account_id"]) >= history
    past = remembered | (established & (len(memory.profiles) > 0))
    start, end = feed_window(ctx)
    wanted = new_device & past & (frame["ts"] >= start) & (frame["ts"] < end)
    found = frame.assign(new_device=new_device, new_ip=new_ip, remembered=remembered)[wanted]
    return found[LOGIN_COLUMNS].reset_index(drop=True)


def _registered(ctx: Context, accounts: pd.Series) -> pd.Series:
    """When each account was opened (NaT when the accounts table does not say)."""
    table = ctx.feed.accounts
    if table is None or "registered_at" not in table:
        return pd.Series(pd.NaT, index=accounts.index, dtype="datetime64[ms, UTC]")
    opened = pd.Series(
        table["registered_at"].to_numpy(), index=table["account_id"].astype(str).to_numpy()
    )
    return pd.Series(accounts.map(opened).to_numpy(), index=accounts.index)


def _after_login(rows: pd.DataFrame, logins: pd.DataFrame, hours: float) -> pd.DataFrame:
    """Each row joined to its account's latest takeover login before it, within ``hours``."""
    if rows.empty or logins.empty:
        return rows.iloc[0:0].assign(login_ts=pd.Series(dtype="datetime64[ms, UTC]"))
    joined = pd.merge_asof(
        rows.sort_values("ts"),
        logins.rename(columns={"ts": "login_ts"}).sort_values("login_ts"),
        left_on="ts",
        right_on="login_ts",
        by="account_id",
        direction="backward",
        tolerance=pd.Timedelta(hours=hours),
    )
    return joined[joined["login_ts"].notna()]


def _moves(ctx: Context) -> pd.DataFrame:
    transfers = ctx.feed.transfers
    assert transfers is not None
    dest = transfers["address"].astype("object").fillna(transfers["counterparty_account_id"])
    moves = transfers.assign(account_id=transfers["account_id"].astype(str), dest=dest.astype(str))
    # When the account first used each destination in the window (either direction).
    moves["first_use"] = moves.groupby(["account_id", "dest"])["ts"].transform("min")
    return moves


def _equity_before(ctx: Context, moves: pd.DataFrame, account: str, moment: Any) -> float:
    """What the account held before the login, as far as the desk can tell: its usual
    funds in the memory, or what came in earlier in the window, or its largest position
    snapshot (margin plus unrealised PnL) before the login."""
    seen = [float(ctx.memory.usual_equity([account])[0])]
    mine = moves[(moves["account_id"] == account) & (moves["ts"] < moment)]
    seen.append(float(mine.loc[mine["kind"].isin(IN_KINDS), "amount"].sum()))
    positions = ctx.feed.positions
    if positions is not None and len(positions):
        held = positions[(positions["account_id"].astype(str) == account)]
        held = held[held["ts"] < moment]
        if len(held):
            snapshot = (held["margin"] + held["unrealized_pnl"]).groupby(held["ts"]).sum()
            seen.append(float(snapshot.max()))
    return max(seen)


def _withdrawn(
    ctx: Context, params: dict[str, Any], logins: pd.DataFrame, moves: pd.DataFrame
) -> list[Finding]:
    """Funds leaving, after a takeover login, to destinations the account never used."""
    # Only where the desk knows the account's past: a quiet owner's own wallet is "never
    # used" to a desk that never saw the account move funds.
    logins = logins[logins["remembered"]]
    outs = moves[moves["kind"].isin(OUT_KINDS) & moves["account_id"].isin(set(logins.account_id))]
    outs = _after_login(outs, logins, params["max_hours_after_login"])
    if outs.empty:
        return []
    withdrawal = (outs["kind"] == "withdrawal").to_numpy()
    remembered = np.where(
        withdrawal,
        ctx.memory.known("address", outs["account_id"], outs["dest"]),
        ctx.memory.known("counterparty", outs["account_id"], outs["dest"]),
    )
    drained = outs[~remembered & (outs["first_use"] >= outs["login_ts"]).to_numpy()]
    span = pd.Timedelta(hours=params["max_hours_after_login"])
    start, end = feed_window(ctx)
    findings = []
    for (account, login_ts), legs in drained.groupby(["account_id", "login_ts"], sort=True):
        if not legs["new_ip"].iloc[0] and len(legs) < params["min_moves_known_ip"]:
            # A new device on the account's own network is mostly the owner's new phone;
            # a thief there splits the balance into several moves (under withdrawal limits).
            continue
        amount = float(legs["amount"].sum())
        equity = max(_equity_before(ctx, moves, str(account), login_ts), amount)
        share = amount / equity
        if amount < params["min_amount"] or share < params["min_share_of_equity"]:
            continue
        accounts, every = [str(account)], [legs]
        for hop in legs[legs["kind"] == "internal_out"].itertuples():
            # Funds routed through another account: follow them one hop.
            mule = str(hop.dest)
            onward = moves[
                (moves["account_id"] == mule)
                & moves["kind"].isin(OUT_KINDS)
                & (moves["ts"] >= hop.ts)
                & (moves["ts"] <= hop.ts + span)
            ]
            accounts.append(mule)
            every.append(onward)
        login = legs.iloc[0]
        findings.append(
            _finding(
                ctx,
                account=str(account),
                accounts=accounts,
                login=login,
                amount=amount,
                equity=equity,
                params=params,
                window=(start, end),
                how=f"{amount:,.0f} USDT left within {params['max_hours_after_login']}h to "
                f"{legs['dest'].nunique()} destination(s) it never used",
                extra={
                    "transfers": int(sum(len(f) for f in every)),
                    "minutes_to_first_move": round(
                        (legs["ts"].min() - login_ts).total_seconds() / 60, 1
                    ),
                },
                evidence={"transfer_ids": capped(pd.concat(every)["transfer_id"])},
            )
        )
    return findings


def _among(column: pd.Series, values: list[str]) -> np.ndarray:
    """Per row, whether the id is one of ``values``: on the Arrow strings themselves when
    the column holds them (no Python string per row: 1.5M trades cost seconds that way)."""
    try:
        ids = pa.array(column.array)
    except (TypeError, pa.ArrowInvalid):
        ids = None
    if ids is None or not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
        ids = pa.array(column.astype("str").to_numpy(dtype=object), pa.string())
    hit = pc.is_in(ids, value_set=pa.array(values, ids.type))
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


def _traded_away(
    ctx: Context, params: dict[str, Any], logins: pd.DataFrame, moves: pd.DataFrame
) -> list[Finding]:
    """The balance handed to one counterparty by trading with it at off-market prices
    after a takeover login: no outflow from the victim at all."""
    trades = ctx.feed.trades
    if trades is None or trades.empty or logins.empty:
        return []
    suspects = sorted(set(logins["account_id"]))
    legs = []
    for side, other, sign in (("buyer_id", "seller_id", 1.0), ("seller_id", "buyer_id", -1.0)):
        mask = _among(trades[side], suspects)
        if not mask.any():
            continue
        rows = trades[mask]
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
        fills.groupby(["account_id", "login_ts", "other", "remembered"])["lost"].sum().reset_index()
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
        if not row.remembered and not fresh[mule]:
            # Without the desk's memory of the victim, only a receiving account opened in
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


def _finding(
    ctx: Context,
    *,
    account: str,
    accounts: list[str],
    login: Any,
    amount: float,
    equity: float,
    params: dict[str, Any],
    window: tuple[pd.Timestamp, pd.Timestamp],
    how: str,
    extra: dict[str, Any],
    evidence: dict[str, Any],
    symbol: str | None = None,
) -> Finding:
    new = [w for w, flag in (("device", login.new_device), ("IP", login.new_ip)) if flag]
    share = amount / equity if equity else 1.0
    return Finding(
        subject=account,
        accounts=list(dict.fromkeys(accounts)),
        symbol=symbol,
        window_start=window[0],
        window_end=window[1],
        score=score(amount / params["min_amount"], base=55.0 if len(new) == 2 else 50.0),
        summary=f"{account} logged in from a new {' and '.join(new)} ({login.ip}) and {how} "
        + (
            f"({share:.0%} of the ~{equity:,.0f} USDT the desk saw it hold)"
            if share < 1
            else "(more than the desk ever saw it hold)"
        ),
        metrics={
            "amount": round(amount, 2),
            "share_of_equity": round(share, 3),
            "equity_estimate": round(equity, 2),
            "new_device": bool(login.new_device),
            "new_ip": bool(login.new_ip),
            "desk_remembers_account": bool(ctx.memory.remembers([account])[0]),
            **extra,
        },
        evidence={
            **evidence,
            "login": {
                "ts": pd.Timestamp(login.login_ts).isoformat(),
                "ip": str(login.ip),
                "device_id": str(login.device_id),
            },
        },
    )


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    transfers = ctx.feed.transfers
    if transfers is None:
        return []
    logins = takeover_logins(ctx, params)
    if logins.empty:
        return []
    moves = _moves(ctx)
    findings = _withdrawn(ctx, params, logins, moves)
    found = {f.subject for f in findings}
    findings += [f for f in _traded_away(ctx, params, logins, moves) if f.subject not in found]
    return _first_per_account(findings)


def _first_per_account(findings: list[Finding]) -> list[Finding]:
    """One alert per theft: the first takeover of an account, and none for a mule already
    named in another account's alert (the thief logs into both)."""
    seen: dict[str, Finding] = {}
    for finding in findings:
        seen.setdefault(finding.subject, finding)
    mules = {account for finding in seen.values() for account in finding.accounts[1:]}
    return [finding for subject, finding in seen.items() if subject not in mules]


RULE = Rule(
    code="account_theft",
    category="account_theft",
    description=(
        "A login from a device the account never used (from a new IP or not: a new IP on a "
        "known device is the owner travelling) — judged against the "
        "desk's memory of every earlier window, not only this one — followed within "
        "`max_hours_after_login` by withdrawals or internal transfers to destinations it "
        "never used (following a mule one hop), or, within `max_hours_draining`, by trades "
        "at least `min_off_market` (share of the mark price) against the account's interest "
        "that hand its balance to one counterparty. Relative: what leaves must be at least "
        "`min_share_of_equity` of what the account held (the most funds the desk saw on it: "
        "its memory, earlier inflows, position snapshots), and at least `min_amount` USDT so "
        "a small friend transfer is not a theft. A new device on a known IP is weaker "
        "evidence (the owner's new phone at home): there the funds must leave in at least "
        "`min_moves_known_ip` transfers, the way a thief splits a balance under withdrawal "
        "limits. Without a memory of the account, the window itself must hold "
        "`min_history_days` of its logins."
    ),
    default_params={
        "min_amount": 1_000.0,
        "min_share_of_equity": 0.5,
        "max_hours_after_login": 6,
        "max_hours_draining": 12,
        "min_off_market": 0.02,
        "min_history_days": 7,
        "min_moves_known_ip": 2,
    },
    run=run,
    per_symbol=False,
)
