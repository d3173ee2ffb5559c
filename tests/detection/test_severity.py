from __future__ import annotations

from apps.detection.rules.base import Finding, day_window, explain, judged, urgency


def test_a_bare_threshold_crossing_is_low_or_medium() -> None:
    assert urgency(past=1.0).severity in {"low", "medium"}
    assert urgency(past=1.2, notional=5_000).severity in {"low", "medium"}


def test_funds_leaving_an_account_after_a_new_device_login_is_critical() -> None:
    assert urgency(past=1.0, notional=6_000, funds_leaving=True).severity == "critical"


def test_nothing_but_funds_leaving_or_a_large_manipulation_is_critical() -> None:
    # Far past the threshold, a fortune at stake, many accounts, a record: still not
    # "act within minutes" unless money is leaving or the market is being moved.
    assert urgency(past=50, notional=1e9, accounts=20, record=5).severity == "high"
    assert urgency(past=50, notional=1e9, accounts=3, manipulation=True).severity == "critical"
    assert urgency(past=1.1, notional=20_000, manipulation=True).severity != "critical"


def test_more_at_stake_and_further_past_the_threshold_score_higher() -> None:
    assert urgency(past=2).score > urgency(past=1).score
    assert urgency(past=1, notional=1e6).score > urgency(past=1, notional=1e4).score
    assert urgency(past=1, accounts=4).score > urgency(past=1).score
    assert urgency(past=1, record=1).score > urgency(past=1).score
    assert 0 <= urgency(past=1e9, notional=1e12, funds_leaving=True, record=9).score <= 100


def test_an_explanation_row_rounds_for_a_person_and_says_how_far_past() -> None:
    row = explain("realised profit that day", 302_206.4391, "USDT", 50_000)
    assert row == {
        "label": "realised profit that day",
        "value": 302_206,
        "unit": "USDT",
        "threshold": 50_000,
        "comparison": ">=",
        "past": 6.04,
    }
    assert explain("orders that filled", 2.5, "%", 10, "<=")["past"] == 4.0
    assert explain("share", 0.012345, "of 1")["value"] == 0.0123


def test_a_rule_that_gives_no_severity_still_gets_one_from_the_shared_function() -> None:
    start, end = day_window(20_000)
    theft = Finding(
        subject="U1",
        accounts=["U1", "U2"],
        symbol=None,
        window_start=start,
        window_end=end,
        score=55.0,
        summary="",
        metrics={"amount": 6_000.0, "transfers": 2},
    )
    urgent, rows = judged("account_theft", theft, {"min_amount": 5_000})
    assert urgent.severity == "critical"
    assert rows[0]["unit"] == "USDT" and rows[0]["threshold"] == 5_000
    quiet = Finding(**{**theft.__dict__, "score": 50.0})
    assert judged("self_trade", quiet, {})[0].severity in {"low", "medium"}
