"""Escalations: raised by a person (from an alert or a case) or by a timer; answered by
the supervisor on duty, the head of risk, or the strategy team."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.alerts.services import AlertError
from apps.cases import escalation_targets
from apps.cases.models import Case, Escalation, EscalationReply, EventKind, Target
from apps.cases.permissions import can_answer_escalation, can_change_case
from apps.cases.services.common import CaseError, case_timeline_add, case_url, locked
from apps.desk.history import save_by
from apps.notifications.services import notify

if TYPE_CHECKING:
    from apps.alerts.models import Alert
    from apps.people.models import User

MANUAL_TARGETS = (Target.SUPERVISOR, Target.STRATEGY)


def _addressee(target: str) -> User | None:
    if target == Target.SUPERVISOR:
        return escalation_targets.supervisor_on_duty()
    if target == Target.HEAD_OF_RISK:
        return escalation_targets.head_of_risk()
    return None


def _subject_url(escalation: Escalation) -> str:
    if escalation.case_id:
        return case_url(escalation.case)  # type: ignore[arg-type]
    return reverse("cases:inbox") + f"#escalation-{escalation.pk}"


def _subject_name(escalation: Escalation) -> str:
    return escalation.case.ref if escalation.case else f"alert {escalation.alert_id}"


def raise_escalation(
    *,
    target: str,
    reason: str,
    by: User | None,
    case: Case | None = None,
    alert: Alert | None = None,
    level: int = 1,
) -> Escalation:
    """Record the escalation, put it on the case's timeline, tell the addressees. Callers
    hold the transaction (and the lock on what is escalated)."""
    to_user = _addressee(target)
    escalation = Escalation(
        case=case,
        alert=alert,
        target=target,
        to_user=to_user,
        level=level,
        reason=reason,
        raised_by=by,
        raised_at=timezone.now(),
    )
    save_by(escalation, by=by, reason="raised")
    who = Target(target).label.lower() + (f" ({to_user})" if to_user else "")
    if case is not None:
        case_timeline_add(
            case=case,
            kind=EventKind.ESCALATED,
            by=by,
            text=f"To the {who}: {reason}",
            data={"escalation": escalation.pk, "target": target, "level": level},
            tell_followers=by is None,
        )
    opener = "Overdue: " if by is None else ""
    to = Target(target).label.lower()
    notify(
        recipients=escalation_targets.recipients(target, to_user),
        kind="escalation",
        title=f"{opener}{_subject_name(escalation)} escalated to the {to}",
        body=reason,
        url=_subject_url(escalation),
        skip=by,
    )
    return escalation


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise CaseError("Say why you escalate.")
    return reason


def _check_target(target: str) -> None:
    if target not in MANUAL_TARGETS:
        raise CaseError("Escalate to the supervisor on duty or to the strategy team.")


@transaction.atomic
def case_escalate(*, case: Case, by: User, target: str, reason: str) -> Escalation:
    reason = _check_reason(reason)
    _check_target(target)
    case = locked(case)
    if not can_change_case(by, case):
        raise CaseError(f"Only the assignee of {case.ref} or a supervisor escalates it.")
    if not case.is_open:
        raise CaseError(f"{case.ref} is closed; reopen it to escalate it.")
    return raise_escalation(target=target, reason=reason, by=by, case=case)


def alert_escalation_raise(*, alert: Alert, by: User, target: str, reason: str) -> Escalation:
    """The cases half of escalating an alert: alerts.services.alert_escalate moves the alert
    and calls this (through signals.alert_escalated) inside its transaction, holding the
    alert's lock. Errors are the alerts service's, so every caller handles one type."""
    if target not in MANUAL_TARGETS:
        raise AlertError("Escalate to the supervisor on duty or to the strategy team.")
    return raise_escalation(target=target, reason=reason, by=by, alert=alert)


def _locked_escalation(escalation: Escalation) -> Escalation:
    row = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("case")
        .filter(pk=escalation.pk)
        .first()
    )
    if row is None:
        raise CaseError(f"Escalation {escalation.pk} no longer exists.")
    return row


@transaction.atomic
def escalation_acknowledge(*, escalation: Escalation, by: User) -> Escalation:
    escalation = _locked_escalation(escalation)
    if not can_answer_escalation(by, escalation):
        raise CaseError(
            f"This escalation is for the {escalation.get_target_display().lower()}; "
            "only they acknowledge it."
        )
    # An escalation asks someone else to look; its raiser acknowledging it would close that
    # request with no second pair of eyes (the two-person rule, as for approvals).
    if escalation.raised_by_id is not None and escalation.raised_by_id == by.pk:
        raise CaseError(
            "You raised this escalation; another "
            f"{escalation.get_target_display().lower()} must acknowledge it."
        )
    if escalation.state == Escalation.State.ACKNOWLEDGED:
        return escalation
    escalation.state = Escalation.State.ACKNOWLEDGED
    escalation.acknowledged_by = by
    escalation.acknowledged_at = timezone.now()
    save_by(
        escalation,
        by=by,
        reason="acknowledged",
        fields=["state", "acknowledged_by", "acknowledged_at"],
    )
    if escalation.case is not None:
        case_timeline_add(
            case=escalation.case,
            kind=EventKind.ESCALATION_ACK,
            by=by,
            text=f"{by} acknowledged the escalation",
            data={"escalation": escalation.pk},
        )
    if escalation.raised_by is not None:
        notify(
            recipients=[escalation.raised_by],
            kind="escalation.acknowledged",
            title=f"{by} acknowledged your escalation of {_subject_name(escalation)}",
            url=_subject_url(escalation),
            skip=by,
        )
    return escalation


@transaction.atomic
def escalation_reply(*, escalation: Escalation, by: User, text: str) -> EscalationReply:
    """The addressees answer; the raiser may answer back."""
    text = text.strip()
    if not text:
        raise CaseError("Write a reply.")
    escalation = _locked_escalation(escalation)
    raiser = escalation.raised_by_id == by.pk
    if not (raiser or can_answer_escalation(by, escalation)):
        raise CaseError("Only the people it was raised to, or its raiser, reply to an escalation.")
    reply = EscalationReply.objects.create(escalation=escalation, by=by, text=text)
    if escalation.case is not None:
        case_timeline_add(
            case=escalation.case,
            kind=EventKind.ESCALATION_REPLY,
            by=by,
            text=text,
            data={"escalation": escalation.pk},
        )
    others = (
        escalation_targets.recipients(escalation.target, escalation.to_user)
        if raiser
        else [escalation.raised_by]
        if escalation.raised_by
        else []
    )
    notify(
        recipients=others,
        kind="escalation.reply",
        title=f"{by} replied on the escalation of {_subject_name(escalation)}",
        body=text[:500],
        url=_subject_url(escalation),
        skip=by,
    )
    return reply
