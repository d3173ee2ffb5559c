"""Cluster keys stay put across windows; every change says why."""

import pytest

from apps.accounts.cluster_matching import match_clusters
from apps.accounts.models import AccountLink, ControlCluster, ExchangeAccount
from apps.cases.models import Case, CaseEvent, EventKind
from apps.cases.services import case_open
from apps.desk.history import NoActor, acting_task
from apps.detection.clustering import clusters_rebuild as rebuild_clusters
from tests.cases.helpers import alert_on
from tests.factories import ExchangeAccountFactory


def test_a_cluster_keeps_its_key_when_an_account_with_a_smaller_id_joins_it() -> None:
    plan = match_clusters({"A0": ["A0", "B1", "B2"]}, {"B1": "B1", "B2": "B1"})
    assert plan.members == {"B1": ["A0", "B1", "B2"]}
    assert plan.reasons["B1"] == "1 joined (A0)" and not plan.new


def test_an_unrelated_new_cluster_changes_no_existing_key() -> None:
    plan = match_clusters({"B1": ["B1", "B2"], "A0": ["A0", "A9"]}, {"B1": "B1", "B2": "B1"})
    assert plan.members == {"B1": ["B1", "B2"], "A0": ["A0", "A9"]}
    assert plan.new == {"A0"} and plan.reasons["B1"] == "unchanged"


def test_two_clusters_found_to_be_one_keep_the_larger_key_and_say_so() -> None:
    current = {"A1": "A1", "A2": "A1", "B1": "B1", "B2": "B1", "B3": "B1"}
    plan = match_clusters({"A1": ["A1", "A2", "B1", "B2", "B3"]}, current)
    assert plan.members == {"B1": ["A1", "A2", "B1", "B2", "B3"]}
    assert plan.merged == {"A1": "B1"}
    assert plan.reasons["B1"] == "merged with A1; 2 joined (A1, A2)"


def test_a_split_keeps_the_key_on_the_larger_part_and_gives_the_rest_a_new_one() -> None:
    current = {a: "A1" for a in ("A1", "A2", "A3", "A4", "A5")}
    plan = match_clusters({"A1": ["A1", "A2"], "A3": ["A3", "A4", "A5"]}, current)
    assert plan.members["A1"] == ["A3", "A4", "A5"]
    # The smaller part's natural key is taken by the cluster that lives on.
    assert plan.members["A1-2"] == ["A1", "A2"] and plan.new == {"A1-2"}
    assert plan.reasons["A1"] == "2 left (A1, A2)"


def test_a_cluster_with_no_links_left_is_dissolved() -> None:
    plan = match_clusters({}, {"A1": "A1", "A2": "A1"})
    assert plan.dissolved == {"A1"} and plan.members == {}


def clusters_rebuild() -> None:
    """As detection runs it: inside its task, which the history rows name."""
    with acting_task("detect"):
        rebuild_clusters()


def _link(a: str, b: str) -> None:
    AccountLink.objects.create(account_a_id=a, account_b_id=b, kind=AccountLink.Kind.DEVICE)


@pytest.mark.django_db
def test_a_merge_moves_the_open_case_with_its_cluster_and_writes_why(operator) -> None:
    for account in ("U1", "U2", "U3", "U4", "U5"):
        ExchangeAccountFactory(account_id=account)
    _link("U1", "U2")
    _link("U3", "U4")
    _link("U4", "U5")
    clusters_rebuild()
    assert set(ControlCluster.objects.values_list("key", flat=True)) == {"U1", "U3"}
    case = case_open(alerts=[alert_on(["U1", "U2"])], by=operator).case
    assert case.cluster is not None and case.cluster.key == "U1"

    _link("U2", "U3")  # a later window finds the two are one controller
    clusters_rebuild()
    assert list(ControlCluster.objects.values_list("key", "size")) == [("U3", 5)]
    case.refresh_from_db()
    assert case.cluster is not None and case.cluster.key == "U3"
    event = CaseEvent.objects.get(case=case, kind=EventKind.CLUSTER)
    assert event.text == "Cluster U1 merged into U3; the case follows it."
    history = ControlCluster.objects.get(key="U3").history.first()
    assert history.history_change_reason == "merged with U1; 2 joined (U1, U2)"
    moved = ExchangeAccount.objects.get(pk="U1").history.first()
    assert moved.history_change_reason == "joined cluster U3"
    # Every row the merge wrote names the task: the clusters', the accounts' and the case's.
    for row in (history, moved, case.history.first()):
        assert row.history_task == "detect", row


@pytest.mark.django_db
def test_clusters_rebuilt_outside_a_task_are_refused_not_written_by_nobody() -> None:
    """The clusters, accounts and links were written with simple-history's own bulk helpers
    and a hand-made stamp: outside a task their history rows named nobody."""
    for account in ("U1", "U2"):
        ExchangeAccountFactory(account_id=account)
    _link("U1", "U2")
    with pytest.raises(NoActor):
        rebuild_clusters()
    assert not ControlCluster.objects.exists()


@pytest.mark.django_db
def test_rebuilding_twice_changes_nothing_the_second_time() -> None:
    for account in ("U1", "U2"):
        ExchangeAccountFactory(account_id=account)
    _link("U1", "U2")
    clusters_rebuild()
    rows = ControlCluster.history.count() + ExchangeAccount.history.count()
    clusters_rebuild()
    assert ControlCluster.history.count() + ExchangeAccount.history.count() == rows
    assert Case.objects.count() == 0
