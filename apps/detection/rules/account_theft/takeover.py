"""Account takeover, the logins and the withdrawal path: the stranger's logins, the funds
that leave by withdrawal or internal transfer after one (following a mule one hop), what
the account held before, and the finding both paths write (the traded-away path is in
traded_away.py; the rule, its parameters and its order in __init__.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...context import Context, epoch_ms
from ..base import Finding, capped, feed_window, score
from ..views import among, cached, orders
from .rows import RowsPer

OUT_KINDS = ("withdrawal", "internal_out")
IN_KINDS = ("deposit", "internal_in")
# Accounts funded at once, by internal transfer, that mark an owner distributing its own
# balance rather than a thief (every planted theft of the independent tuning tapes has one
# destination).
MIN_FUNDED = 3
LOGIN_COLUMNS = [
    "account_id", "ts", "ip", "device_id", "new_device", "new_ip", "remembered", "other_device",
    "fresh_owner",
]  # fmt: skip


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
    # A device is only "new" beside one the desk knows: in its memory, or an earlier login
    # of the window. To a desk that never saw the account log in, every device is new.
    ids = memory.identifiers
    with_device = set(ids.loc[ids["kind"] == "device", "account_id"].astype(str))
    other_device = frame["account_id"].isin(with_device) | (frame["ts"] > first_seen)
    found = frame.assign(
        new_device=new_device, new_ip=new_ip, remembered=remembered, other_device=other_device
    )[wanted]
    found = found.assign(fresh_owner=_fresh_owners(ctx, frame, found, history))
    return found[LOGIN_COLUMNS].reset_index(drop=True)


def _fresh_owners(
    ctx: Context, frame: pd.DataFrame, found: pd.DataFrame, history: pd.Timedelta
) -> np.ndarray:
    """Per login of ``found``: another account on the same device that was opened less
    than ``history`` before the login ("" when none). A thief who signs into a victim
    from the phone that runs the fresh account the money goes to shows the device is a
    stranger's even when the desk never saw the victim's own."""
    owners = np.full(len(found), "", dtype=object)
    if found.empty:
        return owners
    on = frame[frame["device_id"].isin(set(found["device_id"]))]
    opened = _registered(ctx, on["account_id"])
    young = on[(on["ts"] - opened < history).fillna(False).to_numpy()]
    by_device = young.groupby("device_id", observed=True)["account_id"].agg(
        lambda s: sorted(set(s))
    )
    for i, (account, device) in enumerate(
        zip(found["account_id"], found["device_id"], strict=True)
    ):
        others = [other for other in by_device.get(device, []) if other != account]
        if others:
            owners[i] = others[0]
    return owners


def _registered(ctx: Context, accounts: pd.Series) -> pd.Series:
    """When each account was opened (NaT when the accounts table does not say)."""
    table = ctx.feed.accounts
    if table is None or "registered_at" not in table:
        return pd.Series(pd.NaT, index=accounts.index, dtype="datetime64[ms, UTC]")
    # A hashed lookup on the Arrow strings and one take: mapping 300k ids through a
    # Series costs 10x more, a pandas Index of them 3x.
    found = pc.index_in(_arrow(accounts), value_set=_arrow(table["account_id"]))
    at = np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    return pd.Series(table["registered_at"].array.take(at, allow_fill=True), index=accounts.index)


def _arrow(ids: pd.Series) -> pa.Array:
    """The ids as Arrow strings (no copy when the column holds them already)."""
    try:
        values = pa.array(ids.array)
    except (TypeError, pa.ArrowInvalid):
        values = None
    if values is None or not pa.types.is_string(values.type):
        values = pa.array(ids.astype("str").to_numpy(dtype=object), pa.string())
    return values


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
    return transfers.assign(account_id=transfers["account_id"].astype(str), dest=dest.astype(str))


def _snapshots(ctx: Context, account: str, moment: Any) -> float | None:
    """The account's largest position snapshot (margin plus unrealised PnL over its
    contracts) before ``moment``, None without one. The snapshots are grouped by account
    once per window: the rule asks for every suspect, and a string compare over every
    snapshot each time is slow."""
    rows, ts, value = cached(ctx, "theft_positions", _position_index)
    mine = rows.get(account)
    if mine is None:
        return None
    before = mine[ts[mine] < epoch_ms(pd.Series([moment]))[0]]
    if not len(before):
        return None
    times, at = np.unique(ts[before], return_inverse=True)
    return float(np.bincount(at, weights=value[before], minlength=len(times)).max())


def _position_index(ctx: Context) -> tuple[RowsPer, np.ndarray, np.ndarray]:
    """Per account its rows of the positions table; every row's time (ms) and value
    (margin plus unrealised PnL)."""
    positions = ctx.feed.positions
    if positions is None or not len(positions):
        return RowsPer(np.zeros(0, dtype=object)), np.zeros(0, np.int64), np.zeros(0)
    accounts = positions["account_id"].astype(str).to_numpy()
    rows = RowsPer(accounts)
    value = (positions["margin"] + positions["unrealized_pnl"]).to_numpy(dtype=float)
    return rows, epoch_ms(positions["ts"]), value


def _inflows(moves: pd.DataFrame) -> tuple[RowsPer, np.ndarray, np.ndarray]:
    """The deposits and internal transfers in: per account its rows, every row's time
    (ms) and amount. Read for each suspect: a compare of every transfer each time is slow."""
    ins = moves[moves["kind"].isin(IN_KINDS)]
    amount = ins["amount"].to_numpy(dtype=float)
    return RowsPer(ins["account_id"].to_numpy()), epoch_ms(ins["ts"]), amount


def _equity_before(ctx: Context, moves: pd.DataFrame, account: str, moment: Any) -> float:
    """What the account held before the login, as far as the desk can tell: its usual
    funds in the memory, or what came in earlier in the window, or its largest position
    snapshot (margin plus unrealised PnL) before the login."""
    seen = [float(ctx.memory.usual_equity([account])[0])]
    rows, ts, amount = cached(ctx, "theft_inflows", lambda _: _inflows(moves))
    mine = rows.get(account)
    if mine is None:
        mine = np.zeros(0, dtype=np.int64)
    came = amount[mine[ts[mine] < epoch_ms(pd.Series([moment]))[0]]]
    # NaN counts nothing, as in a Series' sum.
    seen.append(float(np.nansum(came)))
    held = _snapshots(ctx, account, moment)
    if held is not None:
        seen.append(held)
    return max(seen)


def _withdrawn(
    ctx: Context, params: dict[str, Any], logins: pd.DataFrame, moves: pd.DataFrame
) -> list[Finding]:
    """Funds leaving, after a takeover login, to destinations the account never used."""
    # Only where the desk knows the account's past: a quiet owner's own wallet is "never
    # used" to a desk that never saw the account move funds — unless the window itself
    # shows the owner's device before the stranger's, or the device is a fresh account's
    # (then only money sent to that account counts: below).
    logins = logins[logins["remembered"] | logins["other_device"] | (logins["fresh_owner"] != "")]
    theirs = moves[moves["account_id"].isin(set(logins.account_id))]
    # When the account first used each destination in the window (either direction):
    # asked of the suspects' moves only, a grouping of a few rows, not of every transfer.
    first_use = theirs.groupby(["account_id", "dest"])["ts"].transform("min")
    outs = theirs.assign(first_use=first_use)[theirs["kind"].isin(OUT_KINDS)]
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
    traded = _order_times(ctx, set(drained["account_id"]))
    for (account, login_ts), legs in drained.groupby(["account_id", "login_ts"], sort=True):
        if not _suspicious(legs, traded.get(str(account)), params):
            continue
        login = legs.iloc[0]
        owner = str(login.fresh_owner)
        if not (login.remembered or login.other_device) and not (legs["dest"] == owner).any():
            continue
        amount = float(legs["amount"].sum())
        if amount < params["min_amount"]:
            continue  # a friend's few USDT: no need to know what the account held
        equity = max(_equity_before(ctx, moves, str(account), login_ts), amount)
        share = amount / equity
        if share < params["min_share_of_equity"]:
            continue
        accounts, every = [str(account)], [legs]
        hops = legs[legs["kind"] == "internal_out"]
        for dest, sent in zip(hops["dest"], hops["ts"], strict=True):
            # Funds routed through another account: follow them one hop.
            mule = str(dest)
            accounts.append(mule)
            every.append(_onward(ctx, moves, mule, sent, sent + span))
        if _funds_own_accounts(legs, every[1:]):
            continue
        on_mule_device = (
            f", on the device of {owner}, an account opened in the last "
            f"{params['min_history_days']} days"
            if owner
            else ""
        )
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
                f"{legs['dest'].nunique()} destination(s) it never used{on_mule_device}",
                extra={
                    "transfers": int(sum(len(f) for f in every)),
                    "device_of_new_account": owner or None,
                    "minutes_to_first_move": round(
                        (legs["ts"].min() - login_ts).total_seconds() / 60, 1
                    ),
                },
                evidence={"transfer_ids": capped(i for f in every for i in f["transfer_id"])},
            )
        )
    return findings


def _funds_own_accounts(legs: pd.DataFrame, onward: list[pd.DataFrame]) -> bool:
    """The balance spread over several accounts on the exchange (``MIN_FUNDED`` or more,
    by internal transfer only) that keep it: nothing leaves them onward. A thief takes the
    money to where it can be withdrawn, one wallet or one mule that pays out; a master
    account funding its sub-accounts is the owner (common control names that)."""
    internal = (legs["kind"] == "internal_out").all()
    spread = legs["dest"].nunique() >= MIN_FUNDED
    return bool(internal and spread and all(frame.empty for frame in onward))


def _onward(ctx: Context, moves: pd.DataFrame, mule: str, since: Any, until: Any) -> pd.DataFrame:
    """What left ``mule`` (withdrawals, internal transfers out) from ``since`` to ``until``:
    its rows found through the outflows grouped by account once per window."""
    rows, ts = cached(ctx, "theft_outflows", lambda _: _outflows(moves))
    mine = rows.get(mule)
    if mine is None:
        mine = np.zeros(0, dtype=np.int64)
    at = epoch_ms(pd.Series([since, until]))
    return moves.iloc[mine[(ts[mine] >= at[0]) & (ts[mine] <= at[1])]]


def _outflows(moves: pd.DataFrame) -> tuple[RowsPer, np.ndarray]:
    """Per account the positions in ``moves`` of its outflows; every move's time (ms)."""
    out = np.flatnonzero(moves["kind"].isin(OUT_KINDS).to_numpy())
    return RowsPer(moves["account_id"].to_numpy()[out], out), epoch_ms(moves["ts"])


def _order_times(ctx: Context, accounts: set[str]) -> dict[str, np.ndarray]:
    """When each of ``accounts`` placed orders in the window (ms), read once."""
    if not accounts:
        return {}
    o = orders(ctx)
    codes = np.flatnonzero(pd.Index(ctx.accounts).isin(list(accounts)))
    account = o["account"].to_numpy()
    mine = np.flatnonzero(among(account, codes))
    created = o["created"].to_numpy()[mine]
    return {
        str(ctx.accounts[code]): np.sort(created[rows])
        for code, rows in pd.Series(mine).groupby(account[mine]).indices.items()
    }


def _suspicious(legs: pd.DataFrame, traded: np.ndarray | None, params: dict[str, Any]) -> bool:
    """Whether the funds that left after a takeover login look taken, not moved by the
    owner. A new device on the account's own network is mostly the owner's new phone: a
    thief there splits the balance into several moves (under withdrawal limits). When the
    desk never saw another device of the account, a session that traded before the funds
    left is the owner's (a thief empties the account; the owner trades it)."""
    login = legs.iloc[0]
    split = len(legs) >= params["min_moves_known_ip"]
    if not login.new_ip and not split:
        return False
    if not login.other_device and traded is not None:
        start = epoch_ms(pd.Series([login.login_ts, legs["ts"].min()]))
        if np.searchsorted(traded, start[1]) > np.searchsorted(traded, start[0]):
            return False
    return True


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
