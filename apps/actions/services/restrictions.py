"""The standing restrictions: expiry, and comparing the desk's with the exchange's."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.actions.gateway import Gateway, gateway
from apps.actions.measures import contract_scope
from apps.actions.models import Action, Restriction, restriction_active
from apps.actions.services.common import ActionError, move, save_changed
from apps.actions.services.telling import told_restriction
from apps.desk.history import task_work


@task_work("actions.restrictions_expire")
def restrictions_expire(*, now: datetime | None = None) -> int:
    """The periodic scan: restrictions past their expiry end on the desk as on the exchange
    (the contract: past `expires_at` a restriction is no longer active there)."""
    now = now or timezone.now()
    due = Restriction.objects.filter(status=Restriction.Status.ACTIVE, expires_at__lte=now)
    ended = 0
    for pk in list(due.values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            restriction = (
                Restriction.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=Restriction.Status.ACTIVE)
                .first()
            )
            if restriction is None:
                continue
            restriction_end(restriction, now=now)
            ended += 1
    return ended


def restriction_end(restriction: Restriction, *, now: datetime, lift: Action | None = None) -> None:
    """A standing restriction ends — past its expiry, or lifted by `lift` — and the action
    that placed it is lifted with it. The caller holds the restriction's lock; no person
    acts (the expiry scan, or the worker executing the lift: named by acting_task)."""
    if lift is None:
        move(restriction, Restriction.Status.EXPIRED, "expired")
        restriction.ended_at = now
        save_changed(restriction, "status", "ended_at", by=None)
    else:
        move(restriction, Restriction.Status.LIFTED, f"lifted by {lift.reference}")
        restriction.ended_at, restriction.lifted_by = now, lift
        save_changed(restriction, "status", "ended_at", "lifted_by", by=None)
    told_restriction(restriction, change="lifted" if lift else "expired")
    placed_action_lifted(
        restriction.action_id,
        reason=f"lifted by {lift.reference}" if lift else "its restriction expired",
    )


def placed_action_lifted(action_id: int, *, reason: str) -> None:
    """The rule "restriction ended ⇒ action lifted", written once: an executed action whose
    restriction no longer stands is lifted (a second ending of it changes nothing)."""
    action = Action.objects.select_for_update().get(pk=action_id)
    if action.status == Action.Status.EXECUTED:
        move(action, Action.Status.LIFTED, reason)
        save_changed(action, "status", by=None)


@dataclass(frozen=True)
class Difference:
    kind: str  # missing_on_exchange, unknown_to_desk, mismatch
    exchange_id: str
    account_id: str | None
    symbol: str | None
    measure: str
    desk: dict[str, Any] | None
    exchange: dict[str, Any] | None
    fields: tuple[str, ...] = ()


RULES = {
    "missing_on_exchange": "restriction_missing_on_exchange",
    "unknown_to_desk": "restriction_unknown_to_desk",
    "mismatch": "restriction_mismatch",
}
COMPARED = ("account_id", "scope", "symbol", "measure", "params", "expires_at")


def _desk_view(restriction: Restriction) -> dict[str, Any]:
    return {
        "account_id": restriction.account_id,
        "scope": contract_scope(restriction.scope),
        "symbol": restriction.symbol or None,
        "measure": restriction.measure,
        "params": restriction.params,
        "expires_at": restriction.expires_at,
    }


def _exchange_view(row: dict[str, Any]) -> dict[str, Any]:
    view = {name: row.get(name) for name in COMPARED}
    view["expires_at"] = parse_datetime(row["expires_at"]) if row.get("expires_at") else None
    return view


def reconciliation_differences(*, exchange: Gateway | None = None) -> list[Difference]:
    """Every way the exchange's active restrictions differ from the desk's.

    Actions still on their way (being applied, or being lifted) are left out: the two sides
    disagree for a moment by design then."""
    reply = (exchange or gateway()).call("GET", "/restrictions", query="status=active")
    if not reply.ok or not isinstance((reply.body or {}).get("restrictions"), list):
        raise ActionError(f"Cannot read the exchange's restrictions: {reply.message}")
    now = timezone.now()
    desk = {r.exchange_id: r for r in Restriction.objects.filter(restriction_active(now))}
    in_flight = set(
        Action.objects.filter(status__in=Action.OPEN).values_list("pk", "lifts_id").iterator()
    )
    moving = {f"A-{pk}" for pk, _ in in_flight} | {
        f"A-{lifted}" for _, lifted in in_flight if lifted
    }
    theirs = {str(row.get("id")): row for row in reply.body["restrictions"]}  # type: ignore[index]
    differences = []
    for exchange_id in sorted(set(desk) | set(theirs)):
        if exchange_id in moving:
            continue
        ours, row = desk.get(exchange_id), theirs.get(exchange_id)
        if ours is not None and row is None:
            view = _desk_view(ours)
            differences.append(
                Difference(
                    "missing_on_exchange",
                    exchange_id,
                    ours.account_id,
                    ours.symbol or None,
                    ours.measure,
                    _jsonable(view),
                    None,
                )
            )
        elif ours is None and row is not None:
            differences.append(
                Difference(
                    "unknown_to_desk",
                    exchange_id,
                    row.get("account_id"),
                    row.get("symbol"),
                    str(row.get("measure")),
                    None,
                    row,
                )
            )
        elif ours is not None and row is not None:
            mine, yours = _desk_view(ours), _exchange_view(row)
            changed = tuple(name for name in COMPARED if mine[name] != yours[name])
            if changed:
                differences.append(
                    Difference(
                        "mismatch",
                        exchange_id,
                        ours.account_id,
                        ours.symbol or None,
                        ours.measure,
                        _jsonable(mine),
                        row,
                        changed,
                    )
                )
    return differences


def _jsonable(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in view.items()}


def reconciliation_alerts(
    differences: list[Difference], *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Each difference as an alert per shared/contracts/alerts.md. The dedup key names the
    difference, not the run, so a difference seen on every run stays one alert."""
    at = (now or timezone.now()).isoformat().replace("+00:00", "Z")
    alerts = []
    for d in differences:
        rule = RULES[d.kind]
        # The contract lets only market_stress alerts name no account: a symbol- or
        # platform-wide restriction concerns the whole market.
        category = "other" if d.account_id else "market_stress"
        what = f"{d.measure} {d.exchange_id}"
        summary = {
            "missing_on_exchange": f"{what} is active on the desk but not on the exchange",
            "unknown_to_desk": f"the exchange has an active {what} the desk did not place",
            "mismatch": f"{what} differs on the exchange: {', '.join(d.fields)}",
        }[d.kind]
        alerts.append(
            {
                "dedup_key": f"{rule}:{d.exchange_id}",
                "rule": rule,
                "category": category,
                "severity": "high" if d.kind == "missing_on_exchange" else "medium",
                "accounts": [d.account_id] if d.account_id else [],
                "symbol": d.symbol,
                "window_start": at,
                "window_end": at,
                "detected_at": at,
                "summary": f"{d.account_id or 'market'}: {summary}",
                "metrics": {"differing_fields": len(d.fields)},
                "evidence": {
                    "exchange_id": d.exchange_id,
                    "desk": d.desk,
                    "exchange": d.exchange,
                    "fields": list(d.fields),
                },
                "source": "riskdesk.actions.reconcile/1",
            }
        )
    return alerts
