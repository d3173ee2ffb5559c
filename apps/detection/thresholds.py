"""What each threshold of the rules means: its unit and the bounds a value must keep, so the
strategy team types "0.8" knowing it is a share, and a win rate of 1.2 is refused with a
message instead of silently silencing a rule."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Threshold:
    unit: str
    minimum: float | None = 0.0
    maximum: float | None = None

    def bounds(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return f"{_n(self.minimum)} to {_n(self.maximum)}"
        if self.minimum is not None:
            return f"at least {_n(self.minimum)}"
        return f"at most {_n(self.maximum)}" if self.maximum is not None else "any"


def _n(value: float) -> str:
    return f"{value:g}"


SHARE = Threshold("share, 0 to 1 (0.5 = half)", 0.0, 1.0)
PRICE_SHARE = Threshold("share of the price, 0 to 1 (0.01 = 1%)", 0.0, 1.0)
COUNT = Threshold("count", 1.0)
MULTIPLE = Threshold("times the usual", 1.0)
MINUTES = Threshold("minutes", 0.0, 24 * 60)
HOURS = Threshold("hours", 0.0, 24 * 7)
DAYS = Threshold("days", 0.0, 3650)
USDT = Threshold("USDT", 0.0)
SWITCH = Threshold("yes / no", None)

THRESHOLDS: dict[str, Threshold] = {
    "min_self_trades": COUNT,
    "min_trades": COUNT,
    "off_market": PRICE_SHARE,
    "noise_multiple": MULTIPLE,
    "min_off_share": SHARE,
    "min_pair_trades": COUNT,
    "min_one_way_share": SHARE,
    "max_gap_minutes": MINUTES,
    "min_move_z": Threshold("standard deviations", 0.0, 20.0),
    "min_span_minutes": MINUTES,
    "min_accounts": Threshold("accounts", 2.0),
    "min_cancels": COUNT,
    "max_fill_ratio": SHARE,
    "exempt_market_makers": SWITCH,
    "size_multiple": MULTIPLE,
    "repeat_size_multiple": MULTIPLE,
    "max_distance": PRICE_SHARE,
    "max_lifetime_ms": Threshold("milliseconds", 1.0, 24 * 3600 * 1000),
    "max_fill_share": SHARE,
    "max_other_side_share": SHARE,
    "min_spoof_episodes": COUNT,
    "min_large_cancels": COUNT,
    "min_cancel_share": SHARE,
    "limit_share": Threshold("times the limit (1 = at the limit)", 0.1, 10.0),
    "per_instrument_rate": Threshold("orders per second, one contract", 0.1),
    "all_instruments_rate": Threshold("orders per second, all contracts", 0.1),
    "min_fast_minutes": MINUTES,
    "min_api_orders": COUNT,
    "min_amount": USDT,
    "min_share_of_equity": SHARE,
    "max_hours_after_login": HOURS,
    "max_hours_draining": HOURS,
    "min_off_market": PRICE_SHARE,
    "min_history_days": DAYS,
    "min_moves_known_ip": COUNT,
    "min_profit": USDT,
    "min_win_rate": Threshold("share of closing trades that won, 0 to 1", 0.0, 1.0),
    "min_closes": COUNT,
    "max_account_age_days": DAYS,
    "max_mark_gap": PRICE_SHARE,
    "gap_minutes": MINUTES,
    "max_move": PRICE_SHARE,
    "move_minutes": MINUTES,
    "min_liquidated_accounts": Threshold("accounts", 1.0),
    "burst_multiple": MULTIPLE,
}
# A threshold a rule gains later without an entry here keeps the old check: not negative.
UNKNOWN = Threshold("", 0.0)


def threshold(name: str) -> Threshold:
    return THRESHOLDS.get(name, UNKNOWN)


def out_of_bounds(name: str, value: Any) -> str:
    """Why `value` is refused for `name`, or "" when it is within its bounds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    t = threshold(name)
    unit = f" ({t.unit})" if t.unit else ""
    if t.minimum is not None and value < t.minimum:
        return f"must be at least {_n(t.minimum)}{unit}; {_n(value)} is below it"
    if t.maximum is not None and value > t.maximum:
        return f"must be at most {_n(t.maximum)}{unit}; {_n(value)} is above it"
    return ""


def version_changes(older: dict[str, Any] | None, newer: dict[str, Any]) -> list[str]:
    """What a version changed against the one before it, one line per threshold, by name
    (PostgreSQL's jsonb keeps no key order)."""
    if older is None:
        return []
    lines = []
    for name in sorted(newer):
        if name not in older:
            lines.append(f"{name}: added, {newer[name]}")
        elif older[name] != newer[name]:
            lines.append(f"{name}: {older[name]} → {newer[name]}")
    lines += [f"{name}: removed" for name in sorted(older) if name not in newer]
    return lines
