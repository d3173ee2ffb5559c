import datetime as dt
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models

from apps.desk.models import AuditEntry


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    kind: str  # created, changed, deleted
    actor: str
    reason: str
    changes: list[FieldChange]


_KINDS = {"+": "created", "~": "changed", "-": "deleted"}


def history_entries(instance: models.Model) -> list[HistoryEntry]:
    """Every history row of one object, newest first, each with its field changes."""
    records = list(
        instance.history.select_related("history_user").order_by("history_date", "history_id")  # type: ignore[attr-defined]
    )
    entries = []
    previous = None
    for record in records:
        if previous is None:
            changes = [
                FieldChange(field.verbose_name, None, getattr(record, field.attname))
                for field in record.instance_type._meta.concrete_fields
                if getattr(record, field.attname, None) not in (None, "")
            ]
        else:
            delta = record.diff_against(previous)
            changes = [FieldChange(c.field, c.old, c.new) for c in delta.changes]
        actor = (
            str(record.history_user)
            if record.history_user
            else f"task {record.history_task}"
            if getattr(record, "history_task", "")
            else "system"
        )
        entries.append(
            HistoryEntry(
                at=record.history_date,
                kind=_KINDS.get(record.history_type, record.history_type),
                actor=actor,
                reason=record.history_change_reason or "",
                changes=changes,
            )
        )
        previous = record
    return list(reversed(entries))


@dataclass(frozen=True)
class RecentChange:
    at: datetime
    actor: str
    kind: str
    key: str  # the history key of the record (apps.desk.history.register_history)
    pk: str
    label: str


def recent_changes(limit: int = 15) -> list[RecentChange]:
    """The newest history rows across every registered kind of record."""
    from apps.desk.history import history_keys, history_model

    rows: list[RecentChange] = []
    for key in history_keys():
        registered = history_model(key)
        assert registered is not None
        model = registered[0]
        records = model.history.select_related("history_user")  # type: ignore[attr-defined]
        for record in records.order_by("-history_date")[:limit]:
            actor = (
                str(record.history_user) if record.history_user else f"task {record.history_task}"
            )
            rows.append(
                RecentChange(
                    record.history_date,
                    actor,
                    _KINDS.get(record.history_type, "changed"),
                    key,
                    str(getattr(record, model._meta.pk.attname)),
                    f"{model._meta.verbose_name} {str(record.instance)[:60]}",
                )
            )
    return sorted(rows, key=lambda row: row.at, reverse=True)[:limit]


def day_closing_hash(day: dt.date) -> str | None:
    """The hash of the day's last link (UTC day, by when the change was made), or None when
    nothing changed that day. Printed in the daily report: a link of that day or before,
    changed or removed later, no longer leads to it."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    return (
        AuditEntry.objects.filter(at__gte=start, at__lt=start + dt.timedelta(days=1))
        .order_by("-seq")
        .values_list("hash", flat=True)
        .first()
    )
