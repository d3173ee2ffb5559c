"""A hand-made window for the market's own risk: BTCUSDT torn from its index and cascading,
ETHUSDT calm; positions held by a few accounts, two of them in one cluster."""

from pathlib import Path


def _ts(minute: int, second: int = 0) -> str:
    return f"2026-11-20T10:{minute:02d}:{second:02d}.000Z"


def write_market_window(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instruments.csv").write_text(
        "symbol,contract_size,tick_size,max_leverage,position_limit,daily_open_limit\n"
        "BTCUSDT,0.001,0.1,125,1000000,1000000\nETHUSDT,0.01,0.01,100,1000000,1000000\n"
    )
    marks = ["symbol,ts,mark_price,index_price"]
    for m in range(40):
        # BTC: 2% above its index for minutes 5..24 (past the rule's 5 minutes held), and a
        # 10% jump at minute 6.
        btc = 110_000.0 if m >= 6 else 100_000.0
        index = btc / 1.02 if 5 <= m <= 24 else btc
        marks.append(f"BTCUSDT,{_ts(m)},{btc},{index}")
        marks.append(f"ETHUSDT,{_ts(m)},3000.0,3000.0")
    (folder / "mark_prices.csv").write_text("\n".join(marks) + "\n")
    trades = [
        "trade_id,symbol,ts,price,qty,buy_order_id,sell_order_id,buyer_id,seller_id,taker_side,"
        "buyer_effect,seller_effect,buyer_realized_pnl,seller_realized_pnl"
    ]
    # Minute 7: 25 different longs sold out at a loss (the taker closes, losing) = forced.
    for n in range(25):
        trades.append(
            f"T{n},BTCUSDT,{_ts(7, n)},100000,2,B{n},S{n},MM1,L{n:02d},sell,open,close,0,-50"
        )
    trades.append("T99,ETHUSDT," + _ts(8) + ",3000,1,B99,S99,E1,E2,buy,open,open,0,0")
    (folder / "trades.csv").write_text("\n".join(trades) + "\n")
    positions = ["ts,account_id,symbol,qty,entry_price,leverage,margin,unrealized_pnl"]
    holders = {"W1": 400, "W2": 300, "A3": 100, "A4": 50, "A5": 50, "A6": 50, "A7": 50}
    for account, qty in holders.items():
        positions.append(f"{_ts(0)},{account},BTCUSDT,{qty * 2},100000,10,1000,0")  # older
        positions.append(f"{_ts(15)},{account},BTCUSDT,{qty},100000,10,1000,0")
        positions.append(f"{_ts(15)},S{account},BTCUSDT,-{qty},100000,10,1000,0")
    (folder / "positions.csv").write_text("\n".join(positions) + "\n")
    return folder
