"""Grouping the queue: the alerts of one control cluster, or of one market incident, under
one row that expands.

A group is found from the page, not stored: an alert belongs to the cluster of its primary
account (clusters are re-drawn by every linking run, so a stored key would go stale), and
an alert about no account (a market-stress finding) to the incident of its symbol. The
rows of a page that share a group fold into the most urgent of them; the group's count
and its expansion cover every alert of the group under the same filters, so an operator
sees "cluster C00042 — 7 alerts" and can act on all seven at once.
"""

from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, QuerySet, Subquery

from apps.accounts.models import ExchangeAccount
from apps.alerts.models import URGENCY, Alert, AlertAccount, Category

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
    clusters = dict(
        ExchangeAccount.objects.filter(account_id__in=primaries, cluster__isnull=False)
        .values_list("account_id", "cluster__key")
        .order_by()
    )
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
    _count(by_key, filtered)
    return rows


def _count(by_key: dict[str, QueueRow], filtered: QuerySet[Alert]) -> None:
    """Every group's size under the filters: one query over the groups' alerts, joined
    through the accounts index (a cluster has a handful of accounts, not the whole table)."""
    clusters = [key.split(":", 1)[1] for key in by_key if key.startswith("cluster:")]
    symbols = [key.split(":", 1)[1] for key in by_key if key.startswith("incident:")]
    counts: dict[str, int] = {}
    if clusters:
        cluster_of = ExchangeAccount.objects.filter(account_id=OuterRef("account_id")).values(
            "cluster__key"
        )[:1]
        found = (
            AlertAccount.objects.filter(
                position=0,
                account_id__in=ExchangeAccount.objects.filter(cluster__key__in=clusters).values(
                    "account_id"
                ),
                alert_id__in=filtered.values("id"),
            )
            .annotate(cluster=Subquery(cluster_of))
            .values_list("cluster")
            .annotate(n=Count("id"))
            .order_by()
        )
        for cluster, n in found:
            counts[f"cluster:{cluster}"] = n
    if symbols:
        found = (
            filtered.filter(category=Category.MARKET_STRESS, accounts=[])
            .filter(symbol__in=["" if s == "platform" else s for s in symbols])
            .values_list("symbol")
            .annotate(n=Count("id"))
            .order_by()
        )
        for symbol, n in found:
            counts[f"incident:{symbol or 'platform'}"] = n
    for key, row in by_key.items():
        total = max(counts.get(key, 0), 1 + len(row.folded))
        row.members, row.capped = min(total, GROUP_CAP), total > GROUP_CAP


def group_alerts(filtered: QuerySet[Alert], key: str) -> QuerySet[Alert]:
    """The alerts of group `key` among `filtered`, most urgent first (the expansion and
    the bulk actions on a group)."""
    kind, _, value = key.partition(":")
    if kind == "cluster" and value:
        accounts = ExchangeAccount.objects.filter(cluster__key=value).values("account_id")
        chosen = filtered.filter(
            pk__in=AlertAccount.objects.filter(position=0, account_id__in=accounts).values(
                "alert_id"
            )
        )
    elif kind == "incident" and value:
        chosen = filtered.filter(
            category=Category.MARKET_STRESS,
            accounts=[],
            symbol="" if value == "platform" else value,
        )
    else:
        chosen = filtered.none()
    return chosen.order_by(*URGENCY)
