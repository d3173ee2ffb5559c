"""Contract checks of a written window, and a sweep for accidental background violations.

python -m evaluation.independent_market.checks DIR   (DIR holds truth.json and window/)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .spec import CANCEL_LIMIT, SELF_TRADE_LIMIT

REQUIRED = {
    "instruments": "symbol contract_size tick_size max_leverage position_limit daily_open_limit",
    "accounts": "account_id registered_at kyc_level vip_tier api_trading_allowed market_maker "
    "referrer_id",
    "logins": "account_id ts ip device_id",
    "transfers": "transfer_id account_id ts kind asset amount address counterparty_account_id",
    "orders": "order_id account_id symbol side order_type price qty reduce_only channel "
    "created_at cancelled_at filled_qty",
    "trades": "trade_id symbol ts price qty buy_order_id sell_order_id buyer_id seller_id "
    "taker_side buyer_effect seller_effect buyer_realized_pnl seller_realized_pnl",
    "positions": "ts account_id symbol qty entry_price leverage margin unrealized_pnl",
    "mark_prices": "symbol ts mark_price index_price",
    "promotions": "campaign_id account_id joined_at reward reward_kind paid_at",
}
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TIME_COLS = ("registered_at", "ts", "created_at", "cancelled_at", "joined_at", "paid_at")


def load(folder: Path) -> dict[str, pd.DataFrame]:
    return {n: pd.read_csv(folder / f"{n}.csv", dtype=str, keep_default_na=False) for n in REQUIRED}


def contract_errors(folder: Path) -> list[str]:
    """Everything in the window that breaks feed.md or is internally inconsistent."""
    t = load(folder)
    err: list[str] = []
    for name, cols in REQUIRED.items():
        missing = set(cols.split()) - set(t[name].columns)
        if missing:
            err.append(f"{name}: missing {sorted(missing)}")
        for c in TIME_COLS:
            if c in t[name].columns:
                v = t[name][c]
                bad = v[(v != "") & ~v.str.match(TIME_RE)]
                if len(bad):
                    err.append(f"{name}.{c}: bad time {bad.iloc[0]!r}")
    for name, key in (
        ("orders", "order_id"),
        ("trades", "trade_id"),
        ("transfers", "transfer_id"),
        ("accounts", "account_id"),
        ("instruments", "symbol"),
    ):
        if t[name][key].duplicated().any():
            err.append(f"{name}: duplicate {key}")
    known = set(t["accounts"]["account_id"])
    for name in ("logins", "transfers", "orders", "positions", "promotions"):
        if not set(t[name]["account_id"]) <= known:
            err.append(f"{name}: unknown account")
    o = t["orders"].set_index("order_id")
    tr = t["trades"]
    for side, col, acc in (
        ("buy", "buy_order_id", "buyer_id"),
        ("sell", "sell_order_id", "seller_id"),
    ):
        if not tr[col].isin(o.index).all():
            err.append(f"trades.{col}: references a missing order")
            continue
        ref = o.loc[tr[col]]
        if (ref["account_id"].to_numpy() != tr[acc].to_numpy()).any():
            err.append(f"trades.{acc}: not the owner of {col}")
        if (ref["side"].to_numpy() != side).any() or (
            ref["symbol"].to_numpy() != tr["symbol"].to_numpy()
        ).any():
            err.append(f"trades.{col}: order side or symbol disagrees")
        if (ref["created_at"].to_numpy() > tr["ts"].to_numpy()).any():
            err.append(f"trades.{col}: trade before its order")
        lim = ref["order_type"].to_numpy() == "limit"
        px = pd.to_numeric(ref["price"].replace("", None), errors="coerce").to_numpy(dtype=float)
        tp = pd.to_numeric(tr["price"]).to_numpy()
        worse = tp > px + 1e-12 if side == "buy" else tp < px - 1e-12
        if (lim & worse).any():
            err.append(f"trades.{col}: filled beyond the order's limit price")
    qty = pd.to_numeric(tr["qty"])
    sums = (
        qty.groupby(tr["buy_order_id"])
        .sum()
        .add(qty.groupby(tr["sell_order_id"]).sum(), fill_value=0)
    )
    filled = pd.to_numeric(o["filled_qty"])
    if not (sums.reindex(o.index, fill_value=0).astype(int) == filled).all():
        err.append("orders.filled_qty: differs from the sum of its trades")
    if (filled > pd.to_numeric(o["qty"])).any():
        err.append("orders.filled_qty: above qty")
    c = o["cancelled_at"]
    if ((c != "") & (c <= o["created_at"])).any():
        err.append("orders.cancelled_at: not after created_at")
    last = pd.concat([tr.set_index("buy_order_id")["ts"], tr.set_index("sell_order_id")["ts"]])
    last = last.groupby(level=0).max().reindex(o.index, fill_value="")
    if ((c != "") & (c < last)).any():
        err.append("orders.cancelled_at: before a fill")
    if ((o["order_type"] == "market") != (o["price"] == "")).any():
        err.append("orders.price: market orders carry no price, limit orders do")
    for s in ("buyer", "seller"):
        opened = tr[f"{s}_effect"] == "open"
        if (pd.to_numeric(tr.loc[opened, f"{s}_realized_pnl"]) != 0).any():
            err.append(f"trades.{s}_realized_pnl: non-zero on an opening fill")
    return err


def accidental(folder: Path, truth: dict[str, object]) -> list[str]:
    """Background accounts that break the exchange's own numbers without being planted."""
    t = load(folder)
    planted = {
        a
        for i in truth["incidents"] + truth["hard_negatives"]  # type: ignore[operator]
        for a in i["accounts"]
    }
    acc = t["accounts"].set_index("account_id")
    inst = t["instruments"].set_index("symbol")
    o, tr = t["orders"], t["trades"]
    out: list[str] = []
    st = tr[tr["buyer_id"] == tr["seller_id"]].groupby(["buyer_id", "symbol"]).size()
    out += [
        f"self_trade {a} {s} {n}"
        for (a, s), n in st.items()
        if n > SELF_TRADE_LIMIT and a not in planted
    ]
    mm = o["account_id"].map(acc["market_maker"]) == "true"
    cn = o[(o["cancelled_at"] != "") & ~mm].groupby(["account_id", "symbol"]).size()
    out += [
        f"frequent_cancel {a} {s} {n}"
        for (a, s), n in cn.items()
        if n > CANCEL_LIMIT and a not in planted
    ]
    opens = pd.concat(
        [
            tr[tr["buyer_effect"] == "open"].assign(a=tr["buyer_id"])[["a", "symbol", "qty"]],
            tr[tr["seller_effect"] == "open"].assign(a=tr["seller_id"])[["a", "symbol", "qty"]],
        ]
    )
    opens["qty"] = pd.to_numeric(opens["qty"])
    og = opens.groupby(["a", "symbol"])["qty"].sum()
    lim = pd.to_numeric(inst["daily_open_limit"])
    out += [
        f"daily_open {a} {s} {q}/{lim[s]}"
        for (a, s), q in og.items()
        if q > lim[s] and a not in planted
    ]
    pos = t["positions"]
    big = pos[
        pd.to_numeric(pos["qty"]).abs()
        > 0.8 * pd.to_numeric(pos["symbol"].map(inst["position_limit"]))
    ]
    out += [
        f"position {a} {s}"
        for a, s in zip(big["account_id"], big["symbol"], strict=True)
        if a not in planted
    ]
    api = o[(o["channel"] == "api") & (o["account_id"].map(acc["api_trading_allowed"]) != "true")]
    out += [f"unauthorized_api {a}" for a in set(api["account_id"]) - planted]
    return out


def main() -> None:
    folder = Path(sys.argv[1])
    truth = json.loads((folder / "truth.json").read_text())
    errors = contract_errors(folder / "window")
    print("contract errors:", errors or "none")
    acc = accidental(folder / "window", truth)
    print(f"accidental background violations: {len(acc)}", *acc[:20], sep="\n  ")
    counts = np.unique([i["category"] for i in truth["incidents"]], return_counts=True)
    print("incidents:", dict(zip(*counts, strict=True)))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
