"""Rows -> the feed contract's tables (CSV: ISO-8601 ms 'Z', true/false, empty for null)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .day import DayRows
from .population import Population
from .spec import INSTRUMENTS, iso_ms

SYM = np.array([i.symbol for i in INSTRUMENTS])
CS = np.array([i.contract_size for i in INSTRUMENTS])


@dataclass
class IdCounters:
    order: int = 7_000_000_000
    trade: int = 9_000_000_000
    transfer: int = 300_000_000


def _times(ms: np.ndarray) -> np.ndarray:
    ms = np.asarray(ms, dtype=np.int64)
    out = np.full(len(ms), "", dtype=object)
    ok = ms >= 0
    if ok.any():
        out[ok] = iso_ms(ms[ok])
    return out


def _bool(v: np.ndarray) -> np.ndarray:
    return np.where(np.asarray(v, dtype=bool), "true", "false")


def tables(rows: DayRows, pop: Population, ids: IdCounters) -> dict[str, pd.DataFrame]:
    aid = np.array([a.account_id for a in pop.accounts])
    o = rows.orders
    n = len(o["acct"])
    rank = np.empty(n, dtype=np.int64)
    order = np.lexsort((np.arange(n), o["created"]))
    rank[order] = np.arange(n)
    oid = np.char.add("O", (ids.order + rank).astype(str))
    ids.order += n
    orders = pd.DataFrame(
        {
            "order_id": oid,
            "account_id": aid[o["acct"]],
            "symbol": SYM[o["sym"]],
            "side": np.where(o["side"] == 0, "buy", "sell"),
            "order_type": np.where(o["otype"] == 0, "limit", "market"),
            "price": np.where(o["otype"] == 0, o["price"], np.nan),
            "qty": o["qty"],
            "reduce_only": _bool(o["reduce"]),
            "channel": o["channel"],
            "created_at": _times(o["created"]),
            "cancelled_at": _times(o["cancelled"]),
            "filled_qty": rows.filled,
        }
    ).iloc[order]
    t = rows.trades
    m = len(t["ts"])
    tord = np.lexsort((np.arange(m), t["ts"])) if m else np.array([], dtype=np.int64)
    trank = np.empty(m, dtype=np.int64)
    trank[tord] = np.arange(m)
    ids.trade += m
    b, s = t["buyer"].astype(np.int64), t["seller"].astype(np.int64)
    trades = (
        pd.DataFrame(
            {
                "trade_id": np.char.add("T", (ids.trade - m + trank).astype(str)),
                "symbol": SYM[t["sym"].astype(np.int64)],
                "ts": _times(t["ts"]),
                "price": t["price"],
                "qty": t["qty"].astype(np.int64),
                "buy_order_id": oid[t["boid"].astype(np.int64)],
                "sell_order_id": oid[t["soid"].astype(np.int64)],
                "buyer_id": aid[b],
                "seller_id": aid[s],
                "taker_side": np.where(t["taker"] == 0, "buy", "sell"),
                "buyer_effect": np.where(t["beff"] == 1, "close", "open"),
                "seller_effect": np.where(t["seff"] == 1, "close", "open"),
                "buyer_realized_pnl": t["bpnl"],
                "seller_realized_pnl": t["spnl"],
            }
        ).iloc[tord]
        if m
        else _empty_trades()
    )
    out = {"orders": orders, "trades": trades}
    out.update(_side_tables(rows, pop, aid, ids))
    return out


def _empty_trades() -> pd.DataFrame:
    cols = [
        "trade_id",
        "symbol",
        "ts",
        "price",
        "qty",
        "buy_order_id",
        "sell_order_id",
        "buyer_id",
        "seller_id",
        "taker_side",
        "buyer_effect",
        "seller_effect",
        "buyer_realized_pnl",
        "seller_realized_pnl",
    ]
    return pd.DataFrame({c: [] for c in cols})


def _side_tables(
    rows: DayRows, pop: Population, aid: np.ndarray, ids: IdCounters
) -> dict[str, pd.DataFrame]:
    book = rows.book
    accs = [a for a in pop.accounts if a.registered_at < rows.end]
    accounts = pd.DataFrame(
        {
            "account_id": [a.account_id for a in accs],
            "registered_at": _times(np.array([a.registered_at for a in accs])),
            "kyc_level": [a.kyc for a in accs],
            "vip_tier": [a.vip for a in accs],
            "api_trading_allowed": _bool(np.array([a.api_allowed for a in accs])),
            "market_maker": _bool(np.array([a.mm for a in accs])),
            "referrer_id": [
                pop.accounts[a.referrer].account_id if a.referrer is not None else "" for a in accs
            ],
        }
    )
    lg = sorted(book.logins, key=lambda r: r[1])
    logins = pd.DataFrame(
        {
            "account_id": aid[np.array([r[0] for r in lg], dtype=np.int64)],
            "ts": _times(np.array([r[1] for r in lg])),
            "ip": [r[2] for r in lg],
            "device_id": [r[3] for r in lg],
        }
    )
    tr = sorted(book.transfers, key=lambda r: r[1])
    cp = np.array([r[5] for r in tr], dtype=np.int64)
    transfers = pd.DataFrame(
        {
            "transfer_id": [f"X{ids.transfer + i}" for i in range(len(tr))],
            "account_id": aid[np.array([r[0] for r in tr], dtype=np.int64)],
            "ts": _times(np.array([r[1] for r in tr])),
            "kind": [r[2] for r in tr],
            "asset": "USDT",
            "amount": [r[3] for r in tr],
            "address": [r[4] or "" for r in tr],
            "counterparty_account_id": np.where(cp >= 0, aid[np.maximum(cp, 0)], ""),
        }
    )
    ids.transfer += len(tr)
    sym_i, ts, mark, index = rows.prices.minute_marks()
    dec = np.array([i.decimals + 2 for i in INSTRUMENTS])[sym_i]
    marks = pd.DataFrame(
        {
            "symbol": SYM[sym_i],
            "ts": _times(ts),
            "mark_price": [round(float(x), int(d)) for x, d in zip(mark, dec, strict=True)],
            "index_price": [round(float(x), int(d)) for x, d in zip(index, dec, strict=True)],
        }
    )
    sn = rows.snaps
    s_ts = np.array([r[0] for r in sn], dtype=np.int64)
    s_acc = np.array([r[1] for r in sn], dtype=np.int64)
    s_sym = np.array([r[2] for r in sn], dtype=np.int64)
    s_qty = np.array([r[3] for r in sn], dtype=np.int64)
    s_ent = np.array([r[4] for r in sn], dtype=np.float64)
    lev = np.array([a.leverage for a in pop.accounts])[s_acc] if len(sn) else s_acc
    mk = np.array([rows.prices.mid_at(int(s), int(t)) for s, t in zip(s_sym, s_ts, strict=True)])
    notional = np.abs(s_qty) * CS[s_sym] * s_ent
    positions = pd.DataFrame(
        {
            "ts": _times(s_ts),
            "account_id": aid[s_acc],
            "symbol": SYM[s_sym],
            "qty": s_qty,
            "entry_price": np.round(s_ent, 8),
            "leverage": lev,
            "margin": np.round(notional / np.maximum(lev, 1), 2),
            "unrealized_pnl": np.round((mk - s_ent) * s_qty * CS[s_sym], 4),
        }
    )
    pr = sorted(book.promos, key=lambda r: r[2])
    promotions = pd.DataFrame(
        {
            "campaign_id": [r[0] for r in pr],
            "account_id": aid[np.array([r[1] for r in pr], dtype=np.int64)],
            "joined_at": _times(np.array([r[2] for r in pr])),
            "reward": [r[3] for r in pr],
            "reward_kind": [r[4] for r in pr],
            "paid_at": _times(np.array([r[5] for r in pr])),
        }
    )
    instruments = pd.DataFrame(
        {
            "symbol": [i.symbol for i in INSTRUMENTS],
            "contract_size": [i.contract_size for i in INSTRUMENTS],
            "tick_size": [f"{i.tick:.{i.decimals}f}" for i in INSTRUMENTS],
            "max_leverage": [i.max_leverage for i in INSTRUMENTS],
            "position_limit": [i.position_limit for i in INSTRUMENTS],
            "daily_open_limit": [i.daily_open_limit for i in INSTRUMENTS],
        }
    )
    return {
        "instruments": instruments,
        "accounts": accounts,
        "logins": logins,
        "transfers": transfers,
        "positions": positions,
        "mark_prices": marks,
        "promotions": promotions,
    }


def write(folder: Path, frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, df in frames.items():
        df.to_csv(folder / f"{name}.csv", index=False, na_rep="", float_format=None)
        counts[name] = len(df)
    return counts
