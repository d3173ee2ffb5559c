"""Account takeover: a stranger's login, then the account is emptied.

"A stranger" is judged against everything the desk has seen of the account: earlier in
the window and, through ``ctx.memory``, in every window it ran before. Without that
memory a one-day window cannot tell a new device from an old one, so the rule only
judges logins of accounts the window itself shows a history for.

The logins and the withdrawal path are in takeover.py, the traded-away path in
traded_away.py; this module runs both and registers the rule.
"""

from __future__ import annotations

from typing import Any

from ...context import Context
from ..base import Finding, Rule
from .takeover import _moves, _withdrawn, takeover_logins
from .traded_away import _traded_away


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
    heavy=True,
)
