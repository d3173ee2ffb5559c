"""Every move of an alert's status: one function each, under a row lock (STYLE.md). The
same moves over a whole filter of the queue (bulk claim, release, dismiss, escalate) are
in bulk_services.py."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.alerts.contract import ContractError, parse_alert, parse_json
from apps.alerts.ingest import Incoming, alerts_ingest
from apps.alerts.models import (
    URGENCY,
    Alert,
    DismissReason,
    RejectedAlert,
    Status,
    WayIn,
)
from apps.alerts.signals import alert_escalated
from apps.desk.errors import DomainError
from apps.desk.history import bulk_update_by, current_task, save_by
from apps.desk.locking import locked
from apps.people.access import has_role
from apps.people.roles import WORKING_ROLES, Role

if TYPE_CHECKING:
    from apps.people.models import User


class AlertError(DomainError):
    """A move the desk does not allow; the message is shown to the person as it is."""


def _locked(alert: Alert) -> Alert:
    return locked(alert, error=AlertError)


def check_works_alerts(by: User) -> None:
    """Only operators and supervisors work alerts (one alert or a whole filter of them)."""
    if not has_role(by, *WORKING_ROLES):
        raise AlertError("Only risk operators and supervisors work alerts.")


def _check_move(alert: Alert, to: str, verb: str) -> None:
    if not alert.can_move_to(to):
        raise AlertError(
            f"Alert {alert.pk} is {alert.get_status_display().lower()}; it cannot be {verb}."
        )


def _check_not_someone_elses(alert: Alert, by: User, verb: str) -> None:
    """A claim is a promise to the rest of the shift; only its holder or a supervisor acts
    on a claimed alert."""
    if (
        alert.status == Status.CLAIMED
        and alert.assignee_id != by.pk
        and not has_role(by, Role.SUPERVISOR)
    ):
        raise AlertError(
            f"Alert {alert.pk} is claimed by {alert.assignee}; only they or a supervisor can "
            f"{verb} it."
        )


def _save(alert: Alert, by: User | None, reason: str, fields: list[str]) -> Alert:
    save_by(alert, by=by, fields=fields, reason=reason)
    return alert


def _hold(alert: Alert, by: User | None) -> list[str]:
    """The claim, written once: `by` holds the alert from now on (None: back to the queue,
    held by nobody). The fields it changed, to save."""
    alert.status = Status.CLAIMED if by is not None else Status.NEW
    alert.assignee = by
    alert.claimed_at = timezone.now() if by is not None else None
    return ["status", "assignee", "claimed_at"]


@transaction.atomic
def alert_claim(*, alert: Alert, by: User) -> Alert:
    check_works_alerts(by)
    alert = _locked(alert)
    if alert.status == Status.CLAIMED and alert.assignee_id == by.pk:
        return alert
    if alert.status == Status.CLAIMED:
        raise AlertError(f"Alert {alert.pk} is already claimed by {alert.assignee}.")
    _check_move(alert, Status.CLAIMED, "claimed")
    return _take(alert, by, "claimed")


def _take(alert: Alert, by: User, reason: str) -> Alert:
    return _save(alert, by, reason, _hold(alert, by))


@transaction.atomic
def alert_claim_next(*, by: User, among: QuerySet[Alert] | None = None) -> Alert | None:
    """Take the most urgent unclaimed alert (of `among`, if given); None when none is left.

    SKIP LOCKED lets many operators press "claim next" at once: each gets a different
    alert instead of queueing behind the first one's lock.
    """
    check_works_alerts(by)
    candidates = (among if among is not None else Alert.objects.all()).filter(status=Status.NEW)
    alert = candidates.order_by(*URGENCY).select_for_update(skip_locked=True, of=("self",)).first()
    if alert is None:
        return None
    return _take(alert, by, "claimed (next in queue)")


@transaction.atomic
def alert_release(*, alert: Alert, by: User) -> Alert:
    check_works_alerts(by)
    alert = _locked(alert)
    if alert.status == Status.NEW:
        return alert
    _check_move(alert, Status.NEW, "released")
    _check_not_someone_elses(alert, by, "release")
    return _save(alert, by, "released", _hold(alert, None))


def check_dismissal(reason: str, note: str) -> None:
    """A dismissal names a reason; "other" says why in the note."""
    if reason not in DismissReason.values:
        raise AlertError("Choose a dismissal reason.")
    if reason == DismissReason.OTHER and not note.strip():
        raise AlertError("Say why in the note when the reason is “other”.")


@transaction.atomic
def alert_dismiss(*, alert: Alert, by: User, reason: str, note: str = "") -> Alert:
    check_works_alerts(by)
    check_dismissal(reason, note)
    alert = _locked(alert)
    if alert.status == Status.DISMISSED:
        return alert
    _check_move(alert, Status.DISMISSED, "dismissed")
    _check_not_someone_elses(alert, by, "dismiss")
    alert.status = Status.DISMISSED
    alert.dismiss_reason = reason
    alert.note = note.strip()
    alert.assignee = alert.assignee or by
    alert.decided_at = timezone.now()
    fields = ["status", "dismiss_reason", "note", "assignee", "decided_at"]
    return _save(alert, by, f"dismissed: {DismissReason(reason).label}", fields)


@transaction.atomic
def alert_escalate(*, alert: Alert, by: User, reason: str, target: str = "supervisor") -> Alert:
    """The one way an alert is escalated, from the queue, its page or the escalate form: it
    leaves the queue and the cases app records the escalation and tells its addressees
    (signals.alert_escalated), in this transaction — an escalation nobody hears is none."""
    check_works_alerts(by)
    reason = reason.strip()
    if not reason:
        raise AlertError("Say why you escalate.")
    alert = _locked(alert)
    if alert.status == Status.ESCALATED:
        return alert
    _check_move(alert, Status.ESCALATED, "escalated")
    _check_not_someone_elses(alert, by, "escalate")
    alert.status = Status.ESCALATED
    alert.note = reason
    alert.assignee = alert.assignee or by
    alert.decided_at = timezone.now()
    _save(alert, by, "escalated", ["status", "note", "assignee", "decided_at"])
    heard = alert_escalated.send(sender=Alert, alert=alert, by=by, target=target, reason=reason)
    if not heard:
        raise ImproperlyConfigured("Nobody receives alert escalations: is apps.cases installed?")
    return alert


@transaction.atomic
def alert_mark_in_case(*, alert: Alert, by: User | None, case_ref: str) -> Alert:
    """For the cases app: the alert now belongs to case `case_ref`. `by` None: a task joins
    it (a new alert on an open case's accounts); the history row names that task."""
    if by is None:
        if not current_task():
            raise AlertError("Only a person or a named task (acting_task) puts alerts in cases.")
    else:
        check_works_alerts(by)
    if not case_ref:
        raise AlertError("Name the case the alert joins.")
    alert = _locked(alert)
    if alert.status == Status.IN_CASE and alert.case_ref == case_ref:
        return alert
    _check_move(alert, Status.IN_CASE, "put in a case")
    alert.status = Status.IN_CASE
    alert.case_ref = case_ref
    alert.decided_at = timezone.now()
    return _save(alert, by, f"joined case {case_ref}", ["status", "case_ref", "decided_at"])


@transaction.atomic
def alert_reopen(*, alert: Alert, by: User, note: str = "", claim: bool = False) -> Alert:
    """Take a dismissal or escalation back: to the queue, or straight to the reopener."""
    check_works_alerts(by)
    alert = _locked(alert)
    to = Status.CLAIMED if claim else Status.NEW
    if alert.status == to and (not claim or alert.assignee_id == by.pk):
        return alert
    if alert.status not in (Status.DISMISSED, Status.ESCALATED):
        raise AlertError(
            f"Alert {alert.pk} is {alert.get_status_display().lower()}; only dismissed or "
            "escalated alerts are reopened."
        )
    _check_move(alert, to, "reopened")
    fields = _hold(alert, by if claim else None)
    alert.dismiss_reason = ""
    alert.decided_at = None
    alert.note = note.strip()
    return _save(alert, by, "reopened", [*fields, "dismiss_reason", "decided_at", "note"])


@transaction.atomic
def rejected_alert_resubmit(*, rejected: RejectedAlert, by: User, text: str) -> Alert:
    """A supervisor's fix of a rejected payload, stored through the same ingest service.
    The record keeps the original payload and, in its history, who fixed it and how."""
    if not has_role(by, Role.SUPERVISOR):
        raise AlertError("Only supervisors re-submit rejected alerts.")
    rejected = locked(rejected, error=AlertError)
    if rejected.state == RejectedAlert.State.RESUBMITTED:
        raise AlertError(f"This record was already re-submitted as alert {rejected.alert_id}.")
    try:
        alert_in = parse_alert(parse_json(text))
    except ContractError as error:
        problems = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in error.errors.items())
        raise AlertError(f"The fixed alert is still not valid — {problems}") from None
    [outcome] = alerts_ingest(items=[Incoming(raw=text)], way_in=WayIn.RESUBMIT, by=by)
    assert outcome.alert_id is not None
    rejected.state = RejectedAlert.State.RESUBMITTED
    rejected.fixed_payload = text
    rejected.resubmitted_by = by
    rejected.resubmitted_at = timezone.now()
    rejected.alert_id = outcome.alert_id
    save_by(
        rejected,
        by=by,
        fields=["state", "fixed_payload", "resubmitted_by", "resubmitted_at", "alert"],
        reason=f"re-submitted: {outcome.status} as alert {outcome.alert_id} ({alert_in.dedup_key})",
    )
    return Alert.objects.get(pk=outcome.alert_id)


def alerts_offer(*, offers: list[tuple[Alert, User | None]], at: datetime, reason: str) -> None:
    """Whose turn each alert is: the shifts app's routing decides, the alerts app writes it.
    Only `offered_to` / `offered_at` change (None takes an offer back); an offer moves no
    status, and claiming stays first-come. The caller holds the rows' locks."""
    for alert, person in offers:
        alert.offered_to, alert.offered_at = person, at if person is not None else None
    rows = [alert for alert, _ in offers]
    # Routing is a task's work, never a person's: the rows name the task.
    bulk_update_by(rows, Alert, ["offered_to", "offered_at"], by=None, reason=reason)
