"""The words of a case, shared by every app that reads or counts cases: its status and
outcome, which statuses its measures decide, the kinds of its timeline's lines, and to whom
it escalates. apps.cases.models builds the tables and the allowed moves on them."""

from django.db import models


class Status(models.TextChoices):
    OPEN = "open", "Open"
    INVESTIGATING = "investigating", "Investigating"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    ACTIONED = "actioned", "Actioned"
    CLOSED = "closed", "Closed"


class Outcome(models.TextChoices):
    NO_ACTION = "no_action", "No action"
    RESTRICTED = "restricted", "Restricted"
    REFERRED = "referred", "Referred to compliance"
    ACCOUNT_CLOSED = "account_closed", "Account closed"


# The statuses a case's measures decide, and nothing else (apps.actions.services.telling,
# case_status_by_measures): a freeze waiting for a supervisor, a measure carried out.
BY_MEASURES = frozenset({Status.AWAITING_APPROVAL, Status.ACTIONED})

OPEN_STATUSES = (Status.OPEN, Status.INVESTIGATING, Status.AWAITING_APPROVAL, Status.ACTIONED)


class EventKind(models.TextChoices):
    OPENED = "opened", "Case opened"
    ALERT_JOINED = "alert_joined", "Alert joined"
    NOTE = "note", "Note"
    STATUS = "status", "Status changed"
    ASSIGNED = "assigned", "Assigned"
    WATCH = "watch", "Watchers changed"
    REASON = "reason", "Customer-safe reason changed"
    ESCALATED = "escalated", "Escalated"
    ESCALATION_ACK = "escalation_ack", "Escalation acknowledged"
    ESCALATION_REPLY = "escalation_reply", "Reply to an escalation"
    ACTION_REQUESTED = "action_requested", "Action requested"
    ACTION_APPROVED = "action_approved", "Action approved"
    ACTION_REJECTED = "action_rejected", "Action rejected"
    ACTION_EXECUTED = "action_executed", "Action executed"
    ACTION_FAILED = "action_failed", "Action failed"
    ACTION_EXPIRED = "action_expired", "Request expired unanswered"
    RESTRICTION = "restriction", "Restriction changed"
    CLUSTER = "cluster", "Cluster changed"


class Target(models.TextChoices):
    SUPERVISOR = "supervisor", "Supervisor on duty"
    STRATEGY = "strategy", "Strategy team"
    HEAD_OF_RISK = "head_of_risk", "Head of risk"
