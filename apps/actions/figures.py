"""The figures the reports count from actions: the handover's waiting and failed actions
and standing measures, the shift dashboard's and the daily report's tallies over a window
(apps.reports reads them here)."""

from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet

from apps.actions.models import Action, Restriction, restriction_active


def actions_awaiting_approval() -> QuerySet[Action]:
    """Every action waiting for a decision, the nearest deadline first, with its requester."""
    return (
        Action.objects.filter(status=Action.Status.AWAITING_APPROVAL)
        .select_related("requested_by")
        .order_by("approval_deadline", "pk")
    )


def actions_failed() -> QuerySet[Action]:
    """Every action whose execution failed (and was not sent again), the latest first."""
    return Action.objects.filter(status=Action.Status.FAILED).order_by("-failed_at", "pk")


def actions_at(moment: str, start: datetime, end: datetime) -> QuerySet[Action]:
    """The actions whose `moment` (requested_at, executed_at, failed_at) is in [start, end)."""
    return Action.objects.filter(**{f"{moment}__gte": start, f"{moment}__lt": end})


def action_tally(start: datetime, end: datetime) -> dict[str, int]:
    """Actions requested, executed and failed in [start, end); not yet finished and
    awaiting approval now."""
    return Action.objects.aggregate(
        requested=Count("pk", filter=Q(requested_at__gte=start, requested_at__lt=end)),
        executed=Count("pk", filter=Q(executed_at__gte=start, executed_at__lt=end)),
        failed=Count("pk", filter=Q(failed_at__gte=start, failed_at__lt=end)),
        pending=Count("pk", filter=Q(status__in=Action.OPEN)),
        approvals=Count("pk", filter=Q(status=Action.Status.AWAITING_APPROVAL)),
    )


def actions_requested_before(end: datetime, status: str) -> int:
    return Action.objects.filter(requested_at__lt=end, status=status).count()


def restrictions_standing(
    at: datetime, *, applied_before: datetime | None = None
) -> QuerySet[Restriction]:
    """The restrictions active at `at` (restriction_active), with their actions; only those
    applied before `applied_before` when given."""
    standing = Restriction.objects.filter(restriction_active(at)).select_related("action")
    return standing if applied_before is None else standing.filter(applied_at__lt=applied_before)


def restriction_tally(start: datetime, end: datetime, at: datetime) -> dict[str, int]:
    """Restrictions standing at `at` (applied before it), applied, lifted and expired in
    [start, end), and standing at `at` but ending within the day after it."""
    ended = Q(ended_at__gte=start, ended_at__lt=end)
    standing = Q(applied_at__lt=at) & restriction_active(at)
    return Restriction.objects.aggregate(
        active=Count("pk", filter=standing),
        applied=Count("pk", filter=Q(applied_at__gte=start, applied_at__lt=end)),
        lifted=Count("pk", filter=ended & Q(status=Restriction.Status.LIFTED)),
        expired=Count("pk", filter=ended & Q(status=Restriction.Status.EXPIRED)),
        expiring=Count("pk", filter=standing & Q(expires_at__lt=at + timedelta(days=1))),
    )
