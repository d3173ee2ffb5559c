"""Why an alert was raised, as its page shows it: each metric beside its threshold, with
units, and how far past it (the detector's ``evidence["explain"]`` rows, docs/alerts.md)."""

from dataclasses import dataclass
from typing import Any

from apps.alerts.models import Alert

EXPLAIN = "explain"  # evidence key of the metric / threshold rows (docs/alerts.md)
SIGNS = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}


@dataclass(frozen=True)
class WhyRow:
    """One line of "why this alert": what was measured, against what, how far past."""

    label: str
    value: str
    threshold: str = ""
    past: str = ""
    crossed: bool = False


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}"


def _with_unit(value: Any, unit: str) -> str:
    return f"{_number(value)} {unit}".strip()


def why_rows(alert: Alert) -> tuple[list[WhyRow], bool]:
    """The alert's explanation rows, and whether the detector sent them; without them
    (another detector, an older alert) every metric becomes a row of its own."""
    rows = alert.evidence.get(EXPLAIN) if isinstance(alert.evidence, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows) or not rows:
        metrics = alert.metrics if isinstance(alert.metrics, dict) else {}
        return [WhyRow(k.replace("_", " "), _number(v)) for k, v in metrics.items()], False
    shown = []
    for row in rows:
        unit, threshold, past = str(row.get("unit") or ""), row.get("threshold"), row.get("past")
        comparison = str(row.get("comparison") or ">=")
        upward = comparison in (">=", ">")
        crossed = isinstance(past, int | float) and past >= 1
        if not isinstance(past, int | float):
            how = ""
        elif crossed:
            how = (
                f"{past:,.1f}\u00d7 the threshold"
                if upward
                else f"{past:,.1f}\u00d7 under the threshold"
            )
        else:
            how = "not reached"
        shown.append(
            WhyRow(
                label=str(row.get("label") or ""),
                value=_with_unit(row.get("value"), unit),
                threshold=""
                if threshold is None
                else f"{SIGNS.get(comparison, comparison)} " + _with_unit(threshold, unit),
                past=how,
                crossed=crossed,
            )
        )
    return shown, True
