"""Open cases follow the cluster they were opened on when clusters merge or dissolve."""

from django.db import transaction

from apps.accounts.selectors import cluster_by_key
from apps.cases.models import OPEN_STATUSES, Case, EventKind
from apps.cases.services.common import case_timeline_add
from apps.desk.history import save_by


@transaction.atomic
def cases_follow_clusters(*, retired: dict[str, str | None]) -> int:
    """``retired``: old cluster key -> the key it merged into (None: dissolved). Each open
    case on a retired cluster moves to the surviving one, unless that one already has an
    open case (one open case per cluster): then its timeline says which. Returns moves."""
    cases = list(
        Case.objects.select_for_update()
        .filter(cluster__key__in=list(retired), status__in=OPEN_STATUSES)
        .select_related("cluster")
        .order_by("pk")
    )
    moved = 0
    for case in cases:
        assert case.cluster is not None
        old, into = case.cluster.key, retired[case.cluster.key]
        target = cluster_by_key(into) if into else None
        busy = (
            target is not None
            and Case.objects.filter(cluster=target, status__in=OPEN_STATUSES).exists()
        )
        if target is None:
            text = f"Cluster {old} dissolved: its accounts are linked to nobody any more."
        elif busy:
            ref = Case.objects.filter(cluster=target, status__in=OPEN_STATUSES).first()
            text = f"Cluster {old} merged into {into}, which is already worked in {ref.ref}."  # type: ignore[union-attr]
        else:
            case.cluster = target
            save_by(case, by=None, fields=["cluster"], reason=f"cluster {old} merged into {into}")
            moved += 1
            text = f"Cluster {old} merged into {into}; the case follows it."
        case_timeline_add(
            case=case, kind=EventKind.CLUSTER, by=None, text=text, tell_followers=True
        )
    return moved
