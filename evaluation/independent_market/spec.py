"""Instruments, categories and small shared helpers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MS_PER_S = 1000
MS_PER_MIN = 60_000
MS_PER_H = 3_600_000
MS_PER_DAY = 86_400_000

CATEGORIES: tuple[str, ...] = (
    "self_trade",
    "linked_mutual_trade",
    "matched_trade_price",
    "common_control",
    "frequent_cancel",
    "large_cancel",
    "combined_position_limit",
    "daily_open_limit",
    "unauthorized_algo",
    "account_theft",
    "abnormal_pnl",
    "promo_abuse",
    "market_stress",
)

# The exchange's absolute numbers (the brief's summary of its rules).
SELF_TRADE_LIMIT = 5  # self-trades per account per contract per day that are tolerated
CANCEL_LIMIT = 500  # cancels per account per contract per UTC day (non market makers)


@dataclass(frozen=True)
class Instrument:
    """One perpetual contract and how its market behaves."""

    symbol: str
    price: float  # starting price in USDT
    contract_size: float
    tick: float
    max_leverage: int
    daily_vol: float  # daily log-return standard deviation
    typical_qty: int  # median retail order, in contracts
    weight: float  # share of the venue's taker flow
    position_limit: int
    daily_open_limit: int

    @property
    def decimals(self) -> int:
        return max(0, round(-np.log10(self.tick)))


def _inst(
    symbol: str, price: float, cs: float, tick: float, lev: int, vol: float, typ: int, w: float
) -> Instrument:
    return Instrument(
        symbol,
        price,
        cs,
        tick,
        lev,
        vol,
        typ,
        w,
        position_limit=typ * 4000,
        daily_open_limit=typ * 6000,
    )


INSTRUMENTS: tuple[Instrument, ...] = (
    _inst("BTCUSDT", 64_000.0, 0.001, 0.1, 125, 0.030, 8, 0.34),
    _inst("ETHUSDT", 3_200.0, 0.01, 0.01, 100, 0.040, 15, 0.24),
    _inst("SOLUSDT", 150.0, 1.0, 0.001, 50, 0.055, 3, 0.14),
    _inst("DOGEUSDT", 0.16, 1000.0, 0.00001, 50, 0.060, 3, 0.10),
    _inst("XRPUSDT", 0.55, 100.0, 0.0001, 50, 0.050, 9, 0.08),
    _inst("1000PEPEUSDT", 0.012, 1000.0, 0.0000001, 20, 0.090, 40, 0.06),
    _inst("ARBUSDT", 1.10, 10.0, 0.0001, 25, 0.070, 45, 0.04),
)
THIN_SYMBOLS: tuple[int, ...] = (5, 6)  # indexes of the illiquid contracts
CHEAP_SYMBOLS: tuple[int, ...] = (3, 4, 5, 6)
DEAR_SYMBOLS: tuple[int, ...] = (0, 1)


def iso_ms(ms: np.ndarray) -> np.ndarray:
    """Epoch milliseconds -> ISO-8601 UTC strings with milliseconds and 'Z'."""
    text = np.datetime_as_string(np.asarray(ms, dtype="int64").astype("datetime64[ms]"), unit="ms")
    return np.char.add(text.astype(str), "Z")


def iso_one(ms: int) -> str:
    return str(iso_ms(np.array([ms]))[0])


def round_price(price: float, inst: Instrument, up: bool | None = None) -> float:
    """Round a price onto the instrument's tick grid (up, down or nearest)."""
    ticks = price / inst.tick
    n = (
        np.ceil(ticks - 1e-9)
        if up is True
        else np.floor(ticks + 1e-9)
        if up is False
        else round(ticks)
    )
    return round(max(1.0, float(n)) * inst.tick, inst.decimals)
