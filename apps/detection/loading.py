"""Loading the exchange's accounts and their identifiers from a feed window.

Idempotent: loading the same window twice changes nothing the second time; loading a
later window widens first/last seen and adds to how often an identifier was seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from apps.accounts.selectors import account_ids_known
from apps.accounts.services import (
    accounts_upsert,
    feed_load_finish,
    feed_load_start,
    identifiers_fold,
)
from apps.detection.clustering import clusters_rebuild, links_store
from apps.detection.feed import Feed, read_feed
from apps.detection.linking import link_window
from apps.detection.memory import window_sightings

if TYPE_CHECKING:
    from apps.accounts.models import FeedLoad

Progress = Callable[[str], None]
CHUNK = 2_000


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
        values = {
            str(row.account_id): _account_values(row) for row in chunk.itertuples(index=False)
        }
        created, updated = accounts_upsert(values)
        counts.accounts_created += created
        counts.accounts_updated += updated
        progress(f"accounts: {min(done * CHUNK, len(accounts))}/{len(accounts)}")


def identifier_sightings(logins: pd.DataFrame, transfers: pd.DataFrame) -> pd.DataFrame:
    """One row per (account, kind, value) with first / last seen and how often: IPs and
    devices of logins, external addresses and internal counterparties of transfers."""
    return window_sightings(Feed(folder=Path("."), logins=logins, transfers=transfers))


def load_identifiers(
    sightings: pd.DataFrame, counts: LoadCounts, progress: Progress = lambda message: None
) -> None:
    known = account_ids_known()
    unknown = ~sightings["account_id"].isin(known)
    if unknown.any():
        counts.notes.append(
            f"{int(unknown.sum())} sightings name accounts missing from the accounts table;"
            " kept out"
        )
        sightings = sightings[~unknown]
    for done, chunk in enumerate(_chunks(sightings), start=1):
        identifiers_fold(
            (
                row.account_id,
                row.kind,
                row.value,
                row.first_seen.to_pydatetime(),
                row.last_seen.to_pydatetime(),
                int(row.times_seen),
            )
            for row in chunk.itertuples(index=False)
        )
        counts.identifiers_seen += len(chunk)
        progress(f"identifiers: {min(done * CHUNK, len(sightings))}/{len(sightings)}")


def accounts_load(*, folder: Path, progress: Progress = lambda message: None) -> FeedLoad:
    """Read accounts, logins and transfers of a feed window into the desk."""
    feed = read_feed(folder, tables=["accounts", "logins", "transfers"])
    assert feed.accounts is not None and feed.logins is not None and feed.transfers is not None
    run = feed_load_start(str(folder))
    counts = LoadCounts()
    load_accounts(feed.accounts, counts, progress)
    load_identifiers(identifier_sightings(feed.logins, feed.transfers), counts, progress)
    linkage = link_window(feed, trades=False)
    links = links_store(linkage=linkage)
    clusters = clusters_rebuild()
    progress(f"links: {links} of common control; clusters: {clusters}")
    feed_load_finish(
        run,
        links=links,
        clusters=clusters,
        accounts_created=counts.accounts_created,
        accounts_updated=counts.accounts_updated,
        identifiers_seen=counts.identifiers_seen,
    )
    for note in counts.notes:
        progress(note)
    return run


__all__ = ["accounts_load", "identifier_sightings", "load_accounts", "load_identifiers"]
