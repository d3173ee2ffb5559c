"""How a batch of alerts reaches the database in a handful of statements whatever its size:
rows as one array per column (unnest) or COPY on PostgreSQL, a VALUES list or bulk_create
elsewhere; the upsert on `dedup_key` that turns a repeat into a count on the first alert;
the stream entries already stored (apps.alerts.ingest decides what to store)."""

import json
from typing import Any

from django.db import connection
from django.db.models import JSONField

from apps.alerts.models import Alert

CHUNK = 500  # rows per statement: well under the bind-parameter limits of both databases


ALERT_COLUMNS = [f for f in Alert._meta.concrete_fields if not f.primary_key]


def _pg_value(field: Any, value: Any) -> Any:
    """A value as psycopg takes it: JSON as its text, the rest as Python has it (psycopg
    adapts str, int, float, aware datetimes and None itself)."""
    if isinstance(field, JSONField):
        return json.dumps(value, cls=field.encoder)
    return value


def _pg_type(field: Any) -> str:
    # JSON travels as text and is cast on the server.
    return "text" if isinstance(field, JSONField) else field.db_type(connection)


def rows_source(fields: list[Any], objs: list[Any]) -> tuple[str, list[Any]]:
    """The rows to insert, as SQL and parameters. On PostgreSQL one array per column
    (unnest): a handful of parameters whatever the batch size, where a VALUES list of
    thousands of parameters spends more time being bound in Python than stored."""
    if connection.vendor == "postgresql":
        arrays = [[_pg_value(f, getattr(o, f.attname)) for o in objs] for f in fields]
        casts = ", ".join(
            f"%s::{_pg_type(f)}[]" + ("::jsonb[]" if isinstance(f, JSONField) else "")
            for f in fields
        )
        return f"SELECT * FROM unnest({casts})", arrays
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [f.get_db_prep_save(getattr(o, f.attname), connection) for o in objs for f in fields]
    return "VALUES " + ", ".join([row] * len(objs)), params


def bulk_insert(model: Any, objs: list[Any]) -> None:
    """Insert rows whose ids nobody needs back: COPY on PostgreSQL, bulk_create elsewhere."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=500)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for obj in objs:
            copy.write_row([_pg_value(f, getattr(obj, f.attname)) for f in fields])


def upsert_alerts(alerts: list[Alert]) -> dict[str, tuple[int, int]]:
    """INSERT … ON CONFLICT (dedup_key) DO UPDATE; dedup_key -> (id, repeat_count)."""
    quote = connection.ops.quote_name
    table = quote(Alert._meta.db_table)
    columns = ", ".join(quote(f.column) for f in ALERT_COLUMNS if f.column)
    source, params = rows_source(ALERT_COLUMNS, alerts)
    newer = f"EXCLUDED.detected_at >= {table}.detected_at"
    rises = f"EXCLUDED.severity_rank > {table}.severity_rank"
    sql = (
        f"INSERT INTO {table} ({columns}) {source} "
        f"ON CONFLICT (dedup_key) DO UPDATE SET "
        f"repeat_count = {table}.repeat_count + EXCLUDED.repeat_count + 1, "
        f"last_seen = EXCLUDED.last_seen, "
        f"metrics = CASE WHEN {newer} THEN EXCLUDED.metrics ELSE {table}.metrics END, "
        # A finding that grew says so (feed-stream.md): its newer score, summary and
        # evidence, and a severity that may rise, never fall; a rise tightens the SLA.
        + "".join(
            f"{c} = CASE WHEN {newer} THEN EXCLUDED.{c} ELSE {table}.{c} END, "
            for c in ("score", "summary", "evidence")
        )
        + f"severity = CASE WHEN {rises} THEN EXCLUDED.severity ELSE {table}.severity END, "
        f"sla_due_at = CASE WHEN {rises} AND EXCLUDED.sla_due_at < {table}.sla_due_at "
        f"THEN EXCLUDED.sla_due_at ELSE {table}.sla_due_at END, "
        f"severity_rank = CASE WHEN {rises} THEN EXCLUDED.severity_rank "
        f"ELSE {table}.severity_rank END, "
        f"detected_at = CASE WHEN {newer} THEN EXCLUDED.detected_at "
        f"ELSE {table}.detected_at END "
        f"RETURNING id, dedup_key, repeat_count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {key: (pk, count) for pk, key, count in cursor.fetchall()}


def record_deliveries(stream: str, entry_ids: list[str], now: Any) -> set[str]:
    """Record the stream entries; the ids that were not recorded before."""
    from apps.alerts.models import StreamDelivery

    table = connection.ops.quote_name(StreamDelivery._meta.db_table)
    fields = [StreamDelivery._meta.get_field(name) for name in ("stream", "entry_id", "stored_at")]
    unique = list(dict.fromkeys(entry_ids))
    fresh: set[str] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(unique), CHUNK):
            rows = [
                StreamDelivery(stream=stream, entry_id=entry_id, stored_at=now)
                for entry_id in unique[start : start + CHUNK]
            ]
            source, params = rows_source(fields, rows)
            cursor.execute(
                f"INSERT INTO {table} (stream, entry_id, stored_at) {source} "
                "ON CONFLICT (stream, entry_id) DO NOTHING RETURNING entry_id",
                params,
            )
            fresh.update(entry_id for (entry_id,) in cursor.fetchall())
    return fresh
