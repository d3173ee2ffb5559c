"""Every state change of a case or an escalation: one function each (STYLE.md)."""

from apps.cases.services.clusters import cases_follow_clusters
from apps.cases.services.common import CaseError, case_timeline_add
from apps.cases.services.details import case_note, case_set_customer_reason, case_watch
from apps.cases.services.escalations import (
    alert_escalation_raise,
    case_escalate,
    escalation_acknowledge,
    escalation_reply,
)
from apps.cases.services.moves import case_assign, case_follow_action, case_move
from apps.cases.services.opening import Opened, case_attach_new_alerts, case_open
from apps.cases.services.timers import ScanResult, timers_scan

__all__ = [
    "CaseError",
    "Opened",
    "ScanResult",
    "alert_escalation_raise",
    "case_assign",
    "case_attach_new_alerts",
    "case_escalate",
    "case_follow_action",
    "case_move",
    "case_note",
    "case_open",
    "case_set_customer_reason",
    "case_timeline_add",
    "case_watch",
    "cases_follow_clusters",
    "escalation_acknowledge",
    "escalation_reply",
    "timers_scan",
]
