"""The desk's memory of accounts: kept in the database, folded in by every detection run,
read back once per run as the frames the rules judge a window against
(apps.detection.memory.AccountMemory).
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from django.db import connections, router, transaction

from apps.accounts.bulk import rows_update
from apps.accounts.locks import MEMORY, one_at_a_time
from apps.accounts.models import AccountProfile, Identifier, RememberedWindow
from apps.detection.feed import Feed
from apps.detection.loading import LoadCounts, load_accounts, load_identifiers
from apps.detection.memory import (
    RECALLED_IDENTIFIER,
    RECALLED_PROFILE,
    AccountMemory,
    window_profiles,
    window_sightings,
    window_span,
)

# Accounts per query when reading the memory back: under SQLite's limit on parameters,
# and few enough round trips at 50,000 accounts (10 per table).
RECALL_CHUNK = 5_000
FOLD_CHUNK = 2_000


@dataclass(frozen=True)
class Remembered:
    window: RememberedWindow
    new: bool  # False: the window had been remembered before and nothing changed


def _chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _rows(
    model: type[Identifier] | type[AccountProfile],
    columns: list[str],
    accounts: list[str],
    since: tuple[str, datetime] | None,
) -> list[tuple[Any, ...]]:
    """Rows of ``model`` for ``accounts`` as the database driver returns them, in one query.

    Written as SQL because the ORM's preparation of 5,000 related ids and its per-row work
    cost seconds at 50,000 accounts; these columns need no conversion (text, numbers).
    """
    connection = connections[router.db_for_read(model)]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(accounts))
    sql = f"SELECT {names} FROM {table} WHERE account_id IN ({marks})"
    params: list[Any] = list(accounts)
    if since is not None:
        sql += f" AND {connection.ops.quote_name(since[0])} < %s"
        params.append(connection.ops.adapt_datetimefield_value(since[1]))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def identifier_widths(uses: pd.DataFrame, *, before: datetime | None = None) -> pd.DataFrame:
    """kind, value, accounts: for each identifier in ``uses`` (kind, value), how many
    accounts the desk saw use it before ``before``. One grouped query per chunk of values."""
    found: list[tuple[Any, ...]] = []
    connection = connections[router.db_for_read(Identifier)]
    table = connection.ops.quote_name(Identifier._meta.db_table)
    for kind, values in uses.groupby("kind")["value"]:
        for chunk in _chunks(sorted({str(v) for v in values}), RECALL_CHUNK):
            marks = ", ".join(["%s"] * len(chunk))
            sql = (
                f"SELECT kind, value, COUNT(DISTINCT account_id) FROM {table} "
                f"WHERE kind = %s AND value IN ({marks})"
            )
            params: list[Any] = [kind, *chunk]
            if before is not None:
                sql += " AND first_seen < %s"
                params.append(connection.ops.adapt_datetimefield_value(before))
            with connection.cursor() as cursor:
                cursor.execute(sql + " GROUP BY kind, value", params)
                found += cursor.fetchall()
    return pd.DataFrame(found, columns=["kind", "value", "accounts"])


def memory_recall(account_ids: Iterable[str], *, before: datetime | None = None) -> AccountMemory:
    """The memory of these accounts, in 2 queries per RECALL_CHUNK accounts.

    ``before``: the window's start. What was first seen from then on came from this
    window itself (run again) or a later one, and is left out: a thief's device must not
    become "known" because the desk already ran the window it appears in.
    """
    ids = sorted({str(a) for a in account_ids})
    identifiers: list[tuple[Any, ...]] = []
    profiles: list[tuple[Any, ...]] = []
    for chunk in _chunks(ids, RECALL_CHUNK):
        seen = ("first_seen", before) if before is not None else None
        known = ("first_window_at", before) if before is not None else None
        identifiers += _rows(Identifier, RECALLED_IDENTIFIER, chunk, seen)
        profiles += _rows(AccountProfile, RECALLED_PROFILE, chunk, known)
    if not identifiers and not profiles:
        return AccountMemory.empty()
    id_frame = pd.DataFrame(identifiers, columns=RECALLED_IDENTIFIER)
    if id_frame.empty:
        id_frame = AccountMemory.empty().identifiers
    profile_frame = pd.DataFrame(profiles, columns=RECALLED_PROFILE)
    if profile_frame.empty:
        profile_frame = AccountMemory.empty().profiles
    return AccountMemory(identifiers=id_frame, profiles=profile_frame)


def _blend(old: dict[str, float], new: dict[str, float]) -> dict[str, float]:
    """Usual order size per symbol: each window moves it halfway (in log terms) towards
    what the window showed, so one odd day cannot redefine the account."""
    merged = dict(old)
    for symbol, value in new.items():
        before = merged.get(symbol)
        ok = before is not None and before > 0 and value > 0
        merged[symbol] = round(math.sqrt(before * value), 2) if ok else value  # type: ignore[operator]
    return merged


def _added(old: dict[str, int], new: dict[str, int]) -> dict[str, int]:
    return {k: old.get(k, 0) + new.get(k, 0) for k in sorted({*old, *new})}


def _fold_profiles(frame: pd.DataFrame, start: datetime, end: datetime) -> None:
    rows = frame.to_dict("records")
    for done in range(0, len(rows), FOLD_CHUNK):
        chunk = rows[done : done + FOLD_CHUNK]
        stored = AccountProfile.objects.in_bulk([r["account_id"] for r in chunk])
        new, changed = [], []
        for row in chunk:
            profile = stored.get(row["account_id"])
            if profile is None:
                new.append(
                    AccountProfile(
                        account_id=row["account_id"],
                        first_window_at=start,
                        last_window_at=end,
                        days_observed=row["days_observed"],
                        active_days=row["active_days"],
                        orders=row["orders"],
                        usual_equity=row["usual_equity"],
                        order_notional=row["order_notional"],
                        findings=row["findings"],
                    )
                )
                continue
            profile.first_window_at = min(profile.first_window_at, start)
            profile.last_window_at = max(profile.last_window_at, end)
            profile.days_observed += row["days_observed"]
            profile.active_days += row["active_days"]
            profile.orders += row["orders"]
            profile.usual_equity = max(profile.usual_equity, row["usual_equity"])
            profile.order_notional = _blend(profile.order_notional, row["order_notional"])
            profile.findings = _added(profile.findings, row["findings"])
            changed.append(profile)
        AccountProfile.objects.bulk_create(new, batch_size=1000)
        rows_update(
            AccountProfile,
            changed,
            [
                "first_window_at",
                "last_window_at",
                "days_observed",
                "active_days",
                "orders",
                "usual_equity",
                "order_notional",
                "findings",
            ],
        )


@transaction.atomic
def memory_remember(*, feed: Feed, alerts: list[dict[str, Any]]) -> Remembered | None:
    """Fold one window (its accounts, identifiers, activity and the alerts raised on it)
    into the desk's memory. Once per window: the same window again changes nothing.
    None for a window with no events."""
    span = window_span(feed)
    if span is None:
        return None
    start, end = (moment.to_pydatetime() for moment in span)
    one_at_a_time(RememberedWindow, MEMORY)
    window = RememberedWindow.objects.select_for_update().filter(start=start, end=end).first()
    if window is not None:
        return Remembered(window, new=False)
    counts = LoadCounts()
    if feed.accounts is not None:
        load_accounts(feed.accounts, counts)
    sightings = window_sightings(feed)
    load_identifiers(sightings, counts)
    profiles = window_profiles(feed, alerts)
    # Accounts that only appear in orders or alerts are not the desk's to profile yet.
    known = set(feed.accounts["account_id"].astype(str)) if feed.accounts is not None else set()
    profiles = profiles[profiles["account_id"].isin(known)]
    _fold_profiles(profiles, start, end)
    window = RememberedWindow.objects.create(
        start=start,
        end=end,
        folder=str(feed.folder),
        accounts=len(profiles),
        identifiers=counts.identifiers_seen,
    )
    return Remembered(window, new=True)


__all__ = ["RECALL_CHUNK", "Remembered", "memory_recall", "memory_remember"]
