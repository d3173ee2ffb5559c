"""The desk's memory of accounts read back for detection (apps.detection.memory_store): the
identifiers and profiles every run folds in, recalled once per run for the rules, in raw SQL
because the ORM's per-row work costs seconds at 50,000 accounts."""

from datetime import datetime
from typing import Any, Literal

from django.db import connections, router

from apps.accounts.models import AccountProfile, Identifier

MEMORY_TABLES = {"identifiers": Identifier, "profiles": AccountProfile}


def memory_rows(
    table: Literal["identifiers", "profiles"],
    columns: list[str],
    accounts: list[str],
    since: tuple[str, datetime] | None,
) -> list[tuple[Any, ...]]:
    """Rows of the desk's memory of ``accounts`` (identifiers or profiles) as the database
    driver returns them, in one query; ``since``: (column, moment), only rows before it.

    Written as SQL because the ORM's preparation of 5,000 related ids and its per-row work
    cost seconds at 50,000 accounts; these columns need no conversion (text, numbers).
    """
    model = MEMORY_TABLES[table]
    connection = connections[router.db_for_read(model)]
    db_table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(accounts))
    sql = f"SELECT {names} FROM {db_table} WHERE account_id IN ({marks})"
    params: list[Any] = list(accounts)
    if since is not None:
        sql += f" AND {connection.ops.quote_name(since[0])} < %s"
        params.append(connection.ops.adapt_datetimefield_value(since[1]))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def identifier_use_counts(
    kind: str, values: list[str], *, before: datetime | None = None
) -> list[tuple[Any, ...]]:
    """(kind, value, accounts) for each of ``values``: how many accounts the desk saw use
    it before ``before``, in one grouped query."""
    connection = connections[router.db_for_read(Identifier)]
    table = connection.ops.quote_name(Identifier._meta.db_table)
    marks = ", ".join(["%s"] * len(values))
    sql = (
        f"SELECT kind, value, COUNT(DISTINCT account_id) FROM {table} "
        f"WHERE kind = %s AND value IN ({marks})"
    )
    params: list[Any] = [kind, *values]
    if before is not None:
        sql += " AND first_seen < %s"
        params.append(connection.ops.adapt_datetimefield_value(before))
    with connection.cursor() as cursor:
        cursor.execute(sql + " GROUP BY kind, value", params)
        return cursor.fetchall()
