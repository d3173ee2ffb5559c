"""Every change the desk makes to detection: rules and their versions, runs, backtests."""

from apps.detection.services.backtests import backtest_execute, backtest_request
from apps.detection.services.changes import (
    rule_change_approve,
    rule_change_reject,
    rule_change_request,
)
from apps.detection.services.rules import (
    DetectionError,
    live_settings,
    rule_switch_on,
    rule_version_propose,
    rules_sync,
)
from apps.detection.services.runs import (
    detection_part_execute,
    detection_rule_parts,
    detection_run_claim,
    detection_run_plan,
    detection_run_remember,
    window_detect,
)

__all__ = [
    "DetectionError",
    "backtest_execute",
    "backtest_request",
    "detection_part_execute",
    "detection_rule_parts",
    "detection_run_claim",
    "detection_run_plan",
    "detection_run_remember",
    "live_settings",
    "rule_change_approve",
    "rule_change_reject",
    "rule_change_request",
    "rule_switch_on",
    "rule_version_propose",
    "rules_sync",
    "window_detect",
]
