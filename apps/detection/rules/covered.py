"""One alert per situation: a general finding that a more specific one already explains.

A controller's farm of bonus accounts is one case for the desk, not two alerts (one
`promo_abuse`, one `common_control` on the same accounts); a pair ramping a contract is a
`matched_trade_price`, and its at-market fills with each other are part of that, not also a
`linked_mutual_trade`. A rule names, in ``Rule.covered_by``, the more specific rules whose
findings take the place of its own: a finding is withheld when the covering findings (of
the same symbol, or of none) name at least ``COVERED_SHARE`` of its accounts. The covering
alert carries the cluster (its evidence names it), so nothing of the control is lost.
"""

from __future__ import annotations

from collections.abc import Callable

from .base import Finding

COVERED_SHARE = 0.5


def withhold_covered(
    code: str,
    covered_by: tuple[str, ...],
    found: list[Finding],
    findings_of: Callable[[str], list[Finding]],
) -> tuple[list[Finding], int]:
    """``found`` (rule ``code``'s findings) without those the rules ``covered_by`` explain;
    also how many were withheld. ``findings_of(code)`` gives a rule's findings ([] when it
    is switched off)."""
    if not covered_by or not found:
        return found, 0
    covering = [f for other in covered_by if other != code for f in findings_of(other)]
    if not covering:
        return found, 0
    kept = []
    for finding in found:
        named: set[str] = set()
        for other in covering:
            if other.symbol is None or finding.symbol is None or other.symbol == finding.symbol:
                named.update(other.accounts)
        accounts = set(finding.accounts)
        if accounts and len(accounts & named) >= COVERED_SHARE * len(accounts):
            continue
        kept.append(finding)
    return kept, len(found) - len(kept)
