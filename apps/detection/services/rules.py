from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from apps.desk.errors import DomainError
from apps.desk.history import acting_task, save_by
from apps.desk.locking import locked
from apps.detection.models import DetectionRule, RuleVersion
from apps.detection.rules import RULES
from apps.detection.thresholds import out_of_bounds
from apps.people.access import has_role
from apps.people.roles import Role

if TYPE_CHECKING:
    from apps.people.models import User


class DetectionError(DomainError):
    """A change to detection that the desk refuses; the message says why, for a person."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


def rules_sync() -> None:
    """A row for every rule in the code, its defaults as live version 1 when it has none."""
    with acting_task("rules_sync"), transaction.atomic():
        for code, rule in RULES.items():
            row, created = DetectionRule.objects.get_or_create(
                code=code, defaults={"category": rule.category, "description": rule.description}
            )
            if not created and (row.category, row.description) != (rule.category, rule.description):
                # Only a real change of the code writes a history row, not every migrate.
                row.category, row.description = rule.category, rule.description
                row.save(update_fields=["category", "description"])
            if row.live_version_id is None and not row.versions.exists():
                first = RuleVersion.objects.create(
                    rule=row,
                    number=1,
                    params=dict(rule.default_params),
                    status=RuleVersion.Status.LIVE,
                    note="defaults from the code",
                )
                row.live_version = first
                row.save(update_fields=["live_version"])


def params_clean(code: str, params: dict[str, Any]) -> dict[str, Any]:
    """The thresholds of `code` as given, checked against the rule's own parameters."""
    defaults = RULES[code].default_params
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name in params:
        if name not in defaults:
            errors[name] = "is not a parameter of this rule"
    for name, default in defaults.items():
        if name not in params:
            errors[name] = "is missing"
            continue
        value = params[name]
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif isinstance(default, float):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            value = float(value) if ok else value
        else:
            ok = type(value) is type(default)
        if not ok:
            errors[name] = f"must be {type(default).__name__}, like the default {default!r}"
        elif isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            errors[name] = "cannot be negative"
        elif why := out_of_bounds(name, value):
            errors[name] = why
        else:
            clean[name] = value
    if errors:
        raise DetectionError("The thresholds are not valid for this rule.", errors)
    return clean


def require_strategy(by: User) -> None:
    """Only the strategy team changes detection rules (their versions, their live changes)."""
    if not has_role(by, Role.STRATEGY):
        raise DetectionError("Only the strategy team changes detection rules.")


@transaction.atomic
def rule_version_propose(
    *, rule: DetectionRule, params: dict[str, Any], note: str, by: User
) -> RuleVersion:
    """A new draft version of a rule's thresholds; nothing changes until it is switched live."""
    require_strategy(by)
    rule = locked(rule, error=DetectionError)
    clean = params_clean(rule.code, params)
    latest = rule.versions.order_by("-number").first()
    version = RuleVersion(
        rule=rule,
        number=(latest.number + 1) if latest else 1,
        params=clean,
        note=note.strip()[:300],
        created_by=by,
    )
    save_by(version, by=by, reason=note)
    return version


def version_make_live(*, version: RuleVersion, by: User) -> RuleVersion:
    """Make `version` the one detection runs with; the previous live one is retired. Called
    by an approved rule change only (apps.detection.services.changes): publishing needs a
    second person. The caller holds the transaction and the rule's lock."""
    rule = locked(version.rule, error=DetectionError)
    version = locked(version, error=DetectionError)
    if version.status == RuleVersion.Status.LIVE:
        return version
    if version.status == RuleVersion.Status.RETIRED:
        raise DetectionError(
            f"v{version.number} was retired; propose its thresholds again as a new version."
        )
    for previous in rule.versions.filter(status=RuleVersion.Status.LIVE):
        previous.status = RuleVersion.Status.RETIRED
        save_by(previous, by=by, fields=["status"], reason=f"v{version.number} switched live")
    version.status = RuleVersion.Status.LIVE
    save_by(version, by=by, fields=["status"])
    rule.live_version = version
    save_by(rule, by=by, fields=["live_version"])
    return version


def rule_set_enabled(*, rule: DetectionRule, enabled: bool, by: User, reason: str) -> DetectionRule:
    """On or off. Off is made by an approved rule change only; on (the desk sees more) by
    the strategy team directly, with a reason."""
    rule = locked(rule, error=DetectionError)
    if rule.enabled != enabled:
        rule.enabled = enabled
        save_by(rule, by=by, fields=["enabled"], reason=reason)
    return rule


@transaction.atomic
def rule_switch_on(*, rule: DetectionRule, by: User, reason: str) -> DetectionRule:
    require_strategy(by)
    if not reason.strip():
        raise DetectionError("Say why the rule goes back on: it is kept in the rule's history.")
    return rule_set_enabled(rule=rule, enabled=True, by=by, reason=reason.strip()[:300])


def live_settings() -> tuple[dict[str, dict[str, Any]], set[str]]:
    """The live thresholds of every rule and the codes switched on, as the engine takes them."""
    if DetectionRule.objects.filter(code__in=list(RULES)).count() < len(RULES):
        rules_sync()  # a fresh database, or a rule added to the code since the last migrate
    rows = DetectionRule.objects.select_related("live_version")
    params = {r.code: r.live_version.params for r in rows if r.live_version is not None}
    enabled = {r.code for r in rows if r.enabled and r.code in RULES}
    return params, enabled
