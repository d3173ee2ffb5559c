"""Instruments and per-minute mark / index prices, with planted stress episodes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .population import frame_ms
from .world import MS_PER_MINUTE, World

# symbol, price, contract size, tick, max leverage
CONTRACTS = [
    ("BTCUSDT", 90_000.0, 0.001, 0.1, 125),
    ("ETHUSDT", 3_200.0, 0.01, 0.01, 100),
    ("SOLUSDT", 180.0, 1.0, 0.01, 75),
    ("BNBUSDT", 600.0, 0.1, 0.01, 75),
    ("XRPUSDT", 2.2, 10.0, 0.0001, 75),
    ("DOGEUSDT", 0.35, 100.0, 0.00001, 50),
    ("ADAUSDT", 0.9, 10.0, 0.0001, 50),
    ("AVAXUSDT", 35.0, 1.0, 0.001, 50),
    ("LINKUSDT", 20.0, 1.0, 0.001, 50),
    ("LTCUSDT", 100.0, 0.1, 0.01, 50),
    ("DOTUSDT", 6.0, 1.0, 0.001, 50),
    ("TONUSDT", 5.0, 1.0, 0.001, 50),
]
SYMBOL_WEIGHTS = np.array([0.3, 0.22] + [0.48 / 10] * 10)
POSITION_LIMIT_USDT = 10_000_000.0
DAILY_OPEN_LIMIT_USDT = 20_000_000.0


@dataclass
class Market:
    symbols: list[str]
    contract_size: np.ndarray
    tick: np.ndarray
    mark: np.ndarray  # [symbol, minute]
    index: np.ndarray
    position_limit: np.ndarray  # contracts
    daily_open_limit: np.ndarray  # contracts
    start_ms: int

    def mark_at(self, symbol: np.ndarray, ts: np.ndarray) -> np.ndarray:
        minute = np.clip((ts - self.start_ms) // MS_PER_MINUTE, 0, self.mark.shape[1] - 1)
        return self.mark[symbol, minute]

    def contract_value(self, symbol: np.ndarray, ts: np.ndarray) -> np.ndarray:
        return self.mark_at(symbol, ts) * self.contract_size[symbol]

    def round_price(self, symbol: np.ndarray, price: np.ndarray) -> np.ndarray:
        tick = self.tick[symbol]
        return np.round(np.round(price / tick) * tick, 8)

    def contracts(self, symbol: np.ndarray, ts: np.ndarray, notional: np.ndarray) -> np.ndarray:
        return np.maximum(1.0, np.round(notional / self.contract_value(symbol, ts)))


def build_market(world: World) -> Market:
    rng = world.rng
    minutes = world.hours * 60
    base = np.array([c[1] for c in CONTRACTS])
    steps = rng.normal(0.0, 0.0005, size=(len(CONTRACTS), minutes))
    steps[:, 0] = 0.0
    index = base[:, None] * np.exp(np.cumsum(steps, axis=1))
    basis = rng.normal(0.0, 0.0003, size=index.shape)
    size = np.array([c[2] for c in CONTRACTS])
    value = base * size
    return Market(
        symbols=[c[0] for c in CONTRACTS],
        contract_size=size,
        tick=np.array([c[3] for c in CONTRACTS]),
        mark=index * (1.0 + basis),
        index=index,
        position_limit=np.round(POSITION_LIMIT_USDT / value),
        daily_open_limit=np.round(DAILY_OPEN_LIMIT_USDT / value),
        start_ms=world.start_ms,
    )


def plant_stress_move(market: Market, symbol: int, minute: int, move: float, span: int) -> None:
    """A sudden move of ``move`` (log) spread over ``span`` minutes, kept afterwards."""
    ramp = np.clip((np.arange(market.mark.shape[1]) - minute + 1) / span, 0.0, 1.0)
    factor = np.exp(move * ramp)
    market.mark[symbol] *= factor
    market.index[symbol] *= factor


def plant_mark_deviation(market: Market, symbol: int, minute: int, gap: float, span: int) -> None:
    """The mark leaves the index by ``gap`` for ``span`` minutes (a broken price feed)."""
    end = min(minute + span, market.mark.shape[1])
    market.mark[symbol, minute:end] = market.index[symbol, minute:end] * (1.0 + gap)


def instruments_frame(market: Market) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": market.symbols,
            "contract_size": market.contract_size,
            "tick_size": market.tick,
            "max_leverage": [float(c[4]) for c in CONTRACTS],
            "position_limit": market.position_limit,
            "daily_open_limit": market.daily_open_limit,
        }
    )


def mark_prices_frame(market: Market) -> pd.DataFrame:
    n_symbols, minutes = market.mark.shape
    ts = market.start_ms + np.tile(np.arange(minutes) * MS_PER_MINUTE, n_symbols)
    symbol = np.repeat(np.arange(n_symbols), minutes)
    frame = frame_ms({"symbol": np.array(market.symbols)[symbol], "ts_ms": ts})
    frame["mark_price"] = market.round_price(symbol, market.mark.ravel())
    frame["index_price"] = market.round_price(symbol, market.index.ravel())
    return frame
