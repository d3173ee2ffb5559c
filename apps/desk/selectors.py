import datetime as dt
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

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
# Bookkeeping of the machinery, not the business: leases, claim tokens, idempotency keys,
# the rank the queue sorts by. The history keeps them; the viewer does not show them.
INTERNAL_FIELDS = {
    "claim_token",
    "lease_until",
    "request_key",
    "queued_at",
    "next_attempt_at",
    "attempt_limit",
    "severity_rank",
    "priority",  # a case's sort key (severity and size), not a figure to read
    "links",
    "history_task",
}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S %Z"


def desk_time(value: datetime) -> str:
    """The one way the viewer writes a time: in the desk's zone (settings.TIME_ZONE)."""
    return timezone.localtime(value).strftime(TIME_FORMAT)


def _person(user: Any) -> str:
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{full} ({user.username})" if full else str(user)


def _shown(field: models.Field, value: Any, names: dict[tuple[type, Any], str]) -> Any:
    """A stored value as a person reads it: a label for a code, a name for an id, one time
    format, never a Python repr."""
    if value in (None, ""):
        return None
    if field.is_relation and field.related_model is not None:
        key = (field.related_model, value)
        if key not in names:
            row = field.related_model._default_manager.filter(pk=value).first()
            names[key] = _person(row) if hasattr(row, "username") else str(row or value)
        return names[key]
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, datetime):
        return desk_time(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)[:500]
    return value


def _actor(record: Any) -> str:
    """Who made the step: the person; a worker's step (a task, no person) names the worker
    and its task, never 'system'."""
    task = getattr(record, "history_task", "")
    if record.history_user:
        person = _person(record.history_user)
        return f"{person}, through the worker {task}" if task else person
    return f"worker: {task}" if task else "system (no person or task recorded)"


def history_entries(instance: models.Model) -> list[HistoryEntry]:
    """Every history row of one object, newest first, each with its field changes."""
    records = list(
        instance.history.select_related("history_user").order_by("history_date", "history_id")  # type: ignore[attr-defined]
    )
    model = type(instance)
    fields = {
        f.name: f
        for f in model._meta.concrete_fields
        if f.name not in INTERNAL_FIELDS and f.attname not in INTERNAL_FIELDS
    }
    names: dict[tuple[type, Any], str] = {}
    entries = []
    previous = None
    for record in records:
        if previous is None:
            changes = [
                FieldChange(
                    str(field.verbose_name),
                    None,
                    _shown(field, getattr(record, field.attname), names),
                )
                for field in fields.values()
                if getattr(record, field.attname, None) not in (None, "")
            ]
        else:
            delta = record.diff_against(previous)
            changes = [
                FieldChange(
                    str(fields[c.field].verbose_name),
                    _shown(fields[c.field], c.old, names),
                    _shown(fields[c.field], c.new, names),
                )
                for c in delta.changes
                if c.field in fields
            ]
        entries.append(
            HistoryEntry(
                at=record.history_date,
                kind=_KINDS.get(record.history_type, record.history_type),
                actor=_actor(record),
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
            rows.append(
                RecentChange(
                    record.history_date,
                    _actor(record),
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


def chain_day_links(day: dt.date) -> int:
    """How many links of the audit chain were made in the UTC day."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    return AuditEntry.objects.filter(at__gte=start, at__lt=start + dt.timedelta(days=1)).count()


def record_links(record: models.Model, *, limit: int = 20) -> list[AuditEntry]:
    """The audit chain's latest links about `record`, newest first."""
    return list(
        AuditEntry.objects.filter(
            model=record._meta.label_lower, object_id=str(record.pk)
        ).order_by("-seq")[:limit]
    )


def chain_head() -> list[AuditEntry]:
    """The chain's last link (none on an empty chain)."""
    return list(AuditEntry.objects.order_by("-seq")[:1])
