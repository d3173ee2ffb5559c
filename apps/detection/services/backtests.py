"""Backtesting: what a proposed version of a rule would raise on a stored window."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from apps.desk.history import save_by
from apps.detection.engine import detect
from apps.detection.feed import FeedError, read_feed
from apps.detection.linking import link_window
from apps.detection.models import Backtest, RuleVersion
from apps.detection.services.rules import DetectionError
from apps.people.access import has_role
from apps.people.roles import Role

if TYPE_CHECKING:
    from apps.people.models import User

SHOWN = 500  # alerts kept per side for the page


def windows_stored() -> list[str]:
    """Window folders the desk keeps (the drop folder), newest name first."""
    drop = Path(settings.DETECTION_DROP_DIR)
    if not drop.is_dir():
        return []
    return sorted((p.name for p in drop.iterdir() if p.is_dir()), reverse=True)


@transaction.atomic
def backtest_request(*, version: RuleVersion, window: str, by: User) -> Backtest:
    if not has_role(by, Role.STRATEGY, Role.SUPERVISOR):
        raise DetectionError("Only strategy and supervisors run backtests.")
    if window not in windows_stored():
        raise DetectionError(f"No stored window is called {window!r}.")
    backtest = Backtest(version=version, window=window, requested_by=by)
    save_by(backtest, by=by)
    from apps.detection.tasks import backtest_run

    transaction.on_commit(lambda: backtest_run.delay(backtest.pk))
    return backtest


def _brief(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = ("dedup_key", "severity", "score", "accounts", "symbol", "summary")
    return [{k: a[k] for k in keep} for a in alerts[:SHOWN]]


def backtest_execute(*, backtest: Backtest) -> Backtest:
    """Run the live and the proposed thresholds of one rule over the window; store both."""
    if backtest.status != Backtest.Status.QUEUED:
        return backtest
    version = backtest.version
    rule = version.rule
    try:
        feed = read_feed(Path(settings.DETECTION_DROP_DIR) / backtest.window)
    except FeedError as error:
        backtest.status, backtest.error = Backtest.Status.FAILED, str(error)
        backtest.save(update_fields=["status", "error"])
        return backtest
    linkage = link_window(feed)
    live = rule.live_version.params if rule.live_version else {}
    found = {
        "live": detect(feed, {rule.code: live}, {rule.code}, linkage=linkage),
        "proposed": detect(feed, {rule.code: version.params}, {rule.code}, linkage=linkage),
    }
    backtest.live_alerts = _brief(found["live"])
    backtest.proposed_alerts = _brief(found["proposed"])
    backtest.status = Backtest.Status.DONE
    backtest.save(update_fields=["live_alerts", "proposed_alerts", "status"])
    return backtest
