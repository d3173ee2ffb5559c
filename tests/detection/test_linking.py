from __future__ import annotations

import numpy as np
import pandas as pd

from apps.detection.link_evidence import repeated
from apps.detection.linking import link_accounts

T0 = pd.Timestamp("2026-11-20T00:00:00Z")


def _logins(*rows: tuple[str, str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["account_id", "ip", "device_id"])
    frame["ts"] = [T0 + pd.Timedelta(minutes=i) for i in range(len(frame))]
    return frame


def _transfers(*rows: tuple[str, str, str | None, str | None]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["account_id", "kind", "address", "counterparty_account_id"])
    frame["transfer_id"] = [f"X{i}" for i in range(len(frame))]
    frame["ts"] = [T0 + pd.Timedelta(minutes=i) for i in range(len(frame))]
    return frame


def _trades(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(pairs, columns=["buyer_id", "seller_id"])
    frame["symbol"] = "BTCUSDT"
    frame["ts"] = [T0 + pd.Timedelta(seconds=i) for i in range(len(frame))]
    return frame


def test_a_shared_device_links_two_accounts_with_its_evidence() -> None:
    linkage = link_accounts(_logins(("U2", "1.1.1.1", "D9"), ("U1", "2.2.2.2", "D9")), None)
    assert linkage.clusters == {"U1": ["U1", "U2"]}
    link = linkage.links[linkage.links["kind"] == "device"].iloc[0]
    assert (link["account_a"], link["account_b"], link["values"]) == ("U1", "U2", ["D9"])
    assert link["events"] == 2 and link["first_seen"] == T0
    assert linkage.account_cluster.to_dict() == {"U1": "U1", "U2": "U1"}


def test_a_household_sharing_one_ip_is_not_a_cluster() -> None:
    linkage = link_accounts(_logins(("U1", "9.9.9.9", "D1"), ("U2", "9.9.9.9", "D2")), None)
    assert linkage.clusters == {}
    assert linkage.links["kind"].tolist() == ["ip"]
    assert not linkage.links["linked"].any()


def test_two_shared_ips_are_two_weak_signals_and_link() -> None:
    logins = _logins(
        ("U1", "9.9.9.9", "D1"),
        ("U2", "9.9.9.9", "D2"),
        ("U1", "8.8.8.8", "D1"),
        ("U2", "8.8.8.8", "D2"),
    )
    assert link_accounts(logins, None).clusters == {"U1": ["U1", "U2"]}


def test_one_shared_ip_or_repeated_trading_links_nobody_but_two_shared_ips_do() -> None:
    # A home router or a market maker's book is shared innocently; two IPs are not.
    one_ip = _logins(("U1", "9.9.9.9", "D1"), ("U2", "9.9.9.9", "D2"))
    assert link_accounts(one_ip, None, _trades([("U1", "U2")] * 5)).clusters == {}
    assert link_accounts(None, None, _trades([("U1", "U2")] * 50)).clusters == {}
    two_ips = _logins(
        ("U1", "9.9.9.9", "D1"),
        ("U2", "9.9.9.9", "D2"),
        ("U1", "8.8.4.4", "D1"),
        ("U2", "8.8.4.4", "D2"),
    )
    linkage = link_accounts(two_ips, None, _trades([("U1", "U2")] * 5))
    assert linkage.clusters == {"U1": ["U1", "U2"]}
    assert set(linkage.links["kind"]) == {"ip", "trades_with"}


def test_a_hub_ip_or_wallet_links_nobody() -> None:
    accounts = [f"U{i:03d}" for i in range(30)]
    logins = _logins(*[(a, "100.64.0.1", f"D{a}") for a in accounts])
    transfers = _transfers(*[(a, "deposit", "hot-wallet", None) for a in accounts])
    linkage = link_accounts(logins, transfers, params={"hub_accounts": 20})
    assert linkage.clusters == {} and linkage.links.empty
    assert sorted(linkage.hubs["value"]) == ["100.64.0.1", "hot-wallet"]
    assert linkage.hubs["accounts"].tolist() == [30, 30]


def test_a_funding_address_and_internal_transfers_tie_a_cluster() -> None:
    transfers = _transfers(
        ("U3", "deposit", "wallet-x", None),
        ("U1", "deposit", "wallet-x", None),
        ("U7", "deposit", "wallet-x", None),
        ("U1", "internal_out", None, "U7"),
        ("U7", "internal_in", None, "U1"),
        ("U8", "deposit", "wallet-y", None),
    )
    linkage = link_accounts(None, transfers)
    assert linkage.clusters == {"U1": ["U1", "U3", "U7"]}
    transfer = linkage.links[linkage.links["kind"] == "transfer"].iloc[0]
    assert transfer["events"] == 1 and transfer["values"] == ["X3"]
    assert linkage.cluster_of(pd.Series(["U7", "U8"])).tolist() == ["U1", "U8"]


def test_a_chain_of_single_signals_is_not_a_cluster() -> None:
    # U3 shares a wallet with U1, U1 paid U7 once: two separate relationships, two ties for
    # three accounts. A cluster of n accounts needs n independent ties, as two need two.
    chain = _transfers(
        ("U3", "deposit", "wallet-x", None),
        ("U1", "deposit", "wallet-x", None),
        ("U1", "internal_out", None, "U7"),
        ("U7", "internal_in", None, "U1"),
    )
    linkage = link_accounts(None, chain)
    assert linkage.clusters == {}
    assert (linkage.links["strength"] >= 0.22).all() and not linkage.links["linked"].any()


def test_a_chain_is_judged_pair_by_pair_and_keeps_its_well_evidenced_pair() -> None:
    # U1 and U2 share a phone (two signals); U2 and U3 only one wallet: no loop, so each
    # pair stands on its own, and only the phone's pair is a cluster.
    logins = _logins(("U1", "1.1.1.1", "D7"), ("U2", "2.2.2.2", "D7"))
    transfers = _transfers(("U2", "deposit", "wallet-x", None), ("U3", "deposit", "wallet-x", None))
    linkage = link_accounts(logins, transfers)
    assert linkage.clusters == {"U1": ["U1", "U2"]}
    wallet = linkage.links[linkage.links["kind"] == "address"].iloc[0]
    assert wallet["strength"] >= 0.22 and not wallet["linked"]


def test_one_funder_behind_many_new_accounts_is_one_cluster() -> None:
    # Star funding: nothing but the funder's transfers, yet each funded account is alike
    # the others through it, which ties them as a shared wallet would.
    star = _transfers(
        *[("F1", "internal_out", None, f"N{i}") for i in range(6)],
        *[(f"N{i}", "internal_in", None, "F1") for i in range(6)],
    )
    assert link_accounts(None, star).clusters == {"F1": ["F1", *[f"N{i}" for i in range(6)]]}


def test_cluster_keys_do_not_depend_on_row_order() -> None:
    rows = [("U5", "1", "DX"), ("U2", "2", "DX"), ("U9", "3", "DY"), ("U5", "4", "DY")]
    first = link_accounts(_logins(*rows), None)
    second = link_accounts(_logins(*reversed(rows)), None)
    assert first.clusters == second.clusters == {"U2": ["U2", "U5", "U9"]}


def test_a_link_carries_its_strength_and_weak_pairs_are_kept_unlinked() -> None:
    # Two wallets that only ever fund each other are strongly alike; a customer with many
    # other counterparties who once paid a stranger is weakly tied to them and stays apart.
    busy = [("U1", "withdrawal", f"shop-{i}", None) for i in range(12)]
    transfers = _transfers(
        ("U1", "internal_out", None, "U2"),
        ("U2", "internal_in", None, "U1"),
        *busy,
        ("U8", "internal_out", None, "U9"),
        ("U9", "internal_in", None, "U8"),
        ("U8", "deposit", "wallet-q", None),
        ("U9", "deposit", "wallet-q", None),
    )
    linkage = link_accounts(None, transfers, _trades([("U8", "U9")] * 5))
    assert linkage.clusters == {"U8": ["U8", "U9"]}
    strength = linkage.links.groupby(["account_a", "account_b"])["strength"].first()
    assert strength[("U8", "U9")] > 0.5 > strength[("U1", "U2")]


def test_money_two_accounts_move_only_between_themselves_is_one_relationship() -> None:
    # A payment and a wallet the two both use, with no one else: two people settling up
    # look the same. Funds evidence of such a private pair counts once; a second kind
    # (a device, trading with each other) makes it a cluster.
    rows = [
        ("U8", "internal_out", None, "U9"),
        ("U9", "internal_in", None, "U8"),
        ("U8", "deposit", "wallet-q", None),
        ("U9", "deposit", "wallet-q", None),
        ("U9", "withdrawal", "wallet-r", None),
        ("U8", "withdrawal", "wallet-r", None),
    ]
    private = _transfers(*rows)
    assert link_accounts(None, private).clusters == {}
    device = _logins(("U8", "1.1.1.1", "D7"), ("U9", "2.2.2.2", "D7"))
    assert link_accounts(device, private).clusters == {"U8": ["U8", "U9"]}
    # The same two funding a new account together are no longer a private pair.
    busier = _transfers(
        *rows, ("U9", "internal_out", None, "U5"), ("U5", "internal_in", None, "U9")
    )
    assert link_accounts(None, busier).clusters == {"U5": ["U5", "U8", "U9"]}


def test_one_transfer_between_two_people_is_not_common_control_by_itself() -> None:
    transfers = _transfers(("U1", "internal_out", None, "U2"), ("U2", "internal_in", None, "U1"))
    linkage = link_accounts(None, transfers)
    assert linkage.clusters == {}
    assert linkage.links["kind"].tolist() == ["transfer"] and not linkage.links["linked"].any()


def test_trading_evidence_names_the_smaller_account_first_like_every_link() -> None:
    linkage = link_accounts(None, None, _trades([("U9", "U1")] * 5))
    assert linkage.links[["account_a", "account_b"]].values.tolist() == [["U1", "U9"]]


def test_a_wallet_the_desk_saw_serving_many_accounts_pairs_nobody_even_if_few_use_it_today() -> (
    None
):
    # Three accounts fund from one wallet today; the desk has seen 500 accounts use it.
    transfers = _transfers(*[(a, "deposit", "wallet-h", None) for a in ("U1", "U2", "U3")])
    alone = link_accounts(None, transfers, population=10_000)
    assert alone.clusters == {"U1": ["U1", "U2", "U3"]}
    widths = pd.DataFrame({"kind": ["address"], "value": ["wallet-h"], "accounts": [500]})
    remembered = link_accounts(None, transfers, population=10_000, widths=widths)
    assert remembered.clusters == {}
    assert remembered.hubs[["value", "accounts"]].values.tolist() == [["wallet-h", 500]]


def _deposits(address: str, accounts: list[str]) -> list[tuple[str, str, str | None, str | None]]:
    return [(account, "deposit", address, None) for account in accounts]


def test_a_payout_wallet_of_otherwise_unrelated_accounts_links_them_not_a_controllers() -> None:
    payees, group, fresh = ["P1", "P2", "P3", "P4"], ["C1", "C2", "C3", "C4"], ["N1", "N2", "N3"]
    rows = _deposits("PAYOUT", payees) + _deposits("FUNDER", group) + _deposits("SEED", fresh)
    # Each payee and each controlled account also shares a wallet with a friend outside:
    # the payees share nothing else with each other; the controlled ones sweep to one wallet.
    for account in payees + group:
        rows += _deposits(f"friend-{account}", [account, f"F{account}"])
    rows += [(account, "withdrawal", "SWEEP", None) for account in group]
    clusters = link_accounts(None, _transfers(*rows)).clusters
    assert set(group) <= set(clusters["C1"])
    # One funder behind new accounts that have nothing else stays a cluster.
    assert clusters["N1"] == fresh
    assert all(len(set(members) & set(payees)) <= 1 for members in clusters.values())


def test_a_farm_on_vpn_exits_shared_with_strangers_stays_one_cluster() -> None:
    # One shared IP witnesses nothing: strangers behind the same VPN exits do not make the
    # farm's wallet look like a payout wallet.
    farm = ["M1", "M2", "M3", "M4"]
    logins = _logins(
        *[(account, f"10.0.0.{i}", f"D{account}") for i, account in enumerate(farm)],
        *[(f"S{account}", f"10.0.0.{i}", f"DS{account}") for i, account in enumerate(farm)],
    )
    transfers = _transfers(*_deposits("FARM", farm))
    assert link_accounts(logins, transfers).clusters == {"M1": farm}


def test_repeated_keys_are_counted_exactly_past_the_hash_buckets() -> None:
    # Many distinct keys share each bucket: a busy bucket must not pass its rare keys.
    rng = np.random.default_rng(7)
    keys = np.concatenate([rng.integers(0, 50_000**2, 20_000), np.repeat([5, 77, 123_456], 4)])
    keys = rng.permutation(keys)
    counts = pd.Series(keys).map(pd.Series(keys).value_counts()).to_numpy()
    for least in (1, 2, 4, 5):
        assert (repeated(keys, least) == (counts >= least)).all()
    assert not repeated(np.array([], dtype=np.int64), 3).any()
