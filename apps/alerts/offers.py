"""What routing (apps.shifts) reads of alerts to decide whose turn each is: what each
person holds and was offered, and which alerts wait for an offer. The offers themselves are
written by apps.alerts.services.alerts_offer."""

from datetime import datetime

from django.db.models import Count, Max, Q

from apps.alerts.models import Alert
from apps.alerts.vocabulary import URGENCY, Status


def claimed_counts(person_ids: list[int]) -> dict[int, int]:
    """How many alerts each of `person_ids` has claimed and not yet decided."""
    return dict(
        Alert.objects.filter(assignee_id__in=person_ids, status=Status.CLAIMED)
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
        .order_by()
    )


def offers_waiting(person_ids: list[int]) -> dict[int, tuple[int, datetime | None]]:
    """Per person offered anything: how many offers wait untaken (new, unclaimed), and when
    the last offer was made."""
    return {
        person_id: (waiting, last)
        for person_id, waiting, last in Alert.objects.filter(offered_to_id__in=person_ids)
        .values_list("offered_to_id")
        .annotate(
            waiting=Count("pk", filter=Q(status=Status.NEW, assignee__isnull=True)),
            last=Max("offered_at"),
        )
        .order_by()
    }


def unoffered_locked(alert_ids: list[int]) -> list[Alert]:
    """The new alerts of `alert_ids` nobody holds or was offered, locked in queue order;
    rows another transaction holds are skipped, never waited for. Whole rows: each offer
    writes a history row of every field, and a deferred field is read back one query per
    field per alert (500 alerts took 25 s that way)."""
    return list(
        Alert.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=alert_ids, status=Status.NEW, assignee__isnull=True, offered_to__isnull=True)
        .order_by(*URGENCY)
    )


def unoffered_ids(*, first_seen_by: datetime, limit: int) -> list[int]:
    """New alerts nobody holds or was offered, first seen by `first_seen_by`, oldest first."""
    ids = Alert.objects.filter(
        status=Status.NEW,
        assignee__isnull=True,
        offered_to__isnull=True,
        first_seen__lte=first_seen_by,
    ).values_list("pk", flat=True)
    return list(ids.order_by("pk")[:limit])


def offers_left_locked(person_ids: list[int], since: datetime, until: datetime) -> list[Alert]:
    """New alerts offered to `person_ids` between `since` and `until` and never taken,
    locked, whole rows (see unoffered_locked)."""
    return list(
        Alert.objects.select_for_update(of=("self",))
        .filter(
            status=Status.NEW,
            assignee__isnull=True,
            offered_to_id__in=person_ids,
            offered_at__gte=since,
            offered_at__lt=until,
        )
        .order_by("pk")
    )
