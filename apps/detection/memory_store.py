"""The desk's memory of accounts: kept in the database, folded in by every detection run,
read back once per run as the frames the rules judge a window against
(apps.detection.memory.AccountMemory).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
from django.db import transaction

from apps.accounts.memory import identifier_use_counts, memory_rows
from apps.accounts.services import (
    profiles_fold,
    remembered_window_locked,
    remembered_window_record,
)
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

if TYPE_CHECKING:
    from apps.accounts.models import RememberedWindow


@dataclass(frozen=True)
class Remembered:
    window: RememberedWindow
    new: bool  # False: the window had been remembered before and nothing changed


def _chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def identifier_widths(uses: pd.DataFrame, *, before: datetime | None = None) -> pd.DataFrame:
    """kind, value, accounts: for each identifier in ``uses`` (kind, value), how many
    accounts the desk saw use it before ``before``. One grouped query per chunk of values."""
    found: list[tuple[Any, ...]] = []
    for kind, values in uses.groupby("kind")["value"]:
        for chunk in _chunks(sorted({str(v) for v in values}), RECALL_CHUNK):
            found += identifier_use_counts(str(kind), chunk, before=before)
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
        identifiers += memory_rows("identifiers", RECALLED_IDENTIFIER, chunk, seen)
        profiles += memory_rows("profiles", RECALLED_PROFILE, chunk, known)
    if not identifiers and not profiles:
        return AccountMemory.empty()
    id_frame = pd.DataFrame(identifiers, columns=RECALLED_IDENTIFIER)
    if id_frame.empty:
        id_frame = AccountMemory.empty().identifiers
    profile_frame = pd.DataFrame(profiles, columns=RECALLED_PROFILE)
    if profile_frame.empty:
        profile_frame = AccountMemory.empty().profiles
    return AccountMemory(identifiers=id_frame, profiles=profile_frame)


@transaction.atomic
def memory_remember(*, feed: Feed, alerts: list[dict[str, Any]]) -> Remembered | None:
    """Fold one window (its accounts, identifiers, activity and the alerts raised on it)
    into the desk's memory. Once per window: the same window again changes nothing.
    None for a window with no events."""
    span = window_span(feed)
    if span is None:
        return None
    start, end = (moment.to_pydatetime() for moment in span)
    window = remembered_window_locked(start, end)
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
    profiles_fold(profiles.to_dict("records"), start, end)
    window = remembered_window_record(
        start=start,
        end=end,
        folder=str(feed.folder),
        accounts=len(profiles),
        identifiers=counts.identifiers_seen,
    )
    return Remembered(window, new=True)


__all__ = ["RECALL_CHUNK", "Remembered", "memory_recall", "memory_remember"]
