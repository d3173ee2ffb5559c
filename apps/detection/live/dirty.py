"""A narrow cycle: the rules again on the accounts whose rows arrived, not the day so far.

Between two full cycles (linking, every rule on the whole day), a cycle runs the window
rules themselves on a *narrow view* of the day: every row of the accounts that moved since
the last cycle (an order placed or updated, a trade on either side, a login, a transfer
from or to them, a position, a promotion, the account itself) and of the other members
of their clusters, with the kept linkage cut to those clusters. Each moved account's rows
are all there, so what a rule finds on it is what it finds on the day; the findings on
accounts that did not move stand from the cycle before.

What a narrow view cannot hold is what the whole market makes:

- per-symbol references (a contract's typical order, its ordinary distance from the
  mark): taken from the last full cycle (``REFERENCES``), as the rules cached them there;
- rules judged against everyone (``WHOLE_DAY``): ``abnormal_pnl`` ranks a day's PnL
  among the market's, ``promo_abuse`` follows wash rings through accounts that did not
  move: their findings come from full cycles and stand in between (a rule they cover
  reads those); ``market_stress`` (per contract, no accounts) runs on the whole day
  every cycle, it is cheap.

A day's last word is a full cycle, so the day's final alerts are those of the window path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..context import Context
from ..feed import Feed
from ..linking import Linkage
from ..rules import views
from ..rules.base import Finding
from ..rules.large_cancel import typical_order
from ..rules.matched_trade_price import ordinary_deviation

# What the rules cache per context that is a per-symbol reference over the whole day
# (rules/large_cancel.py, rules/matched_trade_price.py).
REFERENCES = ("typical_order", "ordinary_deviation")
# Rules whose findings need the whole day: run by full cycles only.
WHOLE_DAY = frozenset({"abnormal_pnl", "promo_abuse"})
# Rules on the whole day every cycle (no accounts to narrow by, cheap).
EVERY_CYCLE = frozenset({"market_stress"})

ACCOUNT_COLUMNS = {
    "logins": ("account_id",),
    "transfers": ("account_id", "counterparty_account_id"),
    "promotions": ("account_id",),
    "positions": ("account_id",),
    "orders": ("account_id",),
    "trades": ("buyer_id", "seller_id"),
}


def with_clusters(ids: Iterable[str], linkage: Linkage) -> set[str]:
    """The accounts and every other member of their clusters."""
    wanted = set(ids)
    keys = linkage.account_cluster.reindex(list(wanted)).dropna()
    for key in set(keys.tolist()):
        wanted.update(linkage.clusters.get(key, ()))
    return wanted


def narrow_view(feed: Feed, ids: set[str], codes: np.ndarray | None = None) -> Feed:
    """``feed`` cut to the rows naming one of ``ids`` (a trade: either side); the
    accounts, instruments and marks whole. ``codes``: the places of ``ids`` in the
    accounts table, to cut the coded tables by their codes instead of their strings."""
    view = Feed(folder=feed.folder, files=feed.files)
    view.instruments, view.accounts, view.mark_prices = (
        feed.instruments,
        feed.accounts,
        feed.mark_prices,
    )
    moved = None
    if codes is not None and feed.accounts is not None:
        moved = np.zeros(len(feed.accounts) + 1, dtype=bool)
        moved[codes[codes < len(feed.accounts)]] = True
    value_set = pa.array(sorted(ids), type=pa.string())
    for table, columns in ACCOUNT_COLUMNS.items():
        frame = feed.table(table)
        if frame is None:
            continue
        coded = [feed.codes.get(f"{table}.{column}") for column in columns]
        if moved is not None and all(c is not None and len(c) == len(frame) for c in coded):
            keep = np.logical_or.reduce([moved[c] for c in coded if c is not None])
        else:
            keep = np.zeros(len(frame), dtype=bool)
            for column in columns:
                if column in frame:
                    found = pc.is_in(pa.array(frame[column].astype("str")), value_set=value_set)
                    keep |= np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
        setattr(view, table, frame[keep].reset_index(drop=True))
        for name, values in feed.codes.items():
            if name.startswith(f"{table}.") and len(values) == len(frame):
                view.codes[name] = values[keep]
    return view


def narrow_linkage(linkage: Linkage, ids: set[str]) -> Linkage:
    """The links touching ``ids`` and the clusters holding them; the account -> cluster
    map whole (a counterparty outside keeps its cluster's name)."""
    links = linkage.links
    if len(links):
        # Arrow's set lookup: pandas' isin on Arrow strings builds a Python list of
        # every link's ids (a twentieth of a cycle at the bench's 20,000 events/s).
        value_set = pa.array(sorted(ids), type=pa.string())
        touching = np.zeros(len(links), dtype=bool)
        for column in ("account_a", "account_b"):
            found = pc.is_in(pa.array(links[column].astype("str")), value_set=value_set)
            touching |= np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
        links = links[touching]
    keys = set(linkage.account_cluster.reindex(list(ids)).dropna().tolist())
    clusters = {key: members for key, members in linkage.clusters.items() if key in keys}
    return Linkage(links, clusters, linkage.account_cluster, linkage.hubs)


def merged(
    before: dict[str, dict[str, Any]],
    narrow: list[dict[str, Any]],
    every_cycle: list[dict[str, Any]],
    ids: set[str],
    whole_day: list[dict[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """The day's alerts after a narrow cycle: those on accounts that did not move stand,
    and the whole-day rules' unless ``whole_day`` renews them; the narrow run's on the
    accounts ``ids`` and the every-cycle rules' take the place of the rest."""
    found = {
        key: alert
        for key, alert in before.items()
        if (alert["rule"] in WHOLE_DAY and whole_day is None)
        or (
            alert["rule"] not in WHOLE_DAY | EVERY_CYCLE and not ids.intersection(alert["accounts"])
        )
    }
    for alert in narrow:
        if ids.intersection(alert["accounts"]):
            found[alert["dedup_key"]] = alert
    for alert in [*every_cycle, *(whole_day or [])]:
        found[alert["dedup_key"]] = alert
    return found


def merged_findings(before: list[Finding], narrow: list[Finding], ids: set[str]) -> list[Finding]:
    """One rule's findings after a narrow cycle, as ``merged`` keeps the alerts."""
    kept = [finding for finding in before if not ids.intersection(finding.accounts)]
    return kept + [finding for finding in narrow if ids.intersection(finding.accounts)]


def changed_clusters(before: Linkage, after: Linkage) -> set[str]:
    """The accounts whose cluster (its key) is not the same in the two linkages."""
    accounts = before.account_cluster.index.union(after.account_cluster.index)
    old = before.account_cluster.reindex(accounts).fillna("")
    new = after.account_cluster.reindex(accounts).fillna("")
    return set(accounts[(old != new).to_numpy()])


def day_references(feed: Feed, linkage: Linkage) -> dict[str, Any]:
    """The per-symbol references over the whole day, as the rules compute them."""
    ctx = Context.build(feed, linkage=linkage)
    typical_order(ctx, views.orders(ctx))
    ordinary_deviation(ctx)
    store = ctx.__dict__["_views"]
    return {name: store[name] for name in REFERENCES if name in store}
