"""Offering new alerts to the people on duty, and taking back what a shift left unclaimed.

An offer is `Alert.offered_to` (+ `offered_at`): the queue shows it and filters by it, but
claiming stays first-come — an offer only says whose turn it is. The shifts app decides the
offers and apps.alerts.services.alerts_offer writes them; status moves stay there too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.alerts.offers import (
    claimed_counts,
    offers_left_locked,
    offers_waiting,
    unoffered_ids,
    unoffered_locked,
)
from apps.alerts.services import alerts_offer
from apps.desk.history import task_work
from apps.people.selectors import active_supervisors
from apps.shifts.models import Shift
from apps.shifts.routing import OperatorLoad, pick_operator, skills_needed
from apps.shifts.selectors import on_duty, operators_of, skills_of

if TYPE_CHECKING:
    from apps.alerts.models import Alert
    from apps.people.models import User


@dataclass(frozen=True)
class RouteRun:
    offered: dict[int, int]  # alert id -> person id
    to_supervisor: bool = False
    unrouted: int = 0  # nobody on duty and no covering supervisor: left in the queue


def operator_loads(operators: list[User]) -> list[OperatorLoad]:
    """What each operator holds now: claimed alerts plus alerts offered and not yet taken
    (two grouped queries, plus one for skills, however many operators)."""
    ids = [p.pk for p in operators]
    claimed = claimed_counts(ids)
    offered = offers_waiting(ids)
    skills = skills_of(ids)
    return [
        OperatorLoad(
            operator=p,
            open_items=claimed.get(p.pk, 0) + offered.get(p.pk, (0, None))[0],
            skills=skills[p.pk],
            last_offered_at=offered.get(p.pk, (0, None))[1],
        )
        for p in operators
    ]


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
    alerts = unoffered_locked(alert_ids)
    if not alerts:
        return RouteRun(offered={})
    duty = on_duty(now)
    if duty.operators:
        loads = {load.operator.pk: load for load in operator_loads(duty.operators)}
        offers: list[tuple[Alert, User | None]] = []
        for alert in alerts:
            person = pick_operator(list(loads.values()), skills_needed(alert.category))
            assert person is not None
            offers.append((alert, person))
            loads[person.pk] = replace(
                loads[person.pk], open_items=loads[person.pk].open_items + 1, last_offered_at=now
            )
        alerts_offer(offers=offers, at=now, reason="offered to an operator on duty")
        return RouteRun(offered={a.pk: a.offered_to_id for a in alerts if a.offered_to_id})
    count = len(alerts)
    title = f"{count} new alert{'s' if count != 1 else ''} and no operator on duty"
    url = reverse("alerts:queue") + "?assignee=offered"
    if duty.supervisor is not None:
        alerts_offer(
            offers=[(alert, duty.supervisor) for alert in alerts],
            at=now,
            reason="no operator on duty: offered to the covering supervisor",
        )
        notify(recipients=[duty.supervisor], kind="shift_routing", title=title, url=url,
               body="They are offered to you as the covering supervisor.")  # fmt: skip
        return RouteRun(offered={a.pk: duty.supervisor.pk for a in alerts}, to_supervisor=True)
    notify(recipients=_supervisors(), kind="shift_routing", title=title + " or supervising",
           url=reverse("alerts:queue") + "?assignee=none&status=new",
           body="Nobody is rostered now; the alerts wait in the queue.")  # fmt: skip
    return RouteRun(offered={}, unrouted=count)


# Arrivals are routed by their own message first; the net looks only at older ones.
ROUTE_NET_AFTER = timedelta(seconds=30)


def alerts_route_unoffered(*, now: datetime | None = None) -> RouteRun:
    """The periodic net: new alerts nobody was offered (their route_alerts message was
    lost) go to whoever is on duty. With nobody on duty it does nothing: the arrival
    already told the supervisors, and the alerts wait in the queue."""
    now = now or timezone.now()
    duty = on_duty(now)
    if not duty.operators and duty.supervisor is None:
        return RouteRun(offered={})
    ids = unoffered_ids(first_seen_by=now - ROUTE_NET_AFTER, limit=1000)
    return alerts_route(alert_ids=ids, now=now)


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
        alerts = offers_left_locked(_crew_ids(shift), shift.starts_at, shift.ends_at)
        if alerts:
            alerts_offer(
                offers=[(alert, None) for alert in alerts],
                at=now,
                reason=f"unclaimed at the end of {shift}: back to the queue",
            )
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
