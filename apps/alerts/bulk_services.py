"""The queue's moves over a whole filter (claim, release, dismiss or escalate every open
alert it matches), in locked chunks, each alert through its own service in services.py
so every guard is the one of a single click."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import QuerySet

from apps.alerts.models import OPEN_STATUSES, URGENCY, Alert
from apps.alerts.services import (
    AlertError,
    alert_claim,
    alert_dismiss,
    alert_escalate,
    alert_release,
    check_dismissal,
    check_works_alerts,
)

if TYPE_CHECKING:
    from apps.people.models import User


BULK_LIMIT = 2_000  # one request works at most this many; the answer says how many remain
BULK_CHUNK = 200


@dataclass
class BulkOutcome:
    done: list[int] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why, one line per alert refused
    remaining: int = 0  # still matching after the limit


def alerts_bulk(
    *,
    among: QuerySet[Alert],
    action: str,
    by: User,
    reason: str = "",
    note: str = "",
    open_only: bool = True,
) -> BulkOutcome:
    """Claim, release, dismiss or escalate every open alert of `among` (a filter of the
    queue, not only the page on screen), most urgent first.

    Chunks of BULK_CHUNK rows are locked together (FOR UPDATE, in urgency order, so two
    bulk runs over overlapping filters take their locks in the same order and never
    deadlock) and each alert then goes through its own service, so every guard — a claim
    held by someone else, a move the status does not allow — is the one of a single click.
    Each chunk commits on its own: a long bulk does not hold a million locks, and what is
    done stays done if a later chunk fails.
    """
    moves = {
        "claim": lambda a: alert_claim(alert=a, by=by),
        "release": lambda a: alert_release(alert=a, by=by),
        "dismiss": lambda a: alert_dismiss(alert=a, by=by, reason=reason, note=note),
        "escalate": lambda a: alert_escalate(alert=a, by=by, reason=note),
    }
    if action not in moves:
        raise AlertError("Unknown action.")
    check_works_alerts(by)
    if action == "dismiss":  # refuse a missing reason once, not once per alert
        check_dismissal(reason, note)
    if action == "escalate" and not note.strip():
        raise AlertError("Say why you escalate.")
    outcome = BulkOutcome()
    # A filter means "the open work it matches"; alerts picked one by one are tried as
    # picked, so a decided one is answered with why it cannot move.
    wanted = among.filter(status__in=OPEN_STATUSES) if open_only else among
    seen: set[int] = set()
    while len(outcome.done) < BULK_LIMIT:
        with transaction.atomic():
            chunk = list(
                wanted.exclude(pk__in=seen)
                .order_by(*URGENCY)
                .select_for_update(of=("self",))[: min(BULK_CHUNK, BULK_LIMIT - len(outcome.done))]
            )
            if not chunk:
                break
            for alert in chunk:
                seen.add(alert.pk)
                try:
                    with transaction.atomic():
                        moves[action](alert)
                    outcome.done.append(alert.pk)
                except AlertError as error:
                    outcome.refused.append(str(error))
    outcome.remaining = wanted.exclude(pk__in=seen).count() if seen else 0
    return outcome
