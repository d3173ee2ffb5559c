"""Reading one alert as shared/contracts/alerts.md defines it, with an error per field."""

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apps.alerts.models import Category, Severity

MAX_DEDUP_KEY = 200
MAX_EVIDENCE_BYTES = 64 * 1024
MAX_ACCOUNTS = 1000
# Nesting of the whole alert, containers counted (the alert itself is 1). Real evidence is a
# few levels deep; the limit keeps a hostile payload from exhausting the parser or a database.
MAX_DEPTH = 64
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


def storable_text(text: str) -> str:
    """`text` as every database and JSON answer can hold it: a lone surrogate (not Unicode)
    and NUL (refused by PostgreSQL) are written as visible escapes, the rest as it was."""
    text = text.encode("utf-8", errors="backslashreplace").decode("utf-8")
    return text.replace("\x00", "\\x00")


class ContractError(Exception):
    """The payload is not an alert per the contract; `errors` says why, per field. Field
    names and messages may quote the payload, so they are made storable here, once."""

    def __init__(self, errors: Errors, reason: str = "does not meet the alert contract") -> None:
        super().__init__(reason)
        self.errors = {
            storable_text(field): [storable_text(message) for message in messages]
            for field, messages in errors.items()
        }
        self.reason = storable_text(reason)


class TooDeep(ContractError):
    """JSON nested past what the parser follows."""

    def __init__(self) -> None:
        problem = f"Nested deeper than {MAX_DEPTH} levels."
        super().__init__({"payload": [problem]}, reason="nested too deep")


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
    """JSON as Python's json reads it (NaN and Infinity included: parse_alert names them)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise TooDeep() from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ContractError({"payload": [f"not JSON: {error}"]}, reason="not JSON") from None


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]')


def json_array_items(raw: str | bytes) -> list[str]:
    """The texts of the items of a JSON array, found without parsing them (so without
    recursion): a body too deep for the parser as a whole is split, and each item is then
    parsed, or rejected, on its own. Anything but an array is one item."""
    text = raw.decode("utf-8", errors="backslashreplace") if isinstance(raw, bytes) else raw
    if not text.lstrip().startswith("["):
        return [text]
    items: list[str] = []
    depth, start = 0, 0
    for token in _TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth == 1:
                start = token.end()
        elif mark in "]}":
            depth -= 1
            if depth == 0:
                last = text[start : token.start()]
                if last.strip() or items:
                    items.append(last)
                return items
        elif mark == "," and depth == 1:
            items.append(text[start : token.start()])
            start = token.end()
    items.append(text[start:])  # unterminated: what is left is one more (broken) item
    return items


def _text_problem(text: str) -> str:
    if "\x00" in text:
        return "Contains a NUL character (\\u0000), which no text may hold."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Contains a lone surrogate (\\ud800-\\udfff), which is not Unicode text."
    return ""


def _value_problem(value: Any, depth: int) -> str:
    """What makes `value` unstorable, if anything: text no database holds, NaN or Infinity
    (JSON has neither), or nesting past MAX_DEPTH. Walked without recursion."""
    stack = [(value, depth)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            problem = _text_problem(item)
        elif isinstance(item, float):
            problem = "" if math.isfinite(item) else "NaN and Infinity are not JSON numbers."
        elif isinstance(item, dict | list):
            if level > MAX_DEPTH:
                return f"Nested deeper than {MAX_DEPTH} levels."
            children = item
            if isinstance(item, dict):
                problem = next((p for p in map(_text_problem, item) if p), "")
                children = list(item.values())
            else:
                problem = ""
            stack.extend((child, level + 1) for child in children)
        else:
            problem = ""
        if problem:
            return problem
    return ""


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
    # Values the checks below would pass but no database stores (NaN in metrics, NUL in a
    # summary, a lone surrogate, absurd nesting): the alert is rejected, naming the field.
    for name, value in payload.items():
        problem = _text_problem(name) or _value_problem(value, depth=2)
        if problem:
            errors.setdefault(name, []).append(problem)
    if errors:
        raise ContractError(errors)

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
