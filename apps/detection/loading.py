"""Loading the exchange's accounts and their identifiers from a feed window.

Idempotent: loading the same window twice changes nothing the second time; loading a
later window widens first/last seen and adds to how often an identifier was seen.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from apps.accounts.bulk import rows_update
from apps.accounts.models import ExchangeAccount, FeedLoad, Identifier
from apps.desk.history import current_task
from apps.detection.clustering import clusters_rebuild, links_store
from apps.detection.feed import Feed, read_feed
from apps.detection.linking import link_window
from apps.detection.memory import window_sightings

Progress = Callable[[str], None]
CHUNK = 2_000
ACCOUNT_FIELDS = [
    "registered_at",
    "kyc_level",
    "vip_tier",
    "api_trading_allowed",
    "market_maker",
    "referrer_id",
]


@dataclass
class LoadCounts:
    accounts_created: int = 0
    accounts_updated: int = 0
    identifiers_seen: int = 0
    notes: list[str] = field(default_factory=list)


def _chunks(frame: pd.DataFrame, size: int = CHUNK) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), size):
        yield frame.iloc[start : start + size]


def _account_values(row: Any) -> dict[str, Any]:
    referrer = row.referrer_id
    return {
        "registered_at": row.registered_at.to_pydatetime(),
        "kyc_level": int(row.kyc_level),
        "vip_tier": int(row.vip_tier),
        "api_trading_allowed": bool(row.api_trading_allowed),
        "market_maker": bool(row.market_maker),
        "referrer_id": "" if referrer is None or pd.isna(referrer) else str(referrer),
    }


def load_accounts(
    accounts: pd.DataFrame, counts: LoadCounts, progress: Progress = lambda message: None
) -> None:
    for done, chunk in enumerate(_chunks(accounts), start=1):
        ids = [str(i) for i in chunk["account_id"]]
        existing = ExchangeAccount.objects.in_bulk(ids)
        new, changed = [], []
        for row in chunk.itertuples(index=False):
            values = _account_values(row)
            account = existing.get(str(row.account_id))
            if account is None:
                new.append(ExchangeAccount(account_id=str(row.account_id), **values))
            elif any(getattr(account, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(account, name, value)
                changed.append(account)
        with transaction.atomic():
            stamp = {"history_task": current_task()}
            bulk_create_with_history(
                new, ExchangeAccount, batch_size=500, custom_historical_attrs=stamp
            )
            if changed:
                bulk_update_with_history(
                    changed,
                    ExchangeAccount,
                    ACCOUNT_FIELDS,
                    batch_size=500,
                    custom_historical_attrs=stamp,
                )
        counts.accounts_created += len(new)
        counts.accounts_updated += len(changed)
        progress(f"accounts: {min(done * CHUNK, len(accounts))}/{len(accounts)}")


def identifier_sightings(logins: pd.DataFrame, transfers: pd.DataFrame) -> pd.DataFrame:
    """One row per (account, kind, value) with first / last seen and how often: IPs and
    devices of logins, external addresses and internal counterparties of transfers."""
    return window_sightings(Feed(folder=Path("."), logins=logins, transfers=transfers))


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


def load_identifiers(
    sightings: pd.DataFrame, counts: LoadCounts, progress: Progress = lambda message: None
) -> None:
    known = set(ExchangeAccount.objects.values_list("account_id", flat=True))
    unknown = ~sightings["account_id"].isin(known)
    if unknown.any():
        counts.notes.append(
            f"{int(unknown.sum())} sightings name accounts missing from the accounts table;"
            " kept out"
        )
        sightings = sightings[~unknown]
    for done, chunk in enumerate(_chunks(sightings), start=1):
        stored = {
            (i.account_id, i.kind, i.value): i
            for i in Identifier.objects.filter(account_id__in=set(chunk["account_id"]))
        }
        new, changed = [], []
        for row in chunk.itertuples(index=False):
            first, last = row.first_seen.to_pydatetime(), row.last_seen.to_pydatetime()
            old = stored.get((row.account_id, row.kind, row.value))
            if old is None:
                new.append(
                    Identifier(
                        account_id=row.account_id,
                        kind=row.kind,
                        value=row.value,
                        first_seen=first,
                        last_seen=last,
                        times_seen=int(row.times_seen),
                    )
                )
            elif _merge(old, first, last, int(row.times_seen)):
                changed.append(old)
        with transaction.atomic():
            Identifier.objects.bulk_create(new, batch_size=1000)
            rows_update(Identifier, changed, ["first_seen", "last_seen", "times_seen"])
        counts.identifiers_seen += len(chunk)
        progress(f"identifiers: {min(done * CHUNK, len(sightings))}/{len(sightings)}")


def accounts_load(*, folder: Path, progress: Progress = lambda message: None) -> FeedLoad:
    """Read accounts, logins and transfers of a feed window into the desk."""
    feed = read_feed(folder, tables=["accounts", "logins", "transfers"])
    assert feed.accounts is not None and feed.logins is not None and feed.transfers is not None
    run = FeedLoad.objects.create(folder=str(folder))
    counts = LoadCounts()
    load_accounts(feed.accounts, counts, progress)
    load_identifiers(identifier_sightings(feed.logins, feed.transfers), counts, progress)
    linkage = link_window(feed, trades=False)
    run.links = links_store(linkage=linkage)
    run.clusters = clusters_rebuild()
    progress(f"links: {run.links} of common control; clusters: {run.clusters}")
    run.accounts_created = counts.accounts_created
    run.accounts_updated = counts.accounts_updated
    run.identifiers_seen = counts.identifiers_seen
    run.finished_at = timezone.now()
    run.save()
    for note in counts.notes:
        progress(note)
    return run


__all__ = ["accounts_load", "identifier_sightings", "load_accounts", "load_identifiers"]
