"""The audit chain: every state change of a chained record also goes into one append-only
table, each link holding the SHA-256 of the link before it, so a link edited or removed later
no longer matches (`manage.py verify_audit`).

Hooked where history is written, since every change already writes a history row
(`apps.desk.history`): simple-history's `post_create_historical_record` for single saves and
deletes, the desk's bulk helpers, and `chain_history` for writers that build history rows
themselves (alert ingest). Which models are chained, each app declares (`chain_model`).

Concurrent writers take one lock inside their transaction before reading the head (an
advisory lock on PostgreSQL; SQLite serialises writers anyway), so the chain never forks; the
primary key `seq` would refuse a fork if it ever did.
"""

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connections, models, router, transaction

GENESIS = "0" * 64
# pg_advisory_xact_lock key: "audit" in ASCII; any constant all writers share.
_LOCK_KEY = 0x6175646974
_KINDS = {"+": "created", "~": "changed", "-": "deleted"}
_CHAINED: set[str] = set()


def chain_model(model: type[models.Model]) -> None:
    """Chain every history row of `model` (it must have simple-history's HistoricalRecords)."""
    _CHAINED.add(model._meta.label_lower)


def is_chained(model: type[models.Model]) -> bool:
    return model._meta.label_lower in _CHAINED


def chained_models() -> list[str]:
    return sorted(_CHAINED)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID | dt.timedelta):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"cannot chain a {type(value).__name__}")


def canonical(value: Any) -> str:
    """The one text a value hashes as: sorted keys, no spaces, ASCII (a lone surrogate or a
    NUL stays an escape, so every database stores it), NaN as text."""
    try:
        return json.dumps(
            value,
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
            default=_plain,
            allow_nan=False,
        )
    except ValueError:  # NaN / Infinity inside: spell them as text
        return canonical(json.loads(json.dumps(value, default=_plain), parse_constant=str))


@dataclass(frozen=True)
class Link:
    """A change to chain: what the history row says, before it gets its place."""

    at: dt.datetime
    model: str
    object_id: str
    kind: str
    actor: str
    reason: str
    history_id: int | None
    changes: dict[str, Any]


def body(entry: Any) -> str:
    """The text a link's hash covers (an AuditEntry, or anything with its fields): its
    columns as canonical JSON, a newline, then `changes`, already canonical JSON text (no
    second encoding: ingest chains thousands of links a batch). Canonical JSON has no raw
    newline, so the two parts cannot be shifted into each other."""
    columns = canonical(
        {
            "seq": entry.seq,
            "at": _plain(entry.at),
            "model": entry.model,
            "object_id": entry.object_id,
            "kind": entry.kind,
            "actor": entry.actor,
            "reason": entry.reason,
            "history_id": entry.history_id,
        }
    )
    return columns + "\n" + entry.changes


@dataclass
class _Row:
    """An AuditEntry's columns, cheaper to build than the model for thousands at once."""

    seq: int
    at: dt.datetime
    model: str
    object_id: str
    kind: str
    actor: str
    reason: str
    history_id: int | None
    changes: str
    prev_hash: str
    hash: str = ""


def link_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + content).encode("ascii")).hexdigest()


def _lock(using: str) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def append(links: Sequence[Link], *, using: str | None = None) -> None:
    """Put `links` at the end of the chain, in order, inside the caller's transaction."""
    if not links:
        return
    from apps.desk.models import AuditEntry

    using = using or router.db_for_write(AuditEntry)
    with transaction.atomic(using=using):
        # Held until the outermost transaction ends, so the next writer reads this head.
        _lock(using)
        head = AuditEntry.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
        seq, prev = head or (0, GENESIS)
        rows = []
        for link in links:
            seq += 1
            row = _Row(
                seq=seq,
                at=link.at,
                model=link.model,
                object_id=link.object_id,
                kind=link.kind,
                actor=link.actor[:200],
                reason=link.reason,
                history_id=link.history_id,
                changes=canonical(link.changes),
                prev_hash=prev,
            )
            row.hash = prev = link_hash(prev, body(row))
            rows.append(row)
        _insert(rows, using)


def _insert(rows: list[_Row], using: str) -> None:
    """COPY on PostgreSQL (ingest chains thousands of links a batch; a multi-row INSERT
    costs several times more), bulk_create elsewhere."""
    from apps.desk.models import AuditEntry

    connection = connections[using]
    if connection.vendor != "postgresql":
        entries = [AuditEntry(**vars(row)) for row in rows]
        AuditEntry.objects.using(using).bulk_create(entries, batch_size=500)
        return
    fields = AuditEntry._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column or f.name) for f in fields)
    # wrap_database_errors: a fork refused by the key is Django's IntegrityError, as with
    # bulk_create, not the driver's own error.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {AuditEntry._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([getattr(row, f.attname) for f in fields])


def actor_of(history_row: Any) -> str:
    if history_row.history_user_id:
        return f"user:{history_row.history_user_id}"
    task = getattr(history_row, "history_task", "")
    return f"task:{task}" if task else "system"


def _values(history_row: Any, names: Iterable[str] | None) -> dict[str, Any]:
    tracked = type(history_row).tracked_fields
    if names is not None:
        wanted = set(names)
        tracked = [f for f in tracked if f.name in wanted or f.attname in wanted]
    return {f.attname: getattr(history_row, f.attname) for f in tracked}


def links_of(history_rows: Iterable[Any], *, fields: Iterable[str] | None = None) -> list[Link]:
    """Links for history rows: a creation carries its filled fields, a change `fields` (every
    tracked field when not known), a deletion none."""
    names = list(fields) if fields is not None else None
    links = []
    for row in history_rows:
        kind = _KINDS.get(row.history_type, row.history_type)
        if kind == "created":
            changes = {k: v for k, v in _values(row, None).items() if v not in (None, "")}
        elif kind == "changed":
            changes = _values(row, names)
        else:
            changes = {}
        links.append(
            Link(
                at=row.history_date,
                model=row.instance_type._meta.label_lower,
                object_id=str(getattr(row, row.instance_type._meta.pk.attname)),
                kind=kind,
                actor=actor_of(row),
                reason=row.history_change_reason or "",
                history_id=row.pk,
                changes=changes,
            )
        )
    return links


def chain_history(
    model: type[models.Model], history_rows: Sequence[Any], *, fields: Iterable[str] | None = None
) -> None:
    """Chain history rows written in bulk (the desk's bulk helpers, alert ingest)."""
    if history_rows and is_chained(model):
        append(links_of(history_rows, fields=fields))


def _changed_since_last(history_row: Any) -> list[str] | None:
    """The fields a plain save() changed, against the object's history row before it."""
    previous = history_row.prev_record
    if previous is None:
        return None
    return [c.field for c in history_row.diff_against(previous).changes]


def _on_history_row(sender: Any, instance: Any, history_instance: Any, **kwargs: Any) -> None:
    if not is_chained(type(instance)):
        return
    fields = getattr(instance, "_audit_fields", None)
    if fields is None and history_instance.history_type == "~":
        fields = _changed_since_last(history_instance)
    links = links_of([history_instance], fields=fields)
    # A changed m2m with its own history (a case's watchers): the ids it holds now.
    for field in getattr(history_instance, "_history_m2m_fields", []):
        if fields is not None and field.name in fields:
            ids = getattr(instance, field.name).values_list("pk", flat=True)
            links[0].changes[field.name] = sorted(ids)
    append(links, using=kwargs.get("using"))


def connect() -> None:
    from simple_history.signals import post_create_historical_record

    post_create_historical_record.connect(_on_history_row, dispatch_uid="desk.audit_chain")


def current_actor() -> str:
    """Who is acting when no history row says it: the signed-in person, or the task."""
    from simple_history.models import HistoricalRecords

    from apps.desk.history import current_task

    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    task = current_task()
    return f"task:{task}" if task else "system"
