"""Offering new alerts to the people on duty, and taking back what a shift left unclaimed.

An offer is `Alert.offered_to` (+ `offered_at`): the queue shows it and filters by it, but
claiming stays first-come — an offer only says whose turn it is. The shifts app writes
these two fields and nothing else of an alert; status moves stay in apps.alerts.services.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone

from apps.alerts.models import Alert, Status
from apps.alerts.selectors import QUEUE_ORDER
from apps.desk.history import bulk_update_by, task_work
from apps.people.models import User
from apps.people.selectors import active_supervisors
from apps.shifts.models import Shift
from apps.shifts.routing import OperatorLoad, pick_operator, skills_needed
from apps.shifts.selectors import on_duty, operators_of, skills_of


@dataclass(frozen=True)
class RouteRun:
    offered: dict[int, int]  # alert id -> person id
    to_supervisor: bool = False
    unrouted: int = 0  # nobody on duty and no covering supervisor: left in the queue


def operator_loads(operators: list[User]) -> list[OperatorLoad]:
    """What each operator holds now: claimed alerts plus alerts offered and not yet taken
    (two grouped queries, plus one for skills, however many operators)."""
    ids = [p.pk for p in operators]
    claimed: dict[int, int] = dict(
        Alert.objects.filter(assignee_id__in=ids, status=Status.CLAIMED)
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    waiting: dict[int, int] = {}
    last: dict[int, datetime] = {}
    for person_id, n, at in (
        Alert.objects.filter(offered_to_id__in=ids)
        .values_list("offered_to_id")
        .annotate(
            waiting=Count("pk", filter=Q(status=Status.NEW, assignee__isnull=True)),
            last=Max("offered_at"),
        )
        .order_by()
    ):
        waiting[person_id], last[person_id] = n, at
    skills = skills_of(ids)
    return [
        OperatorLoad(
            operator=p,
            open_items=claimed.get(p.pk, 0) + waiting.get(p.pk, 0),
            skills=skills[p.pk],
            last_offered_at=last.get(p.pk),
        )
        for p in operators
    ]


def _save_offers(alerts: list[Alert], reason: str) -> None:
    # Routing is the routing task's work, never a person's: the rows name the task.
    bulk_update_by(alerts, Alert, ["offered_to", "offered_at"], by=None, reason=reason)


def _supervisors() -> list[User]:
    return list(active_supervisors())


@task_work("shifts.alerts_route")
@transaction.atomic
def alerts_route(*, alert_ids: list[int], now: datetime | None = None) -> RouteRun:
    """Offer each new, unoffered alert of `alert_ids` to an operator on duty.

    Least loaded first, skilled first (apps.shifts.routing); the load counts what each
    one is given in this batch too, so a burst spreads over the crew. Nobody on duty:
    the covering supervisor gets the offer and a notification. Nobody at all: every
    supervisor is told, and the alerts wait in the queue. Idempotent: an alert already
    offered (a repeated message, a second worker) is left alone.
    """
    from apps.notifications.services import notify

    now = now or timezone.now()
    # SKIP LOCKED: two workers routing overlapping batches never wait on each other,
    # and whatever one holds the other leaves to it.
    alerts = list(
        Alert.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=alert_ids, status=Status.NEW, assignee__isnull=True, offered_to__isnull=True)
        .only("pk", "category", "severity", "offered_to", "offered_at", "status")
        .order_by(*QUEUE_ORDER)
    )
    if not alerts:
        return RouteRun(offered={})
    duty = on_duty(now)
    if duty.operators:
        loads = {load.operator.pk: load for load in operator_loads(duty.operators)}
        for alert in alerts:
            person = pick_operator(list(loads.values()), skills_needed(alert.category))
            assert person is not None
            alert.offered_to, alert.offered_at = person, now
            loads[person.pk] = replace(
                loads[person.pk], open_items=loads[person.pk].open_items + 1, last_offered_at=now
            )
        _save_offers(alerts, "offered to an operator on duty")
        return RouteRun(offered={a.pk: a.offered_to_id for a in alerts if a.offered_to_id})
    count = len(alerts)
    title = f"{count} new alert{'s' if count != 1 else ''} and no operator on duty"
    url = reverse("alerts:queue") + "?assignee=offered"
    if duty.supervisor is not None:
        for alert in alerts:
            alert.offered_to, alert.offered_at = duty.supervisor, now
        _save_offers(alerts, "no operator on duty: offered to the covering supervisor")
        notify(recipients=[duty.supervisor], kind="shift_routing", title=title, url=url,
               body="They are offered to you as the covering supervisor.")  # fmt: skip
        return RouteRun(offered={a.pk: duty.supervisor.pk for a in alerts}, to_supervisor=True)
    notify(recipients=_supervisors(), kind="shift_routing", title=title + " or supervising",
           url=reverse("alerts:queue") + "?assignee=none&status=new",
           body="Nobody is rostered now; the alerts wait in the queue.")  # fmt: skip
    return RouteRun(offered={}, unrouted=count)


def _crew_ids(shift: Shift) -> list[int]:
    ids = [p.pk for p in operators_of(shift)]
    return [*ids, shift.supervisor_id] if shift.supervisor_id else ids


@task_work("shifts.shift_return_unclaimed")
def shift_return_unclaimed(*, shift: Shift, now: datetime | None = None) -> list[int] | None:
    """Take back the offers `shift` left unclaimed, once, when it has ended; the alert
    ids, or None when the shift has not ended or its work was returned already.

    `Shift.work_returned_at` is the once-marker: a conditional UPDATE in the same
    transaction as the return, so two schedulers scanning at once return the work once
    (the second blocks on the row, then finds it set). The returned alerts are routed
    again, after the commit, to whoever is on duty then.
    """
    now = now or timezone.now()
    with transaction.atomic():
        won = Shift.objects.filter(
            pk=shift.pk, ends_at__lte=now, work_returned_at__isnull=True
        ).update(work_returned_at=now)
        if not won:
            return None
        shift = Shift.objects.prefetch_related("assignments__person").get(pk=shift.pk)
        alerts = list(
            Alert.objects.select_for_update(of=("self",))
            .filter(
                status=Status.NEW,
                assignee__isnull=True,
                offered_to_id__in=_crew_ids(shift),
                offered_at__gte=shift.starts_at,
                offered_at__lt=shift.ends_at,
            )
            .only("pk", "offered_to", "offered_at")
            .order_by("pk")
        )
        for alert in alerts:
            alert.offered_to, alert.offered_at = None, None
        if alerts:
            _save_offers(alerts, f"unclaimed at the end of {shift}: back to the queue")
        ids = [a.pk for a in alerts]
        if ids:
            transaction.on_commit(lambda: _route_later(ids))
    return ids


def _route_later(alert_ids: list[int]) -> None:
    from apps.shifts.tasks import route_alerts

    route_alerts.delay(alert_ids)


def shifts_return_due(*, now: datetime | None = None) -> dict[int, list[int]]:
    """Every ended shift whose unclaimed work has not been returned yet (the beat scan):
    {shift id: alert ids returned} for the shifts this run returned."""
    now = now or timezone.now()
    due = Shift.objects.filter(ends_at__lte=now, work_returned_at__isnull=True).order_by("ends_at")
    returned = {}
    for shift in due.only("pk", "ends_at"):
        ids = shift_return_unclaimed(shift=shift, now=now)
        if ids is not None:  # None: another scheduler got there first
            returned[shift.pk] = ids
    return returned
