"""What the sandbox exchange refuses, written from shared/contracts/gateway.md and not from
the desk's validators: the sandbox is the other side and must refuse what the desk gets
wrong. exchange.py answers the calls that pass."""

import json
from datetime import datetime
from typing import Any

# measure -> {param: "int" | "number"}; the exchange's own list.
MEASURE_PARAMS: dict[str, dict[str, str]] = {
    "frequency_limit": {"max_orders_per_second": "int"},
    "position_limit": {"max_contracts": "number"},
    "leverage_cap": {"max_leverage": "int"},
    "close_only": {},
    "suspend_open": {},
    "trading_ban": {},
    "withdrawal_hold": {},
    "freeze": {},
}

PUT_KEYS = {"account_id", "scope", "symbol", "measure", "params", "reason_code", "expires_at"}


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def json_body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"null")
    except ValueError:
        raise Refused(400, "Body is not JSON.") from None
    if not isinstance(data, dict):
        raise Refused(400, "Body must be a JSON object.")
    return data


def checked_restriction(data: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - PUT_KEYS)
    if unknown:
        raise Refused(400, f"Unknown keys: {', '.join(unknown)}.")
    measure = data.get("measure")
    if measure not in MEASURE_PARAMS:
        raise Refused(400, f"Unknown measure: {measure!r}.")
    scope, account_id, symbol = data.get("scope"), data.get("account_id"), data.get("symbol")
    for name, value in (("account_id", account_id), ("symbol", symbol)):
        if value is not None and (not isinstance(value, str) or not value):
            raise Refused(400, f"{name} must be a non-empty string or null.")
    if scope == "account" and not (account_id and symbol is None):
        raise Refused(400, "scope account needs account_id and no symbol.")
    if scope == "symbol" and not symbol:
        raise Refused(400, "scope symbol needs a symbol.")
    if scope == "platform" and (account_id or symbol):
        raise Refused(400, "scope platform takes neither account_id nor symbol.")
    if scope not in ("account", "symbol", "platform"):
        raise Refused(400, f"Unknown scope: {scope!r}.")
    params = data.get("params")
    if not isinstance(params, dict):
        raise Refused(400, "params must be an object.")
    wanted = MEASURE_PARAMS[measure]
    if set(params) - set(wanted):
        raise Refused(400, f"Unknown params for {measure}: {sorted(set(params) - set(wanted))}.")
    for name, kind in wanted.items():
        value = params.get(name)
        if isinstance(value, bool) or not isinstance(value, int if kind == "int" else int | float):
            raise Refused(
                400, f"params.{name} must be {'an integer' if kind == 'int' else 'a number'}."
            )
    if not isinstance(data.get("reason_code"), str) or not data["reason_code"]:
        raise Refused(400, "reason_code must be a non-empty string.")
    expires_at = data.get("expires_at")
    if expires_at is not None:
        try:
            expires_at = datetime.fromisoformat(expires_at)
        except (TypeError, ValueError):
            raise Refused(400, "expires_at must be an ISO-8601 time or null.") from None
        if expires_at.tzinfo is None:
            raise Refused(400, "expires_at must carry its time zone.")
    return {
        "account_id": account_id,
        "scope": scope,
        "symbol": symbol,
        "measure": measure,
        "params": params,
        "reason_code": data["reason_code"],
        "expires_at": expires_at,
    }
