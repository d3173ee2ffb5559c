import pytest

from apps.alerts.contract import ContractError, parse_alert, parse_json
from apps.alerts.models import Category
from tests.alerts.payloads import alert_payload


def errors_of(payload: object) -> dict[str, list[str]]:
    with pytest.raises(ContractError) as caught:
        parse_alert(payload)
    return caught.value.errors


def test_the_contract_example_reads_as_an_alert() -> None:
    alert = parse_alert(alert_payload())
    assert alert.dedup_key == "self_trade:U1001:BTCUSDT:2026-11-20"
    assert alert.accounts == ("U1001",)
    assert alert.detected_at.isoformat() == "2026-11-21T00:02:13+00:00"
    assert alert.score == 87.5


def test_the_model_offers_all_fourteen_contract_categories() -> None:
    assert len(Category.values) == 14


def test_every_wrong_field_is_named_with_its_own_message() -> None:
    errors = errors_of(
        alert_payload(
            dedup_key="x" * 201,
            category="spoofing",
            severity="urgent",
            score=101,
            accounts="U1",
            detected_at="yesterday",
            summary="two\nlines",
            evidence=[1],
        )
    )
    assert set(errors) == {
        "dedup_key",
        "category",
        "severity",
        "score",
        "accounts",
        "detected_at",
        "summary",
        "evidence",
    }
    assert "At most 200 characters" in errors["dedup_key"][0]


def test_required_fields_are_required() -> None:
    errors = errors_of({})
    for name in ("dedup_key", "rule", "category", "severity", "detected_at", "summary"):
        assert name in errors, name


def test_only_market_stress_may_name_no_account() -> None:
    assert "accounts" in errors_of(alert_payload(accounts=[]))
    assert parse_alert(alert_payload(accounts=[], category="market_stress")).accounts == ()


def test_times_without_a_zone_are_refused_and_offsets_become_utc() -> None:
    assert "detected_at" in errors_of(alert_payload(detected_at="2026-11-21T00:02:13"))
    alert = parse_alert(alert_payload(detected_at="2026-11-21T08:02:13+08:00"))
    assert alert.detected_at.isoformat() == "2026-11-21T00:02:13+00:00"


def test_evidence_over_64_kib_is_refused() -> None:
    big = {"trade_ids": ["T" * 1000] * 70}
    assert "64 KiB" in errors_of(alert_payload(evidence=big))["evidence"][0]


def test_an_unknown_field_is_refused_so_a_typo_cannot_pass_silently() -> None:
    assert "severty" in errors_of(alert_payload(severty="high"))


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    errors = errors_of(alert_payload(window_end="2026-11-19T00:00:00Z"))
    assert errors["window_end"] == ["Ends before window_start."]


def test_text_that_is_not_json_says_so() -> None:
    with pytest.raises(ContractError) as caught:
        parse_json(b"{not json")
    assert caught.value.reason == "not JSON"
