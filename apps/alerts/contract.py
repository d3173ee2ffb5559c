"""Reading one alert as shared/contracts/alerts.md defines it, with an error per field."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apps.alerts.models import Category, Severity

MAX_DEDUP_KEY = 200
MAX_EVIDENCE_BYTES = 64 * 1024
MAX_ACCOUNTS = 1000
FIELDS = {
    "dedup_key",
    "rule",
    "category",
    "severity",
    "score",
    "accounts",
    "symbol",
    "window_start",
    "window_end",
    "detected_at",
    "summary",
    "metrics",
    "evidence",
    "source",
}
Errors = dict[str, list[str]]


class ContractError(Exception):
    """The payload is not an alert per the contract; `errors` says why, per field."""

    def __init__(self, errors: Errors, reason: str = "does not meet the alert contract") -> None:
        super().__init__(reason)
        self.errors = errors
        self.reason = reason


@dataclass(frozen=True)
class AlertIn:
    dedup_key: str
    rule: str
    category: str
    severity: str
    score: float | None
    accounts: tuple[str, ...]
    symbol: str
    window_start: datetime | None
    window_end: datetime | None
    detected_at: datetime
    summary: str
    metrics: dict[str, Any]
    evidence: dict[str, Any]
    source: str


def parse_json(raw: str | bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ContractError({"payload": [f"not JSON: {error}"]}, reason="not JSON") from None


def _text(payload: dict, name: str, errors: Errors, *, limit: int, required: bool = True) -> str:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            errors.setdefault(name, []).append("This field is required.")
        return ""
    if not isinstance(value, str):
        errors.setdefault(name, []).append("Must be a string.")
        return ""
    if len(value) > limit:
        errors.setdefault(name, []).append(f"At most {limit} characters (got {len(value)}).")
    return value


def _time(payload: dict, name: str, errors: Errors, *, required: bool) -> datetime | None:
    value = payload.get(name)
    if value is None:
        if required:
            errors.setdefault(name, []).append("This field is required.")
        return None
    if not isinstance(value, str):
        errors.setdefault(name, []).append("Must be an ISO-8601 time string.")
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        errors.setdefault(name, []).append(f"Not an ISO-8601 time: {value!r}.")
        return None
    if moment.tzinfo is None:
        errors.setdefault(name, []).append("Needs a time zone: write UTC as a trailing Z.")
        return None
    return moment.astimezone(UTC)


def _object(payload: dict, name: str, errors: Errors) -> dict[str, Any]:
    value = payload.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.setdefault(name, []).append("Must be a JSON object.")
        return {}
    return value


def _accounts(payload: dict, category: str, errors: Errors) -> tuple[str, ...]:
    value = payload.get("accounts")
    if value is None:
        value = []
    if not isinstance(value, list):
        errors.setdefault("accounts", []).append("Must be a list of account ids.")
        return ()
    problems = []
    if not value and category != Category.MARKET_STRESS:
        problems.append("At least one account: only market_stress alerts may name none.")
    if len(value) > MAX_ACCOUNTS:
        problems.append(f"At most {MAX_ACCOUNTS} accounts (got {len(value)}).")
    if any(not isinstance(a, str) or not a or len(a) > 64 for a in value):
        problems.append("Each account id is a non-empty string of at most 64 characters.")
    elif len(set(value)) != len(value):
        problems.append("An account is listed twice.")
    if problems:
        errors.setdefault("accounts", []).extend(problems)
        return ()
    return tuple(value)


def parse_alert(payload: Any) -> AlertIn:
    """The alert in `payload`, or ContractError naming every field that is wrong."""
    if not isinstance(payload, dict):
        raise ContractError(
            {"payload": [f"An alert is a JSON object, not {type(payload).__name__}."]},
            reason="not a JSON object",
        )
    errors: Errors = {}
    for unknown in sorted(set(payload) - FIELDS):
        errors.setdefault(unknown, []).append("Not a field of the alert contract.")

    dedup_key = _text(payload, "dedup_key", errors, limit=MAX_DEDUP_KEY)
    rule = _text(payload, "rule", errors, limit=100)
    category = payload.get("category")
    if category not in Category.values:
        errors["category"] = [f"One of: {', '.join(Category.values)}."]
        category = ""
    severity = payload.get("severity")
    if severity not in Severity.values:
        errors["severity"] = [f"One of: {', '.join(Severity.values)}."]
        severity = ""

    score = payload.get("score")
    if score is not None and (
        isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 100
    ):
        errors["score"] = ["A number from 0 to 100, or null."]
        score = None

    accounts = _accounts(payload, str(category), errors)
    symbol = _text(payload, "symbol", errors, limit=40, required=False)
    window_start = _time(payload, "window_start", errors, required=False)
    window_end = _time(payload, "window_end", errors, required=False)
    if window_start and window_end and window_end < window_start:
        errors.setdefault("window_end", []).append("Ends before window_start.")
    detected_at = _time(payload, "detected_at", errors, required=True)

    summary = _text(payload, "summary", errors, limit=500)
    if "\n" in summary or "\r" in summary:
        errors.setdefault("summary", []).append("One line: no line breaks.")
    metrics = _object(payload, "metrics", errors)
    evidence = _object(payload, "evidence", errors)
    if evidence:
        size = len(json.dumps(evidence, separators=(",", ":")).encode())
        if size > MAX_EVIDENCE_BYTES:
            errors.setdefault("evidence", []).append(
                f"At most 64 KiB of JSON (got {size:,} bytes)."
            )
    source = _text(payload, "source", errors, limit=100, required=False)

    if errors:
        raise ContractError(errors)
    assert detected_at is not None
    return AlertIn(
        dedup_key=dedup_key,
        rule=rule,
        category=str(category),
        severity=str(severity),
        score=float(score) if score is not None else None,
        accounts=accounts,
        symbol=symbol,
        window_start=window_start,
        window_end=window_end,
        detected_at=detected_at,
        summary=summary,
        metrics=metrics,
        evidence=evidence,
        source=source,
    )
