"""A cluster of linked accounts with alerts on them, as a case starts from."""

from dataclasses import dataclass
from datetime import UTC, datetime

from apps.accounts.models import AccountLink, ControlCluster, ExchangeAccount
from apps.alerts.models import Alert
from apps.cases.models import Case, Escalation
from apps.notifications.models import Notification
from tests.alerts.payloads import stored_alert
from tests.factories import ControlClusterFactory, ExchangeAccountFactory


@dataclass
class Cluster:
    cluster: ControlCluster
    accounts: list[ExchangeAccount]

    @property
    def ids(self) -> list[str]:
        return [a.account_id for a in self.accounts]


def linked_cluster(key: str = "C00042", size: int = 3) -> Cluster:
    cluster = ControlClusterFactory.create(key=key, size=size)
    accounts = [ExchangeAccountFactory.create(cluster=cluster) for _ in range(size)]
    seen = datetime(2026, 11, 20, tzinfo=UTC)
    kinds = [AccountLink.Kind.IP, AccountLink.Kind.DEVICE, AccountLink.Kind.TRADES_WITH]
    for i in range(size - 1):
        a, b = sorted([accounts[i].account_id, accounts[i + 1].account_id])
        AccountLink.objects.create(
            account_a_id=a,
            account_b_id=b,
            kind=kinds[i % len(kinds)],
            first_seen=seen,
            last_seen=seen,
        )
    return Cluster(cluster, accounts)


def more_links(ids: list[str]) -> None:
    """A funding address, a transfer and a shared IP with an account outside the cluster:
    a graph that is more than a chain."""
    seen = datetime(2026, 11, 20, tzinfo=UTC)
    outsider = ExchangeAccountFactory.create(account_id="U200001")
    pairs = [
        (ids[0], ids[3], AccountLink.Kind.ADDRESS),
        (ids[1], ids[4], AccountLink.Kind.TRANSFER),
        (ids[0], ids[2], AccountLink.Kind.DEVICE),
        (ids[2], outsider.account_id, AccountLink.Kind.IP),
    ]
    for one, two, kind in pairs:
        a, b = sorted([one, two])
        AccountLink.objects.create(
            account_a_id=a, account_b_id=b, kind=kind, first_seen=seen, last_seen=seen
        )


_n = iter(range(10_000, 99_999))


def alert_on(accounts: list[str], severity: str = "high", **overrides: object) -> Alert:
    n = next(_n)
    fields: dict[str, object] = {
        "accounts": accounts,
        "severity": severity,
        "dedup_key": f"linked_mutual_trade:{n}",
        "rule": "linked_mutual_trade",
        "category": "linked_mutual_trade",
        "summary": f"{' & '.join(accounts)} traded with each other ({n})",
    }
    return stored_alert(n, **(fields | overrides))


def case_objects() -> tuple[Case, Escalation, Alert, Notification]:
    """One of each object the case pages serve, for walking every URL."""
    from apps.cases.services import case_escalate, case_open
    from tests.factories import make_person

    opener = make_person("case-opener", "operator")
    make_person("case-supervisor", "supervisor")
    members = linked_cluster(key="C-walk")
    case = case_open(alerts=[alert_on(members.ids[:1])], by=opener).case
    escalation = case_escalate(case=case, by=opener, target="supervisor", reason="look")
    notification = Notification.objects.filter(kind="escalation").first()
    assert notification is not None
    return case, escalation, alert_on(["U-walk"]), notification
