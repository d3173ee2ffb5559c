"""The market's own risk per contract, read from a window (apps.detection.market_risk)."""

import pytest

from apps.detection.market_risk import contract_risk
from apps.detection.rules.market_stress import RULE
from tests.detection.market_window import write_market_window


def test_each_reading_per_contract(tmp_path) -> None:
    folder = write_market_window(tmp_path / "w")
    clusters = {"W1": "C1", "W2": "C1"}
    btc, eth = contract_risk(folder, RULE.default_params, lambda ids: clusters)
    assert (btc.symbol, eth.symbol) == ("BTCUSDT", "ETHUSDT")
    assert btc.gap_now == 0.0 and btc.gap_sustained == pytest.approx(0.02)
    assert btc.max_move == pytest.approx(0.0953, abs=1e-4)  # ln(1.1) over 5 minutes
    assert btc.liq_accounts_per_minute == 25
    # 25 closes x 2 contracts x 100,000 x 0.001 contract size.
    assert btc.liq_notional_per_minute == pytest.approx(5000.0)
    assert btc.open_interest == 1000  # the latest snapshot's longs
    # Gross 2,000 contracts: the top five holders are W1, W2 and their shorts (1,400 + 100).
    assert btc.top_accounts_share == pytest.approx(1500 / 2000)
    # W1 + W2 are one cluster (700), then SW1 (400), SW2 (300), A3 and SA3 (100 each).
    assert btc.top_clusters_share == pytest.approx(1600 / 2000)
    assert btc.signals == ["mark_index_gap", "sudden_move", "liquidation_burst"]
    assert btc.concentrated
    assert eth.signals == [] and eth.liq_accounts_per_minute == 0 and eth.open_interest == 0


def test_thresholds_are_the_rules(tmp_path) -> None:
    folder = write_market_window(tmp_path / "w")
    looser = {**RULE.default_params, "max_mark_gap": 0.05, "max_move": 0.2}
    btc = contract_risk(folder, looser)[0]
    assert btc.signals == ["liquidation_burst"]


def write_checkpoint(window, folder):
    """The window's rows saved as the live detector's checkpoint."""
    from apps.detection.live.checkpoint import Checkpoint, save
    from apps.detection.live.state import LiveState
    from apps.detection.market_risk import window_tables

    tables = [(name, frame) for name, frame in window_tables(window).items() if frame is not None]
    save(folder, Checkpoint(), tables, LiveState())
    return folder


def test_the_live_checkpoint_reads_the_same_as_the_window(tmp_path) -> None:
    from apps.detection.market_risk import contract_risk_of, live_tables

    window = write_market_window(tmp_path / "w")
    live = write_checkpoint(window, tmp_path / "live" / "feed")
    tables = live_tables(live)
    assert tables is not None
    assert contract_risk_of(tables, RULE.default_params) == contract_risk(
        window, RULE.default_params
    )
    assert live_tables(tmp_path / "nothing") is None
