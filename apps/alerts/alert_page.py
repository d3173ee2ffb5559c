"""Reading one alert for its page: its accounts, the alerts beside it, its measures and its
evidence shaped for reading (the queue's reads are in queue_selectors.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apps.accounts.selectors import accounts_by_id
from apps.alerts.explain import EXPLAIN
from apps.alerts.models import Alert, AlertAccount

if TYPE_CHECKING:
    from apps.accounts.models import ExchangeAccount


@dataclass(frozen=True)
class AccountRow:
    account_id: str
    account: ExchangeAccount | None  # None: not loaded in the desk (yet)
    primary: bool


def alert_accounts(alert: Alert) -> list[AccountRow]:
    known = accounts_by_id(alert.accounts)
    return [
        AccountRow(account_id, known.get(account_id), position == 0)
        for position, account_id in enumerate(alert.accounts)
    ]


def alerts_on_same_accounts(alert: Alert, *, limit: int = 20) -> list[Alert]:
    if not alert.accounts:
        return []
    return list(
        Alert.objects.filter(
            pk__in=AlertAccount.objects.filter(account_id__in=alert.accounts).values("alert_id")
        )
        .exclude(pk=alert.pk)
        .select_related("assignee")
        .defer("evidence", "metrics")
        .order_by("-detected_at", "-id")[:limit]
    )


def alert_measures(alert: Alert) -> list[Any]:
    """The measures requested in answer to `alert`, newest first — read through the
    alert's reverse relation (actions sit above alerts, which never import them)."""
    return list(
        alert.actions.select_related("requested_by", "rejected_by", "case").order_by(
            "-requested_at", "-pk"
        )[:50]
    )


@dataclass(frozen=True)
class EvidenceBlock:
    """One key of the evidence, shaped for reading: ids, a table of rows, or key/values."""

    name: str
    kind: str  # "ids", "rows", "pairs", "value"
    ids: list[Any] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    pairs: list[tuple[str, Any]] = field(default_factory=list)
    value: Any = None


def _cell(value: Any) -> Any:
    """A table cell as a person reads it: a list (two accounts, a set of symbols) as its
    items joined, not as Python's repr of a list."""
    return ", ".join(str(item) for item in value) if isinstance(value, list) else value


def evidence_blocks(evidence: dict[str, Any]) -> list[EvidenceBlock]:
    blocks = []
    for name, value in evidence.items():
        if name == EXPLAIN:
            continue  # shown as "Why this alert"
        title = name.replace("_", " ")
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            keys = list(dict.fromkeys(key for row in value for key in row))
            rows = [[_cell(row.get(key, "")) for key in keys] for row in value]
            columns = [key.replace("_", " ") for key in keys]
            blocks.append(EvidenceBlock(title, "rows", columns=columns, rows=rows))
        elif isinstance(value, list):
            blocks.append(EvidenceBlock(title, "ids", ids=value))
        elif isinstance(value, dict):
            blocks.append(EvidenceBlock(title, "pairs", pairs=list(value.items())))
        else:
            blocks.append(EvidenceBlock(title, "value", value=value))
    return blocks
