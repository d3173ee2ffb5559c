"""Two people change what the desk sees: publishing a version of a rule's thresholds, or
switching a rule off, is asked for by one person with a reason and made only when another
— strategy or a supervisor, never the one who asked — approves it (like the measures'
two-person rule in apps.actions)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from apps.desk.history import save_by
from apps.desk.locking import locked
from apps.detection.models import DetectionRule, RuleChange, RuleVersion
from apps.detection.services.rules import (
    DetectionError,
    require_strategy,
    rule_set_enabled,
    version_make_live,
)
from apps.notifications.services import notify
from apps.people.access import has_role
from apps.people.roles import Role
from apps.people.selectors import active_members

if TYPE_CHECKING:
    from apps.people.models import User

Kind = RuleChange.Kind


def _deciders() -> list[User]:
    return list(active_members(Role.STRATEGY, Role.SUPERVISOR))


def _url(change: RuleChange) -> str:
    return reverse("detection:rule", args=[change.rule.code]) + f"#change-{change.pk}"


def _what(change: RuleChange) -> str:
    if change.kind == Kind.PUBLISH:
        return f"publish v{change.version.number} of {change.rule.code}"  # type: ignore[union-attr]
    return f"switch {change.rule.code} off"


@transaction.atomic
def rule_change_request(
    *, rule: DetectionRule, kind: str, by: User, reason: str, version: RuleVersion | None = None
) -> RuleChange:
    require_strategy(by)
    reason = (reason or "").strip()
    if not reason:
        raise DetectionError("Say why: the second person decides on your reason.")
    rule = locked(rule, error=DetectionError)
    if kind == Kind.PUBLISH:
        if version is None or version.rule_id != rule.pk:
            raise DetectionError("Choose a version of this rule to publish.")
        if version.status != RuleVersion.Status.DRAFT:
            raise DetectionError(f"v{version.number} is {version.get_status_display().lower()}.")
    elif kind == Kind.SWITCH_OFF:
        if not rule.enabled:
            raise DetectionError(f"{rule.code} is already off.")
        version = None
    else:
        raise DetectionError("Publish a version or switch the rule off.")
    waiting = rule.changes.filter(status=RuleChange.Status.REQUESTED).first()
    if waiting is not None:
        raise DetectionError(
            f"{waiting.requested_by} already asked to {_what(waiting)}: "
            "that waits for a second person first."
        )
    change = RuleChange(
        rule=rule,
        kind=kind,
        version=version,
        reason=reason[:2000],
        requested_by=by,
        requested_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            save_by(change, by=by, reason="requested")
    except IntegrityError as error:  # another request for this rule won the race
        raise DetectionError("Another change of this rule is already waiting.") from error
    notify(
        recipients=_deciders(),
        kind="rule_change",
        title=f"{by.get_full_name() or by} asks to {_what(change)}: approve or reject",
        body=reason,
        url=_url(change),
        skip=by,
    )
    return change


def _locked_open(change: RuleChange, by: User) -> RuleChange:
    if not has_role(by, Role.STRATEGY, Role.SUPERVISOR):
        raise DetectionError("A strategist or a supervisor decides on a rule change.")
    change = locked(change, error=DetectionError)
    if change.status != RuleChange.Status.REQUESTED:
        raise DetectionError(
            f"Already {change.get_status_display().lower()} by {change.decided_by}."
        )
    if change.requested_by_id == by.pk:
        raise DetectionError("A second person decides: you asked for this change yourself.")
    return change


def _decided(change: RuleChange, by: User, status: str, note: str) -> None:
    change.status = status
    change.decided_by = by
    change.decided_at = timezone.now()
    change.decision_note = note
    save_by(change, by=by, reason=status)
    verdict = "approved" if status == RuleChange.Status.APPROVED else "rejected"
    notify(
        recipients=[change.requested_by],
        kind="rule_change",
        title=f"{by.get_full_name() or by} {verdict} your request to {_what(change)}",
        body=note,
        url=_url(change),
        skip=by,
    )


@transaction.atomic
def rule_change_approve(*, change: RuleChange, by: User, note: str = "") -> RuleChange:
    change = _locked_open(change, by)
    reason = f"{_what(change)}: asked by {change.requested_by}, approved by {by}"
    if change.kind == Kind.PUBLISH:
        version_make_live(version=change.version, by=by)  # type: ignore[arg-type]
    else:
        rule_set_enabled(rule=change.rule, enabled=False, by=by, reason=reason)
    _decided(change, by, RuleChange.Status.APPROVED, note.strip())
    return change


@transaction.atomic
def rule_change_reject(*, change: RuleChange, by: User, note: str) -> RuleChange:
    if not (note or "").strip():
        raise DetectionError("Say why you reject it: the person who asked reads it.")
    change = _locked_open(change, by)
    _decided(change, by, RuleChange.Status.REJECTED, note.strip())
    return change
