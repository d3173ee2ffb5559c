"""What customer service reads about an account: found by whatever the customer can quote
(apps.accounts.selectors.accounts_quoted), and said in plain words — what the customer can
and cannot do now, and until when."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from apps.actions.measures import Measure
from apps.actions.models import CustomerContact, Restriction
from apps.actions.selectors import account_restrictions

if TYPE_CHECKING:
    from apps.accounts.models import ExchangeAccount

ABILITIES = [
    ("login", "sign in and see the account"),
    ("deposit", "deposit funds"),
    ("open", "open new positions"),
    ("close", "close or reduce positions"),
    ("withdraw", "withdraw funds"),
]
BLOCKS: dict[str, set[str]] = {
    Measure.FREEZE: {"open", "close", "withdraw"},
    Measure.TRADING_BAN: {"open", "close"},
    Measure.SUSPEND_OPEN: {"open"},
    Measure.CLOSE_ONLY: {"open"},
    Measure.WITHDRAWAL_HOLD: {"withdraw"},
}


def _limit(r: Restriction) -> str:
    p = r.params or {}
    where = f" on {r.symbol}" if r.symbol else ""
    if r.measure == Measure.FREQUENCY_LIMIT:
        return f"place more than {p.get('max_orders_per_second', '?')} orders a second{where}"
    if r.measure == Measure.POSITION_LIMIT:
        return f"hold more than {p.get('max_contracts', '?')} contracts{where}"
    if r.measure == Measure.LEVERAGE_CAP:
        return f"use leverage above {p.get('max_leverage', '?')} times{where}"
    return ""


@dataclass
class CustomerCan:
    """In words: each thing the customer can or cannot do, and until when it holds."""

    can: list[str] = field(default_factory=list)
    cannot: list[tuple[str, str]] = field(default_factory=list)  # (what, until when)

    @property
    def restricted(self) -> bool:
        return bool(self.cannot)


def _until(r: Restriction) -> str:
    if r.expires_at is None:
        return "until the desk lifts it (no end date set)"
    local = timezone.localtime(r.expires_at)
    return f"until {local:%Y-%m-%d %H:%M} ({local.tzname()})"


def customer_can(account: ExchangeAccount, at: datetime | None = None) -> CustomerCan:
    view = account_restrictions(account)
    blocked: dict[str, str] = {}
    said = CustomerCan()
    for r in [*view.own, *view.everyone]:
        scope = f" on {r.symbol}" if r.symbol and r.measure in BLOCKS else ""
        for ability in BLOCKS.get(r.measure, set()):
            key = ability + scope
            blocked.setdefault(key, _until(r))
        if limit := _limit(r):
            said.cannot.append((limit, _until(r)))
    words = dict(ABILITIES)
    for ability, text in ABILITIES:
        whole = blocked.get(ability)
        if whole:
            said.cannot.append((text, whole))
            continue
        partly = [(k, v) for k, v in blocked.items() if k.startswith(ability + " on ")]
        for key, until in partly:
            said.cannot.append((words[ability] + key[len(ability) :], until))
        said.can.append(text + (" (elsewhere)" if partly else ""))
    return said


def contacts_of(account: ExchangeAccount) -> list[CustomerContact]:
    return list(
        CustomerContact.objects.filter(account=account)
        .select_related("recorded_by", "answered_by", "assigned_to")
        .order_by("-recorded_at")[:20]
    )
