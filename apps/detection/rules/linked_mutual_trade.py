"""Mutual trading between accounts under one actual controller.

Two ways to be one controller here: the accounts are in one cluster (apps.detection.
linking), or they are a pair outside any one cluster that shares an identifier nobody else
uses (an IP, a device or a wallet: in this window and in the desk's memory of earlier ones)
and trades with each other at least ``min_trades`` times in a contract-day. Linking does
not tie such a pair: one shared IP is one signal (a home router, a carrier NAT), and fills
with each other are no profile item (everybody trades with the market makers). Together
they are two: an IP used by the two accounts alone, and the two meeting each other again
and again in an order book of thousands. Read here only, so no cluster changes and no
other rule sees the pair as linked.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..context import Context
from ..link_evidence import identifier_uses
from .base import Finding, Rule, day_window, explain, notional, urgency
from .fair_price import ordinary_deviation
from .linked_trades import internal_trades, participants, unlinked_pair_trades
from .views import group_rows, trade_ids

# Identifiers whose users the window and the memory both count (linking's shared kinds).
SHARED_KINDS = ("ip", "device", "address")
KIND_NAMES = {"ip": "IP", "device": "device", "address": "wallet"}


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    t = _at_market(ctx, internal_trades(ctx, include_self=False), params)
    findings = []
    for (cluster, symbol, _), rows in group_rows(t[["cluster", "symbol", "day"]]).items():
        count = len(rows)
        if count < params["min_trades"]:
            continue
        part = t.iloc[rows]
        who = participants(ctx, part)
        findings.append(
            _finding(
                ctx,
                part,
                params,
                subject=str(cluster),
                rows=[explain("linked accounts trading", len(who), "accounts")],
                summary=f"{len(who)} linked accounts ({', '.join(who[:4])}) traded with "
                f"each other {count} times in {ctx.symbols[symbol]}",
                evidence={"cluster": str(cluster)},
            )
        )
    return findings + _exclusive_pairs(ctx, params)


def _at_market(ctx: Context, t: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """Off-market prints belong to matched_trade_price; here the trades look ordinary:
    nearer the mark than off_market, or than noise_multiple x the contract's ordinary
    distance that day (a thin contract's fair trades stray 1-2 % from its mark)."""
    noise = ordinary_deviation(ctx).reindex(pd.MultiIndex.from_arrays([t["symbol"], t["day"]]))
    floor = np.maximum(params["off_market"], params["noise_multiple"] * np.nan_to_num(noise))
    return t[np.abs(t["deviation"].fillna(0.0).to_numpy()) < floor]


def _exclusive_pairs(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    """Pairs in no one cluster that trade with each other at least ``min_trades`` times
    in a contract-day at market prices and share an identifier used by them alone."""
    t = unlinked_pair_trades(ctx, int(params["min_trades"]))
    if t.empty:
        return []
    t = _at_market(ctx, t, params)
    groups = {
        key: rows
        for key, rows in group_rows(t[["low", "high", "symbol", "day"]]).items()
        if len(rows) >= params["min_trades"]
    }
    pairs = {_ids(ctx, low, high) for low, high, _, _ in groups}
    only_theirs = exclusive_identifiers(ctx, pairs)
    findings = []
    for (low, high, symbol, _), rows in groups.items():
        a, b = _ids(ctx, low, high)
        shared = only_theirs.get((a, b))
        if not shared:
            continue
        part, sym = t.iloc[rows], ctx.symbols[symbol]
        named = ", ".join(f"{KIND_NAMES[kind]} {value}" for kind, value in shared[:3])
        findings.append(
            _finding(
                ctx,
                part,
                params,
                subject=f"{a}+{b}",
                between="two",
                rows=[
                    explain(
                        "identifiers the two use and no other account does (this window and "
                        "the desk's memory)",
                        len(shared),
                        "identifiers",
                        1,
                    )
                ],
                summary=f"{a} and {b}, not linked but the only users of {named}, traded "
                f"with each other {len(part)} times in {sym}",
                evidence={
                    "cluster": None,
                    "used_by_these_two_alone": [
                        {"kind": kind, "value": value, "accounts": [a, b]} for kind, value in shared
                    ],
                },
            )
        )
    return findings


def _ids(ctx: Context, low: int, high: int) -> tuple[str, str]:
    """The pair's account ids in id order, as linking's rows name a pair (codes follow
    the accounts table's order, not the ids')."""
    first, second = sorted((str(ctx.accounts[low]), str(ctx.accounts[high])))
    return first, second


def exclusive_identifiers(
    ctx: Context, pairs: set[tuple[str, str]]
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Per pair (account ids, a < b): the identifiers it shares (linking's evidence rows)
    that no other account used, in the window or as far as the desk remembers: every
    account the window and the memory show using it is one of the two, and the memory's
    count of its users (``AccountMemory.widths``) is no larger than the two it shows."""
    links = ctx.linkage.links
    if not pairs or links.empty:
        return {}
    wanted = pd.DataFrame(sorted(pairs), columns=["account_a", "account_b"])
    rows = links[links["kind"].isin(SHARED_KINDS)][["account_a", "account_b", "kind", "values"]]
    rows = rows.merge(wanted, on=["account_a", "account_b"])
    if rows.empty:
        return {}
    rows = rows.assign(value=rows["values"].map(list)).explode("value").drop(columns="values")
    rows["value"] = rows["value"].astype("str")
    users = _users(ctx, rows[["kind", "value"]].drop_duplicates())
    per_item = users.groupby(["kind", "value"])["account_id"].agg(set)
    counted = ctx.memory.widths
    remembered = (
        counted.assign(value=counted["value"].astype("str")).set_index(["kind", "value"])[
            "accounts"
        ]
        if len(counted)
        else pd.Series(dtype="int64")
    )
    recalled = users[users["remembered"]].groupby(["kind", "value"])["account_id"].nunique()
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for a, b, kind, value in rows[["account_a", "account_b", "kind", "value"]].itertuples(
        index=False
    ):
        item = (kind, value)
        if not per_item.get(item, set()) <= {a, b}:
            continue
        if int(remembered.get(item, 0)) > int(recalled.get(item, 0)):
            continue  # the desk saw accounts beyond these two use it before
        found.setdefault((a, b), []).append(item)
    return found


def _users(ctx: Context, items: pd.DataFrame) -> pd.DataFrame:
    """kind, value, account_id, remembered: who used each of ``items`` (kind, value) in
    the window, and who the desk remembers using it before (among the window's accounts,
    as ``AccountMemory.identifiers`` holds them)."""
    logins, transfers = ctx.feed.logins, ctx.feed.transfers
    values = {kind: set(part["value"]) for kind, part in items.groupby("kind")}
    if logins is not None:
        logins = logins[
            logins["ip"].astype("str").isin(values.get("ip", set()))
            | logins["device_id"].astype("str").isin(values.get("device", set()))
        ]
    if transfers is not None:
        transfers = transfers[transfers["address"].astype("str").isin(values.get("address", set()))]
    here = identifier_uses(logins, transfers)[["kind", "value", "account_id"]]
    before = ctx.memory.identifiers[["kind", "value", "account_id"]]
    # Only the few wanted values turned into strings: the memory of a venue is long.
    before = before[before["value"].astype("str").isin(set(items["value"]))]
    parts = [
        here.astype("str").assign(remembered=False),
        before.astype("str").assign(remembered=True),
    ]
    users = pd.concat(parts, ignore_index=True)
    return users.merge(items.astype("str"), on=["kind", "value"])


def _finding(
    ctx: Context,
    part: pd.DataFrame,
    params: dict[str, Any],
    *,
    subject: str,
    between: str = "linked",
    rows: list[dict[str, Any]],
    summary: str,
    evidence: dict[str, Any],
) -> Finding:
    count = len(part)
    who, sym = participants(ctx, part), ctx.symbols[int(part["symbol"].iloc[0])]
    start, end = day_window(int(part["day"].iloc[0]))
    volume = notional(ctx, part)
    judged = urgency(past=count / params["min_trades"], notional=volume, accounts=len(who))
    return Finding(
        subject=subject,
        accounts=who,
        symbol=sym,
        window_start=start,
        window_end=end,
        score=judged.score,
        severity=judged.severity,
        explain=[
            explain(
                f"trades between the {between} accounts that day",
                count,
                "trades",
                params["min_trades"],
            ),
            explain("notional of those trades", volume, "USDT"),
            *rows,
        ],
        summary=summary,
        metrics={"mutual_trades": count, "accounts": len(who), "notional": volume},
        evidence={"trade_ids": trade_ids(ctx, part.index), **evidence},
    )


RULE = Rule(
    code="linked_mutual_trade",
    category="linked_mutual_trade",
    description=(
        "Accounts of one controller that act as each other's counterparty move money and "
        "print volume without market risk: a wash trade spread over accounts. The same "
        "5-a-day count as self-trading applies once the accounts are linked, or when two "
        "accounts that trade with each other share an identifier nobody else uses."
    ),
    default_params={"min_trades": 5, "off_market": 0.005, "noise_multiple": 3},
    run=run,
    # Fills inside a ramping pair are part of the ramp; wash volume of a bonus farm is the
    # promotion abuse the platform names (wash volume to meet campaign targets).
    covered_by=("matched_trade_price", "promo_abuse"),
)
