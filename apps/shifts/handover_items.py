"""The open items a handover lists, gathered by collectors other apps register.

An app that owns open work (alerts, cases, actions) registers a collector in its
AppConfig.ready():

    from apps.shifts.handover_items import HandoverItem, register_collector
    register_collector("alerts_unclaimed", "Unclaimed alerts", unclaimed_alerts, order=10)

A collector takes the outgoing shift and returns HandoverItems. The handover stores what
they returned at writing time as JSON, so it later shows what the outgoing shift saw.
"""

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.urls import reverse

if TYPE_CHECKING:
    from apps.shifts.models import Shift

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HandoverItem:
    title: str
    detail: str = ""
    url: str = ""
    ref: str = ""  # the record's key (e.g. "alert:123"), for tests and later reconciliation


Collector = Callable[["Shift"], list[HandoverItem]]


@dataclass(frozen=True)
class _Registered:
    key: str
    label: str
    collector: Collector
    order: int


_COLLECTORS: dict[str, _Registered] = {}


def register_collector(key: str, label: str, collector: Collector, *, order: int = 100) -> None:
    _COLLECTORS[key] = _Registered(key, label, collector, order)


def collectors() -> list[_Registered]:
    return sorted(_COLLECTORS.values(), key=lambda r: (r.order, r.key))


def collect(shift: "Shift") -> dict[str, Any]:
    """Every registered collector's items for `shift`, as the JSON a handover stores.

    A collector that fails does not stop the handover being written: its section says so,
    which the incoming shift must see rather than an empty list that looks like "nothing".
    """
    sections = []
    for registered in collectors():
        section: dict[str, Any] = {"key": registered.key, "label": registered.label}
        try:
            section["items"] = [asdict(item) for item in registered.collector(shift)]
        except Exception as error:
            log.exception("handover collector %s failed", registered.key)
            section["items"] = []
            section["error"] = f"could not be collected: {type(error).__name__}"
        sections.append(section)
    return {"collected_at": datetime.now(UTC).isoformat(), "sections": sections}


def pending_shift_changes(shift: "Shift") -> list[HandoverItem]:
    from apps.shifts.models import ShiftChange

    pending = ShiftChange.objects.filter(status=ShiftChange.Status.REQUESTED).select_related(
        "shift__pattern", "requester", "counterpart"
    )
    return [
        HandoverItem(
            title=f"{change.get_kind_display().split(' ')[0]} request by {change.requester}",
            detail=f"{change.shift} → {change.counterpart}: {change.reason}",
            url=reverse("shifts:changes"),
            ref=f"shift-change:{change.pk}",
        )
        for change in pending
    ]


def coverage_gaps_ahead(shift: "Shift") -> list[HandoverItem]:
    """Gaps in the day after the outgoing shift ends: the incoming shift must fill them."""
    from apps.shifts.selectors import coverage_gaps

    gaps = coverage_gaps(shift.ends_at, shift.ends_at + timedelta(hours=24))
    return [
        HandoverItem(
            title=gap.title,
            detail=gap.when_label,
            url=reverse("shifts:detail", args=[gap.shift.pk]) if gap.shift else "",
            ref=f"shift:{gap.shift.pk}" if gap.shift else f"uncovered:{gap.start.isoformat()}",
        )
        for gap in gaps
    ]


def register_builtin_collectors() -> None:
    register_collector("shift_changes", "Cover and swap requests awaiting a supervisor",
                       pending_shift_changes, order=90)  # fmt: skip
    register_collector("coverage_gaps", "Coverage gaps in the next 24 hours",
                       coverage_gaps_ahead, order=91)  # fmt: skip
