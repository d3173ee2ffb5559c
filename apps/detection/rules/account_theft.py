"""Account takeover: a stranger's login, then the funds leave to somewhere new."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..context import Context
from .base import Finding, Rule, feed_window, score

OUT_KINDS = ("withdrawal", "internal_out")


def takeover_logins(ctx: Context, params: dict[str, Any]) -> pd.DataFrame:
    """Logins in the window from a device AND an IP the account never used before, on an
    account with an older history (a new customer's first login is not a takeover)."""
    logins = ctx.feed.logins
    if logins is None or logins.empty:
        return pd.DataFrame(columns=["account_id", "ts", "ip", "device_id"])
    frame = logins.sort_values("ts", kind="stable")
    new_device = ~frame.duplicated(["account_id", "device_id"])
    new_ip = ~frame.duplicated(["account_id", "ip"])
    first_seen = frame.groupby("account_id")["ts"].transform("min")
    history = pd.Timedelta(days=params["min_history_days"])
    start, end = feed_window(ctx)
    suspicious = new_device & new_ip & (frame["ts"] - first_seen >= history)
    return frame[suspicious & (frame["ts"] >= start) & (frame["ts"] < end)]


def run(ctx: Context, params: dict[str, Any]) -> list[Finding]:
    transfers = ctx.feed.transfers
    if transfers is None or transfers.empty:
        return []
    logins = takeover_logins(ctx, params)
    dest = transfers["address"].fillna(transfers["counterparty_account_id"]).astype("str")
    moves = transfers.assign(dest=dest)
    outs = moves[moves["kind"].isin(OUT_KINDS)]
    outs = outs[outs["account_id"].isin(set(logins["account_id"]))]
    after = pd.Timedelta(hours=params["max_hours_after_login"])
    start, end = feed_window(ctx)
    findings = []
    for login in logins.itertuples():
        account = str(login.account_id)
        mine = moves[moves["account_id"] == account]
        known = set(mine.loc[mine["ts"] < login.ts, "dest"])
        drained = outs[
            (outs["account_id"] == account)
            & (outs["ts"] >= login.ts)
            & (outs["ts"] <= login.ts + after)
            & ~outs["dest"].isin(known)
        ]
        if drained.empty:
            continue
        accounts, legs = [account], [drained]
        for hop in drained[drained["kind"] == "internal_out"].itertuples():
            # Funds routed through another account: follow them one hop.
            onward = outs_of(moves, str(hop.counterparty_account_id), hop.ts, after)
            accounts.append(str(hop.counterparty_account_id))
            legs.append(onward)
        amount = float(drained["amount"].sum())
        if amount < params["min_amount"]:
            continue
        every = pd.concat(legs)
        findings.append(
            Finding(
                subject=account,
                accounts=list(dict.fromkeys(accounts)),
                symbol=None,
                window_start=start,
                window_end=end,
                score=score(amount / params["min_amount"], base=55.0),
                summary=f"{account} logged in from a new device and IP ({login.ip}) and "
                f"{amount:,.0f} USDT left within {params['max_hours_after_login']}h to new "
                "destinations",
                metrics={
                    "amount": amount,
                    "transfers": len(every),
                    "minutes_to_first_move": float(
                        (drained["ts"].min() - login.ts).total_seconds() / 60
                    ),
                },
                evidence={
                    "transfer_ids": [str(v) for v in every["transfer_id"][:200]],
                    "login": {
                        "ts": login.ts.isoformat(),
                        "ip": str(login.ip),
                        "device_id": str(login.device_id),
                    },
                },
            )
        )
    return _first_per_account(findings)


def outs_of(
    moves: pd.DataFrame, account: str, since: pd.Timestamp, span: pd.Timedelta
) -> pd.DataFrame:
    mine = moves[(moves["account_id"] == account) & moves["kind"].isin(OUT_KINDS)]
    return mine[(mine["ts"] >= since) & (mine["ts"] <= since + span)]


def _first_per_account(findings: list[Finding]) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for finding in findings:
        seen.setdefault(finding.subject, finding)
    return list(seen.values())


RULE = Rule(
    code="account_theft",
    category="account_theft",
    description=(
        "A login from a device and an IP the account has never used, followed within hours "
        "by withdrawals or internal transfers to destinations it has never used, is the "
        "signature of a taken-over account being emptied, possibly through linked mule "
        "accounts."
    ),
    default_params={"min_amount": 5_000.0, "max_hours_after_login": 6, "min_history_days": 7},
    run=run,
    per_symbol=False,
)
