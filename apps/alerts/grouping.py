"""Grouping the queue: the alerts of one control cluster, or of one market incident, under
one row that expands.

A group is found from the page, not stored: an alert belongs to the cluster of its primary
account (clusters are re-drawn by every linking run, so a stored key would go stale), and
an alert about no account (a market-stress finding) to the incident of its symbol. The
rows of a page that share a group fold into the most urgent of them; the group's count
and its expansion cover every alert of the group under the same filters, so an operator
sees "cluster C00042 — 7 alerts" and can act on all seven at once.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, ExpressionWrapper, F, QuerySet, TextField

from apps.accounts.selectors import cluster_account_ids, cluster_mates
from apps.alerts.models import URGENCY, Alert, Category, primary_account

GROUP_CAP = 1_000  # a group's count stops here ("1000+"); its expansion lists up to MEMBERS
MEMBERS = 200


@dataclass
class QueueRow:
    """One row of the queue: an alert alone, or a group led by its most urgent alert."""

    alert: Alert
    key: str = ""  # "cluster:<id>" or "incident:<symbol>"; "" alone
    label: str = ""  # "cluster C00042", "market stress on BTCUSDT"
    members: int = 1  # alerts of the group matching the filters
    capped: bool = False
    folded: list[int] = field(default_factory=list)  # ids of this page folded under the row

    @property
    def grouped(self) -> bool:
        return bool(self.key) and self.members > 1


def _incident(alert: Alert) -> str:
    if alert.category == Category.MARKET_STRESS and not alert.accounts:
        return f"incident:{alert.symbol or 'platform'}"
    return ""


def group_rows(alerts: list[Alert], filtered: QuerySet[Alert]) -> list[QueueRow]:
    """Fold a page of alerts (in urgency order) into rows; two queries whatever the page."""
    primaries = {a.accounts[0] for a in alerts if a.accounts}
    # The page's clusters and every account in them, in one query: the accounts are what
    # the groups' sizes are counted through.
    owners = cluster_mates(primaries)
    clusters = {account: owners[account] for account in primaries if account in owners}
    rows: list[QueueRow] = []
    by_key: dict[str, QueueRow] = {}
    for alert in alerts:
        cluster = clusters.get(alert.accounts[0]) if alert.accounts else None
        key = f"cluster:{cluster}" if cluster else _incident(alert)
        if key and key in by_key:
            by_key[key].folded.append(alert.pk)
            continue
        label = f"cluster {cluster}" if cluster else ""
        if key.startswith("incident:"):
            label = f"market stress on {key.split(':', 1)[1]}"
        row = QueueRow(alert, key=key, label=label)
        rows.append(row)
        if key:
            by_key[key] = row
    _count(by_key, filtered, owners)
    return rows


def _primary_in(filtered: QuerySet[Alert], accounts: Iterable[str]) -> QuerySet[Alert]:
    """The alerts among `filtered` whose primary account is one of `accounts` (a cluster's
    alerts), as `primary`. Wrapped as text so `__in` compares text on SQLite too (a JSON
    key's own `__in` reads the values as JSON there); the SQL is the index's expression."""
    primary = ExpressionWrapper(primary_account(), TextField())
    return filtered.alias(primary=primary).filter(primary__in=list(accounts))


def _incidents(filtered: QuerySet[Alert], symbols: Iterable[str]) -> QuerySet[Alert]:
    """The market-stress alerts about no account among `filtered` on `symbols` ("platform":
    no symbol), the alerts of those incidents."""
    return filtered.filter(
        category=Category.MARKET_STRESS,
        accounts=[],
        symbol__in=["" if s == "platform" else s for s in symbols],
    )


def _count(by_key: dict[str, QueueRow], filtered: QuerySet[Alert], owners: dict[str, str]) -> None:
    """Every group's size under the filters, in one query: from the clusters' accounts to
    their alerts through the index of (primary account, status), then the other filters on
    each alert — never the other way, which would read every alert of a broad filter
    ("dismissed": 850,000 rows). Through the alerts' account rows instead, each alert was
    read twice and its closed ones only to be thrown away (open queue: 3-22 ms -> 0.3 ms)."""
    clusters = {key.split(":", 1)[1] for key in by_key if key.startswith("cluster:")}
    symbols = [key.split(":", 1)[1] for key in by_key if key.startswith("incident:")]
    counts: dict[str, int] = {}
    members = [account for account, cluster in owners.items() if cluster in clusters]
    if members:
        found = (
            _primary_in(filtered, members)
            .annotate(account=F("primary"))
            .values_list("account")
            .annotate(n=Count("id"))
            .order_by()
        )
        for account, n in found:
            key = f"cluster:{owners[account]}"
            counts[key] = counts.get(key, 0) + n
    if symbols:
        incidents = (
            _incidents(filtered, symbols).values_list("symbol").annotate(n=Count("id")).order_by()
        )
        for symbol, n in incidents:
            counts[f"incident:{symbol or 'platform'}"] = n
    for key, row in by_key.items():
        total = max(counts.get(key, 0), 1 + len(row.folded))
        row.members, row.capped = min(total, GROUP_CAP), total > GROUP_CAP


def group_alerts(filtered: QuerySet[Alert], key: str) -> QuerySet[Alert]:
    """The alerts of group `key` among `filtered`, most urgent first (the expansion and
    the bulk actions on a group)."""
    kind, _, value = key.partition(":")
    chosen: QuerySet[Alert]
    if kind == "cluster" and value:
        chosen = _primary_in(filtered, cluster_account_ids(value))
    elif kind == "incident" and value:
        chosen = _incidents(filtered, [value])
    else:
        chosen = filtered.none()
    return chosen.order_by(*URGENCY)
