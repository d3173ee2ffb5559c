"""The evidence table as a person reads it."""

from apps.alerts.alert_page import evidence_blocks


def test_evidence_rows_show_lists_joined_and_columns_in_words() -> None:
    [block] = evidence_blocks(
        {"orders_in_step": [{"accounts": ["U1", "U2"], "orders": 2, "share_of_orders": 0.5}]}
    )
    assert block.kind == "rows" and block.columns == ["accounts", "orders", "share of orders"]
    assert block.rows == [["U1, U2", 2, 0.5]]
