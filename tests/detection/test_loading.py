from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.accounts.models import AccountLink, ControlCluster, ExchangeAccount, Identifier

ACCOUNTS = """\
account_id,registered_at,kyc_level,vip_tier,api_trading_allowed,market_maker,referrer_id
U1,2026-01-02T03:04:05Z,2,1,false,false,
U2,2026-02-02T03:04:05Z,1,0,true,false,U1
U3,2026-03-02T03:04:05Z,3,5,false,true,
"""
LOGINS = """account_id,ts,ip,device_id
U1,2026-11-20T01:00:00Z,198.51.100.4,dev-a
U1,2026-11-20T09:00:00Z,198.51.100.4,dev-a
U2,2026-11-20T02:00:00Z,198.51.100.4,dev-b
"""
TRANSFERS = """transfer_id,account_id,ts,kind,asset,amount,address,counterparty_account_id
T1,U1,2026-11-20T00:10:00Z,deposit,USDT,1000,0xfeed01,
T2,U2,2026-11-20T00:20:00Z,internal_in,USDT,500,,U1
"""


def write_window(folder: Path, logins: str = LOGINS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "accounts.csv").write_text(ACCOUNTS)
    (folder / "logins.csv").write_text(logins)
    (folder / "transfers.csv").write_text(TRANSFERS)
    return folder


@pytest.mark.django_db
def test_loading_a_window_creates_accounts_and_their_identifiers(tmp_path, capsys) -> None:
    call_command("load_accounts", write_window(tmp_path / "w1"))
    assert ExchangeAccount.objects.count() == 3
    u2 = ExchangeAccount.objects.get(pk="U2")
    assert (u2.api_trading_allowed, u2.referrer_id) == (True, "U1")
    ip = Identifier.objects.get(account_id="U1", kind="ip", value="198.51.100.4")
    assert ip.times_seen == 2 and ip.first_seen.hour == 1 and ip.last_seen.hour == 9
    assert Identifier.objects.filter(kind="address", value="0xfeed01").count() == 1
    out = capsys.readouterr().out
    assert "accounts: 3/3" in out and "3 accounts created" in out
    assert u2.history.latest().history_task == "load_accounts"


@pytest.mark.django_db
def test_loading_the_same_window_twice_changes_nothing(tmp_path, capsys) -> None:
    window = write_window(tmp_path / "w1")
    call_command("load_accounts", window)
    before = list(Identifier.objects.values_list("value", "times_seen", "last_seen"))
    history_rows = ExchangeAccount.history.count()
    call_command("load_accounts", window)
    assert list(Identifier.objects.values_list("value", "times_seen", "last_seen")) == before
    assert ExchangeAccount.history.count() == history_rows
    assert "0 accounts created, 0 updated" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_later_window_widens_last_seen_and_adds_sightings(tmp_path) -> None:
    call_command("load_accounts", write_window(tmp_path / "w1"))
    later = "account_id,ts,ip,device_id\nU1,2026-11-21T05:00:00Z,198.51.100.4,dev-a\n"
    call_command("load_accounts", write_window(tmp_path / "w2", logins=later))
    ip = Identifier.objects.get(account_id="U1", kind="ip", value="198.51.100.4")
    assert ip.times_seen == 3 and ip.last_seen.day == 21 and ip.first_seen.day == 20


@pytest.mark.django_db
def test_a_broken_feed_stops_with_the_file_row_and_column_and_loads_nothing(tmp_path) -> None:
    window = write_window(tmp_path / "bad")
    (window / "accounts.csv").write_text(ACCOUNTS.replace("U3,2026-03-02", "U3,yesterday"))
    with pytest.raises(CommandError) as error:
        call_command("load_accounts", window)
    message = str(error.value)
    assert "accounts.csv" in message and "registered_at" in message and "3" in message
    assert ExchangeAccount.objects.count() == 0


@pytest.mark.django_db
def test_an_internal_transfer_links_two_accounts_into_one_cluster(tmp_path) -> None:
    call_command("load_accounts", write_window(tmp_path / "w1"))
    links = {
        (link.account_a_id, link.account_b_id, link.kind): link
        for link in AccountLink.objects.all()
    }
    # The transfer is the strong evidence; the shared IP is kept beside it as more evidence.
    assert set(links) == {("U1", "U2", "transfer"), ("U1", "U2", "ip")}
    assert links["U1", "U2", "transfer"].evidence["events"] == 1
    u1, u2, u3 = ExchangeAccount.objects.order_by("pk")
    assert u1.cluster == u2.cluster and u1.cluster is not None and u3.cluster is None
    assert u1.cluster.key == "U1" and u1.cluster.size == 2


@pytest.mark.django_db
def test_a_shared_home_ip_alone_makes_no_cluster(tmp_path) -> None:
    window = write_window(tmp_path / "w1")
    (window / "transfers.csv").write_text(TRANSFERS.splitlines()[0] + "\n")
    call_command("load_accounts", window)  # U1 and U2 share 198.51.100.4 only
    assert AccountLink.objects.count() == 0
    assert ControlCluster.objects.count() == 0
