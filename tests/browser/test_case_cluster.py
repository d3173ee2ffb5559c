"""A case on a 20-account cluster: the graph says what each link is, and each account why."""

from itertools import pairwise

import pandas as pd
import pytest

from apps.cases.services import case_open
from apps.desk.history import acting_task
from apps.detection.clustering import clusters_rebuild, links_store
from apps.detection.linking import link_accounts
from tests.browser.conftest import screenshot, sign_in
from tests.cases.helpers import alert_on
from tests.factories import PASSWORD, ExchangeAccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
T0 = pd.Timestamp("2026-11-20T00:00:00Z")


def _controller_of_twenty() -> list[str]:
    """A funder account feeds 11 fresh accounts; 8 more pass funds along in a chain and
    share a cash-out wallet, as sybil farms do."""
    ids = [f"U{700000 + i}" for i in range(20)]
    rows: list[tuple[str, str, str | None, str | None]] = []
    for n, account in enumerate(ids[1:12]):
        rows += [(ids[0], "internal_out", None, account), (account, "internal_in", None, ids[0])]
        rows.append((account, "withdrawal", f"0xfeed{n % 3:036d}", None))
    for n, (left, right) in enumerate(pairwise(ids[11:20])):
        for _ in range(1 + n % 3):  # some pass funds along more than once
            rows += [(left, "internal_out", None, right), (right, "internal_in", None, left)]
        rows.append((right, "withdrawal", "0x" + "c" * 40, None))
    frame = pd.DataFrame(rows, columns=["account_id", "kind", "address", "counterparty_account_id"])
    frame["transfer_id"] = [f"X{i}" for i in range(len(frame))]
    frame["ts"] = [T0 + pd.Timedelta(minutes=i) for i in range(len(frame))]
    for account in ids:
        ExchangeAccountFactory(account_id=account)
    linkage = link_accounts(None, frame, population=50_000)
    assert list(linkage.clusters.values()) == [sorted(ids)]
    with acting_task("detect"):  # as a detection run stores them
        links_store(linkage=linkage)
        clusters_rebuild()
    return ids


def test_a_case_on_a_twenty_account_cluster_explains_every_link(new_page, operator) -> None:
    ids = _controller_of_twenty()
    alert = alert_on(ids, category="common_control", rule="common_control", dedup_key="cc:U700000")
    case = case_open(alerts=[alert], by=operator).case

    page = new_page()
    sign_in(page, "olga", PASSWORD)
    page.goto(f"/cases/{case.pk}/")
    graph = page.locator("svg.case-graph")
    graph.wait_for()
    assert page.locator("svg.case-graph .node-subject").count() == 20
    labels = page.locator("svg.case-graph .edge-label text").all_text_contents()
    assert {"1 transfer", "2 transfers", "3 transfers"} <= set(labels)
    # A wallet several accounts cash out to is drawn once, as its own node.
    wallets = page.locator("svg.case-graph .node-identifier text").all_text_contents()
    assert "wallet 0xcccccc…cccc" in wallets and len(wallets) == 4
    why = page.locator("details.why-linked")
    assert "Why each account is linked (20)" in why.locator("summary").inner_text()
    why.locator("summary").click()
    assert "strength" in why.locator("tbody tr").first.inner_text()
    page.locator("#graph-h").scroll_into_view_if_needed()
    page.mouse.wheel(0, 40)
    screenshot(page, "case-cluster-20")

    # The funder's own page: its links, strongest first, each saying why.
    page.goto(f"/accounts/{ids[0]}/")
    first_reason = page.locator("#linked ~ table tbody tr").first.inner_text()
    assert "moved funds to each other once" in first_reason and "strength" in first_reason
    screenshot(page, "account-links")
