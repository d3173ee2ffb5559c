"""Evidence drawn from a case's alerts: trade and order tables, PnL and volume charts."""

import pytest

from apps.accounts.models import AccountLink
from apps.cases.graph import case_graph, layout, render_svg
from apps.cases.selectors import case_page
from apps.cases.services import case_open
from tests.cases.feed import feed_window
from tests.cases.helpers import alert_on, linked_cluster

pytestmark = pytest.mark.django_db


def test_the_case_page_reads_its_alerts_trades_and_orders_from_the_window(
    operator, tmp_path
) -> None:
    members = linked_cluster(size=4)
    trade_ids, order_ids = feed_window(tmp_path / "window-1", members.ids)
    alert = alert_on(members.ids[:2], evidence={"trade_ids": trade_ids, "order_ids": order_ids[:3]})
    case = case_open(alerts=[alert], by=operator).case

    evidence = case_page(case).evidence

    assert evidence.window == "window-1"
    assert [t["trade_id"] for t in evidence.trades] == trade_ids
    assert [o["order_id"] for o in evidence.orders] == order_ids[:3]
    assert "<polyline" in evidence.pnl_chart and members.ids[0] in evidence.pnl_chart
    assert evidence.volume_chart.count("<rect") >= 24  # one bar an hour
    for chart in (evidence.pnl_chart, evidence.volume_chart):
        assert "style=" not in chart and "<script" not in chart  # CSP-safe
        # A visible title, and the value axis says its unit.
        assert '<figcaption class="chart-title">' in chart and ">USDT</text>" in chart


def test_fills_that_realised_nothing_are_said_in_words_not_drawn_as_a_flat_line(
    operator, tmp_path
) -> None:
    members = linked_cluster(size=3)
    trade_ids, _ = feed_window(tmp_path / "window-1", members.ids, realised=False)
    case = case_open(alerts=[alert_on(members.ids[:2], evidence={"trade_ids": trade_ids})],
                     by=operator).case  # fmt: skip

    evidence = case_page(case).evidence

    assert evidence.pnl_chart == "" and "realised a profit or loss" in evidence.pnl_note
    assert "<rect" in evidence.volume_chart  # the volume is still drawn


def test_without_a_window_on_disk_the_page_says_so(operator) -> None:
    members = linked_cluster()
    case = case_open(alerts=[alert_on(members.ids[:1])], by=operator).case
    evidence = case_page(case).evidence
    assert evidence.trades == [] and "No feed window" in evidence.note


def test_the_graph_draws_every_link_labelled_and_the_same_way_each_time() -> None:
    members = linked_cluster(size=4)
    graph = case_graph(members.ids)
    assert sorted(graph.edges.values()) == [["device"], ["ip"], ["trades_with"]]
    assert sorted(graph.labels.values()) == ["IP", "device", "trades-with"]
    assert render_svg(graph) == render_svg(case_graph(members.ids))
    assert "style=" not in render_svg(graph)


def test_the_layout_keeps_every_node_inside_the_picture() -> None:
    nodes = [f"U{n}" for n in range(30)]
    edges = [(nodes[i], nodes[(i * 7) % 30]) for i in range(30) if i != (i * 7) % 30]
    positions = layout(nodes, edges, 560, 360)
    assert all(20 <= x <= 540 and 20 <= y <= 340 for x, y in positions.values())
    distinct = {(round(x), round(y)) for x, y in positions.values()}
    assert len(distinct) == 30


def test_edge_labels_say_what_the_link_is_and_each_account_says_why_it_is_there() -> None:
    members = linked_cluster(size=3)
    a, b, c = sorted(members.ids)
    AccountLink.objects.all().delete()
    AccountLink.objects.create(
        account_a_id=a,
        account_b_id=b,
        kind=AccountLink.Kind.TRANSFER,
        evidence={"values": ["X1", "X2", "X3"], "value_count": 3, "events": 3, "strength": 0.9},
    )
    AccountLink.objects.create(
        account_a_id=b,
        account_b_id=c,
        kind=AccountLink.Kind.ADDRESS,
        evidence={"values": ["0x2309aa8a25a558f2483e"], "value_count": 1, "strength": 0.4},
    )
    graph = case_graph(members.ids)
    assert graph.labels == {(a, b): "3 transfers", (b, c): "wallet 0x2309aa…483e"}
    assert graph.strength[(a, b)] == 0.9
    why = {account: (other, reason) for account, other, reason in graph.reasons}
    assert why[b] == (a, "moved funds to each other 3 times (X1, X2, X3); strength 0.90")
    assert why[c][1] == "share the external wallet 0x2309aa8a25a558f2483e; strength 0.40"
    svg = render_svg(graph)
    assert 'stroke-width="3.7"' in svg and ">3 transfers<" in svg
