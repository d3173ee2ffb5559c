"""The sandbox exchange's answers, exactly per shared/contracts/gateway.md.

`serve()` takes one call (method, path, headers, body) and gives the status and JSON body a
real exchange would. The embedded gateway calls it in-process; the WSGI app serves it over
HTTP. Its checks (checks.py) are its own, written from the contract, not the desk's validators: the
sandbox is the other side and must refuse what the desk gets wrong.
"""

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.actions.sandbox.checks import Refused, checked_restriction, json_body
from apps.actions.sandbox.models import (
    SandboxCall,
    SandboxFault,
    SandboxLiquidation,
    SandboxPosition,
    SandboxRestriction,
)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Fault:
    kind: str
    seconds: float


def order_fault(kind: str, *, count: int = 1, seconds: float = 0.0) -> None:
    """Make the next `count` calls fail on purpose (tests, demos)."""
    SandboxFault.objects.create(kind=kind, remaining=count, seconds=seconds)


def _take_fault() -> Fault | None:
    with transaction.atomic():
        fault = SandboxFault.objects.select_for_update().filter(remaining__gt=0).first()
        if fault is None:
            return None
        fault.remaining -= 1
        if fault.remaining:
            fault.save(update_fields=["remaining"])
        else:
            fault.delete()
        return Fault(fault.kind, fault.seconds)


def serve(
    method: str,
    path: str,
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    wait_limit: float | None = None,
) -> Answer:
    """One call. `wait_limit` caps a fault's wait (the embedded gateway's timeout)."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    fault = _take_fault()
    wait = min(fault.seconds, wait_limit) if fault and wait_limit is not None else None
    if fault is not None and wait is None:
        wait = fault.seconds
    if fault and fault.kind == SandboxFault.Kind.UNAVAILABLE:
        answer, changed, key = Answer(503, {"error": "sandbox: unavailable on purpose"}), False, ""
    else:
        if fault and fault.kind == SandboxFault.Kind.HANG_BEFORE:
            time.sleep(wait or 0)
        answer, changed, key = _route(method, path, query, headers, body)
    SandboxCall.objects.create(
        method=method,
        path=path[:200],
        key=key[:64],
        status_code=answer.status,
        changed_state=changed,
        fault=fault.kind if fault else "",
    )
    if fault and fault.kind == SandboxFault.Kind.HANG_AFTER:
        time.sleep(wait or 0)
    return answer


def _route(
    method: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> tuple[Answer, bool, str]:
    parts = [p for p in path.split("/") if p]
    key = ""
    try:
        if parts[:1] == ["restrictions"] and len(parts) == 2:
            key = parts[1]
            if method == "PUT":
                answer, changed = _put_restriction(key, json_body(body))
                return answer, changed, key
            if method == "DELETE":
                answer, changed = _delete_restriction(key)
                return answer, changed, key
        if parts == ["restrictions"] and method == "GET":
            return _list_restrictions(query), False, key
        if parts == ["liquidations"] and method == "POST":
            key = headers.get("idempotency-key", "")
            answer, changed = _liquidate(key, json_body(body))
            return answer, changed, key
        if parts[:1] == ["accounts"] and len(parts) == 2 and method == "GET":
            return _account(parts[1]), False, key
        raise Refused(404, f"No such call: {method} {path}")
    except Refused as refused:
        return Answer(refused.status, {"error": str(refused)}), False, key


def _is_active(row: SandboxRestriction, now: datetime) -> bool:
    return row.status == "active" and (row.expires_at is None or row.expires_at > now)


def _as_json(row: SandboxRestriction, now: datetime) -> dict[str, Any]:
    return {
        "id": row.id,
        "account_id": row.account_id,
        "scope": row.scope,
        "symbol": row.symbol,
        "measure": row.measure,
        "params": row.params,
        "reason_code": row.reason_code,
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        "status": "active" if _is_active(row, now) else "lifted",
        "applied_at": row.applied_at.isoformat(),
    }


@transaction.atomic
def _put_restriction(restriction_id: str, data: dict[str, Any]) -> tuple[Answer, bool]:
    fields = checked_restriction(data)
    now = timezone.now()
    row = SandboxRestriction.objects.select_for_update().filter(pk=restriction_id).first()
    if row is None:
        try:
            with transaction.atomic():
                row = SandboxRestriction.objects.create(id=restriction_id, applied_at=now, **fields)
        except IntegrityError:  # the same id arrived twice at once: the other one applied it
            row = SandboxRestriction.objects.select_for_update().get(pk=restriction_id)
        else:
            return Answer(201, _applied(row)), True
    if row.status != "active":
        raise Refused(409, f"Restriction {restriction_id} was lifted; use a new id.")
    changed = [name for name, value in fields.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, fields[name])
    if changed:
        row.save(update_fields=changed)
    return Answer(200, _applied(row)), bool(changed)


def _applied(row: SandboxRestriction) -> dict[str, Any]:
    return {"id": row.id, "status": "active", "applied_at": row.applied_at.isoformat()}


@transaction.atomic
def _delete_restriction(restriction_id: str) -> tuple[Answer, bool]:
    row = SandboxRestriction.objects.select_for_update().filter(pk=restriction_id).first()
    if row is None:
        raise Refused(404, f"No restriction {restriction_id}.")
    changed = row.status == "active"
    if changed:
        row.status, row.lifted_at = "lifted", timezone.now()
        row.save(update_fields=["status", "lifted_at"])
    return Answer(200, {"id": row.id, "status": "lifted"}), changed


def _list_restrictions(query: str) -> Answer:
    status = parse_qs(query).get("status", ["active"])[0]
    if status != "active":
        raise Refused(400, "Only status=active can be listed.")
    now = timezone.now()
    rows = SandboxRestriction.objects.filter(status="active").filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    return Answer(200, {"restrictions": [_as_json(row, now) for row in rows]})


def _liquidate(key: str, data: dict[str, Any]) -> tuple[Answer, bool]:
    if not key:
        raise Refused(400, "Idempotency-Key header is required.")
    unknown = sorted(set(data) - {"account_id", "symbol"})
    if unknown:
        raise Refused(400, f"Unknown keys: {', '.join(unknown)}.")
    account_id, symbol = data.get("account_id"), data.get("symbol")
    if not isinstance(account_id, str) or not account_id:
        raise Refused(400, "account_id must be a non-empty string.")
    if symbol is not None and (not isinstance(symbol, str) or not symbol):
        raise Refused(400, "symbol must be a non-empty string or null.")
    done = SandboxLiquidation.objects.filter(pk=key).first()
    if done is not None:
        return Answer(200, done.answer), False
    try:
        with transaction.atomic():
            positions = SandboxPosition.objects.select_for_update().filter(account_id=account_id)
            if symbol:
                positions = positions.filter(symbol=symbol)
            closed = [
                {"symbol": p.symbol, "qty": p.qty, "price": p.mark_price}
                for p in positions.order_by("symbol")
            ]
            positions.delete()
            answer = {"id": key, "closed_positions": closed}
            SandboxLiquidation.objects.create(
                idempotency_key=key,
                account_id=account_id,
                symbol=symbol,
                answer=answer,
                at=timezone.now(),
            )
    except IntegrityError:  # the same key at once: answer what the first one did
        return Answer(200, SandboxLiquidation.objects.get(pk=key).answer), False
    return Answer(200, answer), True


def _account(account_id: str) -> Answer:
    now = timezone.now()
    rows = SandboxRestriction.objects.filter(account_id=account_id)
    positions = SandboxPosition.objects.filter(account_id=account_id).order_by("symbol")
    return Answer(
        200,
        {
            "account_id": account_id,
            "restrictions": [_as_json(row, now) for row in rows if _is_active(row, now)],
            "positions": [
                {
                    "symbol": p.symbol,
                    "qty": p.qty,
                    "entry_price": p.entry_price,
                    "leverage": p.leverage,
                }
                for p in positions
            ],
        },
    )
