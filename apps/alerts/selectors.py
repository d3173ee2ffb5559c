"""Reading alerts: one alert, and the reads other apps make of alerts (the triage queue's
page and totals: queue_selectors.py, its filters: queue_filters.py; rule quality: quality.py)."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet

from apps.alerts.models import URGENCY, Alert, Status, sla_breached

# Reads other apps make of alerts (cases, actions, the console); what routing reads is in
# offers.py, what the reports count in figures.py.


def alert_of(pk: int, *, evidence: bool = True) -> Alert | None:
    """Alert `pk`; without its evidence (the largest field) where a page only names it."""
    alerts = Alert.objects.all() if evidence else Alert.objects.defer("evidence")
    return alerts.filter(pk=pk).first()


def alerts_of(
    pks: Iterable[int], *, statuses: Iterable[str] | None = None, evidence: bool = True
) -> list[Alert]:
    """The alerts among `pks` (in `statuses`, when given), in id order; whole rows unless
    told `evidence=False`, since a change writes a history row of every field."""
    alerts = Alert.objects.filter(pk__in=list(pks))
    if statuses is not None:
        alerts = alerts.filter(status__in=list(statuses))
    return list((alerts if evidence else alerts.defer("evidence")).order_by("pk"))


def alerts_listed() -> QuerySet[Alert]:
    """Alerts as a list of them shows them (a measure's, an inbox's): without evidence."""
    return Alert.objects.defer("evidence")


def alerts_as_ids() -> QuerySet[Alert]:
    """Alerts where a list only names them by number (an export's column): nothing else
    is loaded."""
    return Alert.objects.only("pk")


def alerts_due_first(
    statuses: Iterable[str], *, excluding: Iterable[int], limit: int
) -> list[Alert]:
    """Alerts in `statuses` but not `excluding`, the SLA due soonest first, without evidence."""
    return list(
        Alert.objects.filter(status__in=list(statuses))
        .exclude(pk__in=list(excluding))
        .defer("evidence")
        .order_by("sla_due_at", "-severity_rank", "id")[: max(limit, 0)]
    )


def alerts_on_accounts_outside_cases(
    account_ids: Iterable[str], statuses: Iterable[str], *, limit: int
) -> list[tuple[int, str]]:
    """(alert id, account id) for each alert in `statuses` on one of `account_ids` and in no
    case (`case_row` is the cases app's link to an alert), oldest alert first."""
    return list(
        Alert.objects.filter(
            status__in=list(statuses),
            case_row__isnull=True,
            account_rows__account_id__in=list(account_ids),
        )
        .values_list("pk", "account_rows__account_id")
        .order_by("pk")[:limit]
    )


def breached_unclaimed(now: datetime) -> QuerySet[Alert]:
    """New alerts past their SLA (sla_breached) that nobody holds, the longest overdue first:
    what the escalation timer raises."""
    return Alert.objects.filter(sla_breached(now), status=Status.NEW).order_by("sla_due_at")


def new_alerts_most_urgent(*, limit: int) -> list[Alert]:
    """The `limit` most urgent new alerts (the queue's order), without evidence."""
    return list(
        Alert.objects.filter(status=Status.NEW).defer("evidence").order_by(*URGENCY)[:limit]
    )


def new_alert(pk: int) -> Alert | None:
    """Alert `pk` while it is still new (nobody claimed or decided it)."""
    return Alert.objects.filter(pk=pk, status=Status.NEW).first()


def account_alerts(account_id: str) -> QuerySet[Alert]:
    """An account's alerts, newest first, as its page lists them (no evidence or metrics)."""
    return (
        Alert.objects.filter(account_rows__account_id=account_id)
        .defer("evidence", "metrics")
        .select_related("assignee")
        .order_by("-detected_at", "-pk")
    )


def alerts_from_source(source: str) -> QuerySet[Alert]:
    """The alerts a detector named `source` sent (the demo's night), in id order."""
    return Alert.objects.filter(source=source).order_by("pk")


def alerts_not_from_source(source: str) -> list[Alert]:
    """Every alert but those `source` sent, in id order (what the demo's night finds again)."""
    return list(Alert.objects.exclude(source=source).order_by("pk"))


def case_alerts_since_first(case_id: int, *, first: int) -> list[Alert]:
    """The alerts that joined case `case_id` after alert `first` opened it (`case_row` is the
    cases app's link), with only their arrival loaded."""
    return list(
        Alert.objects.filter(case_row__case_id=case_id)
        .exclude(pk=first)
        .only("pk", "first_seen")
        .order_by("pk")
    )
