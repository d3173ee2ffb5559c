"""The desk's memory of accounts, as the rules read it, and what one window adds to it.

A one-day window holds one day: whether a device, an IP or a withdrawal address is new to
an account can only be judged against everything the desk saw in earlier windows. The
memory is an input to detection like the feed: plain frames, built by whoever runs
detection (``apps.detection.memory_store`` reads it from the database, once per run) or empty.
Nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .feed import Feed

IDENTIFIER_KINDS = ("ip", "device", "address", "counterparty")
IDENTIFIER_COLUMNS = ["account_id", "kind", "value", "first_seen", "last_seen", "times_seen"]
# What a run reads back: only what the rules use, so 50,000 accounts stay a short read
# (parsing every stored time and JSON document would cost seconds).
RECALLED_IDENTIFIER = ["account_id", "kind", "value", "first_seen", "last_seen"]
RECALLED_PROFILE = ["account_id", "days_observed", "active_days", "orders", "usual_equity"]
PROFILE_COLUMNS = [
    "account_id",
    "days_observed",
    "active_days",
    "orders",
    "usual_equity",
    "order_notional",  # {symbol: median order notional, USDT}
    "findings",  # {category: alerts raised on the account}
]
_SEP = "\x1f"  # joins account and value into one key; appears in neither


def _strings(values: Any) -> pa.Array:
    column = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    try:
        arrow = pa.array(column.array) if column.dtype != object else None
    except (TypeError, pa.ArrowInvalid):
        arrow = None
    if arrow is not None and (
        pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)
    ):
        return arrow.cast(pa.string())
    try:  # ids as the database or a window hands them: already Python strings
        return pa.array(column.to_numpy(dtype=object), pa.string())
    except (TypeError, pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(column.astype("str").to_numpy(dtype=object), pa.string())


def _keys(accounts: Any, values: Any) -> pa.Array:
    return pc.binary_join_element_wise(_strings(accounts), _strings(values), _SEP)


@dataclass(frozen=True)
class AccountMemory:
    """What the desk knew of the window's accounts before the window.

    ``identifiers``: one row per (account, kind, value) ever seen, kinds ip / device /
    address (external funding source or destination) / counterparty (internal transfers)
    (columns ``RECALLED_IDENTIFIER``).
    ``profiles``: one row per account (columns ``RECALLED_PROFILE``).
    """

    identifiers: pd.DataFrame
    profiles: pd.DataFrame
    # kind, value, accounts: how many accounts the desk has ever seen use each identifier
    # of the window (ip / device / address); a hot wallet serves far more over days than
    # in one window, a controller's own wallet no more.
    widths: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"kind": [], "value": [], "accounts": []})
    )
    # account -> key of the cluster the desk keeps it in: a grouping it already accepted,
    # which the linking does not judge again (linking.link_accounts, ``kept``).
    clusters: dict[str, str] = field(default_factory=dict)
    _known: dict[str, pa.Array] = field(init=False, repr=False, compare=False)
    _accounts: pa.Array = field(init=False, repr=False, compare=False)
    _equity: pd.Series = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = self.identifiers
        known = {}
        for kind in IDENTIFIER_KINDS:
            rows = ids[ids["kind"] == kind]
            known[kind] = pc.unique(_keys(rows["account_id"], rows["value"]))
        object.__setattr__(self, "_known", known)
        # An account the desk has seen log in, fund or pay out: it has a past.
        seen = ids["account_id"].astype("str")
        object.__setattr__(self, "_accounts", pa.array(seen.unique(), pa.string()))
        equity = self.profiles.set_index(self.profiles["account_id"].astype("str"))
        object.__setattr__(self, "_equity", equity["usual_equity"].astype(float))

    @classmethod
    def empty(cls) -> AccountMemory:
        return cls(
            identifiers=pd.DataFrame({c: pd.Series(dtype="object") for c in RECALLED_IDENTIFIER}),
            profiles=pd.DataFrame({c: pd.Series(dtype="object") for c in RECALLED_PROFILE}),
        )

    def __len__(self) -> int:
        """Accounts the desk remembers something of."""
        return int(
            pd.concat([self.identifiers["account_id"], self.profiles["account_id"]]).nunique()
        )

    def known(self, kind: str, accounts: Any, values: Any) -> np.ndarray:
        """Per row: had the desk seen ``values[i]`` (of ``kind``) on ``accounts[i]``?"""
        if len(self._known[kind]) == 0 or len(accounts) == 0:
            return np.zeros(len(accounts), dtype=bool)
        hit = pc.is_in(_keys(accounts, values), value_set=self._known[kind])
        return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)

    def remembers(self, accounts: Any) -> np.ndarray:
        """Per row: has the desk seen the account (a login, a transfer) in an earlier window?"""
        values = _strings(accounts)
        if len(self._accounts) == 0:
            return np.zeros(len(values), dtype=bool)
        hit = pc.is_in(values, value_set=self._accounts)
        return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)

    def usual_equity(self, accounts: Any) -> np.ndarray:
        """Per row: the funds the account was usually seen holding (0 when unknown)."""
        found = pd.Series(accounts).astype("str").map(self._equity)
        return np.nan_to_num(found.to_numpy(dtype=float), nan=0.0)


# What one window adds to the memory (computed here, stored by apps.accounts).


def window_span(feed: Feed) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first and last event of the window (orders, trades, logins, transfers)."""
    stamps = []
    for name, column in (
        ("orders", "created_at"),
        ("trades", "ts"),
        ("logins", "ts"),
        ("transfers", "ts"),
    ):
        frame = feed.table(name)
        if frame is not None and len(frame):
            stamps += [frame[column].min(), frame[column].max()]
    if not stamps:
        return None
    return min(stamps), max(stamps)


def window_sightings(feed: Feed) -> pd.DataFrame:
    """One row per (account, kind, value) of the window: first / last seen, how often."""
    parts = []
    logins = feed.logins
    if logins is not None:
        for kind, column in (("ip", "ip"), ("device", "device_id")):
            seen = logins[["account_id", "ts", column]].rename(columns={column: "value"})
            parts.append(seen.assign(kind=kind))
    transfers = feed.transfers
    if transfers is not None:
        for kind, column in (("address", "address"), ("counterparty", "counterparty_account_id")):
            rows = transfers.loc[transfers[column].notna(), ["account_id", "ts", column]]
            parts.append(rows.rename(columns={column: "value"}).assign(kind=kind))
    if not parts:
        return AccountMemory.empty().identifiers
    sightings = pd.concat(parts, ignore_index=True)
    sightings["account_id"] = sightings["account_id"].astype(str)
    sightings["value"] = sightings["value"].astype(str)
    return (
        sightings.groupby(["account_id", "kind", "value"], observed=True)["ts"]
        .agg(first_seen="min", last_seen="max", times_seen="size")
        .reset_index()
    )


def _equity_seen(feed: Feed) -> pd.Series:
    """Per account, the most funds the window shows it holding: its largest snapshot of
    margin plus unrealised PnL over all contracts, or what it moved in or out, whichever
    is larger (an account that withdraws 9,000 held at least 9,000)."""
    parts = []
    positions = feed.positions
    if positions is not None and len(positions):
        held = positions["margin"] + positions["unrealized_pnl"]
        snapshot = held.groupby([positions["account_id"].astype(str), positions["ts"]]).sum()
        parts.append(snapshot.groupby(level=0).max())
    transfers = feed.transfers
    if transfers is not None and len(transfers):
        inflow = transfers["kind"].isin(["deposit", "internal_in"])
        who = transfers["account_id"].astype(str)
        parts.append(transfers["amount"].where(inflow, 0.0).groupby(who).sum())
        parts.append(transfers["amount"].where(~inflow, 0.0).groupby(who).sum())
    if not parts:
        return pd.Series(dtype=float)
    return pd.concat(parts, axis=1).max(axis=1).clip(lower=0.0)


def _order_notional(feed: Feed) -> pd.DataFrame:
    """Per account: orders placed, and the median notional of its priced orders per symbol."""
    orders = feed.orders
    if orders is None or orders.empty:
        return pd.DataFrame({"orders": pd.Series(dtype=int), "order_notional": []})
    who = orders["account_id"].astype(str)
    counts = who.value_counts()
    priced = orders["price"].notna().to_numpy()
    size = pd.Series(1.0, index=orders.index)
    instruments = feed.instruments
    if instruments is not None and len(instruments):
        sizes = instruments.set_index(instruments["symbol"].astype(str))["contract_size"]
        size = orders["symbol"].astype(str).map(sizes).fillna(1.0)
    notional = (orders["price"] * orders["qty"] * size)[priced]
    medians = notional.groupby([who[priced], orders["symbol"].astype(str)[priced]]).median()
    per_account: dict[str, dict[str, float]] = {}
    for (account, symbol), value in medians.items():
        per_account.setdefault(str(account), {})[str(symbol)] = round(float(value), 2)
    frame = pd.DataFrame({"orders": counts})
    frame["order_notional"] = pd.Series(per_account, dtype=object).reindex(frame.index)
    return frame


def window_profiles(feed: Feed, alerts: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per account of the window: what it did (``PROFILE_COLUMNS`` as this window
    alone shows them); the store folds it into what it already had."""
    span = window_span(feed)
    days = (span[1] - span[0]).total_seconds() / 86_400 if span else 0.0
    accounts = feed.accounts
    everyone = accounts["account_id"].astype(str) if accounts is not None else pd.Series([])
    frame = pd.DataFrame(index=pd.Index(everyone.unique(), name="account_id"))
    activity = _order_notional(feed)
    frame = frame.join(activity, how="outer")
    frame["orders"] = frame["orders"].fillna(0).astype(int)
    frame["days_observed"] = max(days, 0.0)
    frame["active_days"] = np.where(frame["orders"] > 0, max(days, 0.0), 0.0)
    frame["usual_equity"] = _equity_seen(feed).reindex(frame.index).fillna(0.0)
    findings: dict[str, dict[str, int]] = {}
    for alert in alerts:
        for account in alert.get("accounts") or []:
            counts = findings.setdefault(str(account), {})
            counts[alert["category"]] = counts.get(alert["category"], 0) + 1
    frame["findings"] = pd.Series(findings, dtype=object).reindex(frame.index)
    for column in ("order_notional", "findings"):
        frame[column] = [v if isinstance(v, dict) else {} for v in frame[column]]
    return frame.reset_index()[PROFILE_COLUMNS]


__all__ = [
    "IDENTIFIER_KINDS",
    "RECALLED_IDENTIFIER",
    "RECALLED_PROFILE",
    "AccountMemory",
    "window_profiles",
    "window_sightings",
    "window_span",
]
