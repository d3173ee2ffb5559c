"""A wallet holds its users in a cluster only when all of them are in it, or it ties them to
the cluster the desk keeps them in (issue 12,
apps.detection.link_support.held_only_by_wider_identifiers)."""

import pandas as pd

from apps.detection.linking import link_accounts

T0 = pd.Timestamp("2026-01-01T00:00:00Z")


def _transfers(*rows: tuple[str, str, str | None, str | None]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["account_id", "kind", "address", "counterparty_account_id"])
    frame["transfer_id"] = [f"X{i}" for i in range(len(frame))]
    frame["ts"] = [T0 + pd.Timedelta(minutes=i) for i in range(len(frame))]
    return frame


def _logins(*rows: tuple[str, str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["account_id", "ip", "device_id"])
    frame["ts"] = [T0 + pd.Timedelta(minutes=i) for i in range(len(frame))]
    return frame


def _uses(address: str, accounts: list[str]) -> list[tuple[str, str, str | None, str | None]]:
    return [(account, "withdrawal", address, None) for account in accounts]


QUIET = ["Q1", "Q2", "Q3"]
BUSY = ["B1", "B2", "B3", "B4"]
# A wallet (a shop, a small service) three quiet accounts and four busy customers paid into.
# The quiet ones are alike only because they did little else; the busy ones, with a dozen
# other wallets each, are not. The wallet says the same of all seven.
SHOP = _uses("shop", [*QUIET, *BUSY]) + [
    (busy, "withdrawal", f"{busy}-{i}", None) for busy in BUSY for i in range(12)
]


def test_a_wallet_most_of_whose_users_stay_outside_the_cluster_holds_none_of_them() -> None:
    rows = SHOP
    before = link_accounts(None, _transfers(*rows), params={"whole_identifiers": False})
    assert before.clusters == {"Q1": QUIET}
    after = link_accounts(None, _transfers(*rows))
    assert after.clusters == {}
    # The pairs keep their strength and evidence; only the verdict changes.
    quiet = after.links[after.links["account_a"].isin(QUIET) & after.links["account_b"].isin(QUIET)]
    assert len(quiet) == 3 and (quiet["strength"] >= 0.22).all()


def test_a_wallet_all_of_whose_users_are_in_the_cluster_holds_them() -> None:
    # The same quiet accounts funded from one wallet nobody else uses: the funder pattern.
    rows = _uses("funder", QUIET) + _uses("Q1-own", ["Q1"])
    assert link_accounts(None, _transfers(*rows)).clusters == {"Q1": QUIET}


# Later in the day the quiet accounts' funder wallet is seen paying two busy customers too.
GROWN = _uses("funder", [*QUIET, "B1", "B2"]) + [
    (busy, "withdrawal", f"{busy}-{i}", None) for busy in ("B1", "B2") for i in range(12)
]


def test_a_desk_that_has_not_kept_the_cluster_judges_the_wallet_whole() -> None:
    # Three of its five users linked: the wallet says the same of all five, so it holds none.
    assert link_accounts(None, _transfers(*GROWN)).clusters == {}


def test_a_cluster_the_desk_keeps_is_not_dissolved_by_new_users_of_its_wallet() -> None:
    kept = {account: "Q1" for account in QUIET}
    assert link_accounts(None, _transfers(*GROWN), kept=kept).clusters == {"Q1": QUIET}
    # The kept clusters hold only the groupings they are: accounts kept apart, or in no
    # kept cluster, are judged as a fresh desk judges them.
    apart = {"Q1": "Q1", "Q2": "Q2", "Q3": "Q3"}
    assert link_accounts(None, _transfers(*GROWN), kept=apart).clusters == {}
    others = {"B1": "B1", "B2": "B1"}
    assert link_accounts(None, _transfers(*GROWN), kept=others).clusters == {}


def test_an_account_with_other_evidence_in_the_cluster_stays() -> None:
    # Q1 and Q2 also moved money between them and with Q3: the shop is no longer all
    # that holds them.
    rows = [
        *SHOP,
        ("Q1", "internal_out", None, "Q2"),
        ("Q2", "internal_in", None, "Q1"),
        ("Q2", "internal_out", None, "Q3"),
        ("Q3", "internal_in", None, "Q2"),
        ("Q3", "internal_out", None, "Q1"),
        ("Q1", "internal_in", None, "Q3"),
    ]
    assert link_accounts(None, _transfers(*rows)).clusters == {"Q1": QUIET}


def test_a_shared_device_with_users_outside_still_holds() -> None:
    # A device is one physical machine (two signals): its users outside a cluster read as
    # the controller's further accounts, not as strangers.
    busy = [("B1", f"10.0.0.{i}", f"B1-dev-{i}") for i in range(12)]
    logins = _logins(*[(q, "1.1.1.1", "phone") for q in QUIET], ("B1", "9.9.9.9", "phone"), *busy)
    assert link_accounts(logins, None).clusters == {"Q1": QUIET}
