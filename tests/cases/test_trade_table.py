"""The case page's trade table reads as an investigator needs it: oldest first, from the
case's account's side, notional in USDT, the counterparty, and why a trade is suspect
(self-trade, a linked counterparty, a price away from the mark); totals close it."""

import re
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse

from apps.cases.services import case_open
from apps.cases.trade_table import trade_table
from tests.cases.feed import feed_window
from tests.cases.helpers import alert_on, linked_cluster

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _trade(n: int, buyer: str, seller: str, price: float, qty: float = 2.0) -> dict:
    return {
        "trade_id": f"T{n}",
        "symbol": "BTCUSDT",
        "ts": pd.Timestamp(T0 + timedelta(minutes=10 - n)),  # newest first, as read
        "price": price,
        "qty": qty,
        "buyer_id": buyer,
        "seller_id": seller,
    }


def test_each_trade_is_read_from_the_case_side_with_why_it_is_suspect() -> None:
    marks = pd.DataFrame(
        {
            "symbol": ["BTCUSDT"],
            "ts": [pd.Timestamp(T0 + timedelta(minutes=6))],
            "mark_price": [60_000.0],
        }
    )
    table = trade_table(
        [
            _trade(1, "U1", "U1", 60_000.0),  # with itself
            _trade(2, "U9", "U1", 60_100.0),  # sold to a stranger, at the market
            _trade(3, "U1", "U7", 61_500.0),  # bought from a linked account, 2.5 % over the mark
        ],
        case_accounts=["U1"],
        linked=["U1", "U7"],
        marks=marks,
    )
    assert [r.at for r in table.rows] == sorted(r.at for r in table.rows)  # oldest first
    off, stranger, itself = table.rows
    assert (off.account, off.side, off.counterparty) == ("U1", "Buy", "U7")
    assert off.flags == ("linked counterparty", "off-market +2.5% vs mark")
    assert (stranger.account, stranger.side, stranger.counterparty) == ("U1", "Sell", "U9")
    assert stranger.flags == ()
    assert itself.flags == ("self-trade",)
    assert stranger.notional == 120_200.0
    assert table.notional == 2 * (60_000 + 60_100 + 61_500)
    assert table.sold == 120_200.0 and table.bought == 2 * 61_500
    assert table.between == 2 * 60_000  # the self-trade
    assert (table.self_trades, table.linked, table.off_market) == (1, 1, 1)
    assert table.quantities == [("BTCUSDT", 6.0)]


def test_without_mark_prices_no_trade_is_called_off_market() -> None:
    table = trade_table(
        [_trade(1, "U1", "U2", 99_999.0)], case_accounts=["U1"], linked=[], marks=None
    )
    assert table.rows[0].mark_price is None and table.rows[0].flags == ()


@pytest.mark.django_db
def test_the_case_page_shows_the_trades_in_words_and_units(
    client: Client, operator, tmp_path, settings
) -> None:
    settings.DESK_TIME_ZONE = "Asia/Singapore"
    members = linked_cluster(size=3)
    trade_ids, _ = feed_window(tmp_path / "window-1", members.ids, trades=60)
    case = case_open(
        alerts=[alert_on(members.ids[:2], evidence={"trade_ids": trade_ids})], by=operator
    ).case
    client.force_login(operator)

    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    table = html[
        html.index('id="evidence-trades"') : html.index(
            "</table>", html.index('id="evidence-trades"')
        )
    ]

    assert "Notional (USDT)" in table and "Time (Asia/Singapore)" in table
    first = members.ids[0]
    assert f'<a href="{reverse("accounts:detail", args=[first])}">{first}</a>' in table
    assert ">Buy<" in table  # both sides in the case: read from the buyer's
    # The first trade, 2026-11-20 00:00 UTC, is 08:00 in Singapore.
    assert "11-20 08:00:00" in table
    assert "between the case&#x27;s accounts" in table  # the feed's trades are all among them
    assert "USDT between the case" in table
    assert re.search(r"\d+ trades · ", table) and "USDT</th>" in table  # the totals
    for internal in ("Timestamp(", "{'", "trade_id", "NaT", "nan"):
        assert internal not in table
    assert "T0<" not in table  # the feed's internal trade ids stay off the table


def test_a_quantity_reads_as_a_person_writes_it() -> None:
    from apps.cases.templatetags.cases import quantity

    assert [quantity(v) for v in (0.5, 1.0, 1250.125, 3.00004, None)] == [
        "0.5",
        "1",
        "1,250.125",
        "3",
        "—",
    ]
