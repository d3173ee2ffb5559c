"""Writes to the desk's accounts that detection makes when it loads a feed window (the
exchange's accounts, the identifiers they were seen using, the record of the load) and
when it folds a window into the desk's memory (account profiles, remembered windows).

Bulk and idempotent: loading the same window twice changes nothing the second time."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts.bulk import rows_update
from apps.accounts.locks import MEMORY, one_at_a_time
from apps.accounts.models import (
    AccountProfile,
    ExchangeAccount,
    FeedLoad,
    Identifier,
    RememberedWindow,
)
from apps.desk.history import bulk_create_by, bulk_update_by

ACCOUNT_FIELDS = [
    "registered_at",
    "kyc_level",
    "vip_tier",
    "api_trading_allowed",
    "market_maker",
    "referrer_id",
]

# (account_id, kind, value, first_seen, last_seen, times_seen) of one window
Sighting = tuple[str, str, str, datetime, datetime, int]


def accounts_upsert(values: dict[str, dict[str, Any]]) -> tuple[int, int]:
    """Create the accounts not yet known and update those whose ACCOUNT_FIELDS changed,
    in one transaction with history rows naming the running task; (created, updated)."""
    existing = ExchangeAccount.objects.in_bulk(list(values))
    new, changed = [], []
    for account_id, fields in values.items():
        account = existing.get(account_id)
        if account is None:
            new.append(ExchangeAccount(account_id=account_id, **fields))
        elif any(getattr(account, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(account, name, value)
            changed.append(account)
    with transaction.atomic():
        bulk_create_by(new, ExchangeAccount, by=None, reason="loaded from the feed")
        if changed:
            reason = "changed in the feed"
            bulk_update_by(changed, ExchangeAccount, ACCOUNT_FIELDS, by=None, reason=reason)
    return len(new), len(changed)


def _merge(old: Identifier, first: datetime, last: datetime, times: int) -> bool:
    """Fold one window's sightings into a stored identifier; True when it changed."""
    if first > old.last_seen:  # a later window: the sightings are new ones
        merged = (old.first_seen, last, old.times_seen + times)
    else:  # the same or an overlapping window again: never count twice
        merged = (min(old.first_seen, first), max(old.last_seen, last), max(old.times_seen, times))
    if merged == (old.first_seen, old.last_seen, old.times_seen):
        return False
    old.first_seen, old.last_seen, old.times_seen = merged
    return True


def identifiers_fold(sightings: Iterable[Sighting]) -> None:
    """Fold one chunk of a window's sightings into the stored identifiers, in one transaction:
    new ones created, seen ones widened (see _merge)."""
    sightings = list(sightings)
    stored = {
        (i.account_id, i.kind, i.value): i
        for i in Identifier.objects.filter(account_id__in={s[0] for s in sightings})
    }
    new, changed = [], []
    for account_id, kind, value, first, last, times in sightings:
        old = stored.get((account_id, kind, value))
        if old is None:
            new.append(
                Identifier(
                    account_id=account_id,
                    kind=kind,
                    value=value,
                    first_seen=first,
                    last_seen=last,
                    times_seen=times,
                )
            )
        elif _merge(old, first, last, times):
            changed.append(old)
    with transaction.atomic():
        Identifier.objects.bulk_create(new, batch_size=1000)
        rows_update(Identifier, changed, ["first_seen", "last_seen", "times_seen"])


def feed_load_start(folder: str) -> FeedLoad:
    """The record of a feed window's load, begun."""
    return FeedLoad.objects.create(folder=folder)


def feed_load_finish(load: FeedLoad, **counts: int) -> FeedLoad:
    """Close the record of a load with what it found (links, clusters, accounts_created,
    accounts_updated, identifiers_seen)."""
    for name, value in counts.items():
        setattr(load, name, value)
    load.finished_at = timezone.now()
    load.save()
    return load


FOLD_CHUNK = 2_000  # profiles read and written per round trip


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


def profiles_fold(rows: list[dict[str, Any]], start: datetime, end: datetime) -> None:
    """Fold one window's activity per account into the desk's account profiles, in bulk:
    new profiles created, known ones widened. Runs inside the caller's transaction."""
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


def remembered_window_locked(start: datetime, end: datetime) -> RememberedWindow | None:
    """Take the memory's lock (until commit) and the window already remembered, if any."""
    one_at_a_time(RememberedWindow, MEMORY)
    return RememberedWindow.objects.select_for_update().filter(start=start, end=end).first()


def remembered_window_record(
    *, start: datetime, end: datetime, folder: str, accounts: int, identifiers: int
) -> RememberedWindow:
    """The record that a window was folded into the memory."""
    return RememberedWindow.objects.create(
        start=start, end=end, folder=folder, accounts=accounts, identifiers=identifiers
    )
