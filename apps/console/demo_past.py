"""The demo desk's past outcomes: of what the night's operators decided, some findings were
confirmed — opened as cases with a measure on their accounts — and the rest dismissed with
a reason (apps/console/demo_night.py). Without the confirmations every rule would show 0 %
on the rule-quality page and the daily report, which no working desk looks like.

Each confirmation goes through the real services (case_open, action_request, action_approve)
as the operator and supervisor on duty; only the clock is turned back afterwards, so the
case, its alerts and its timeline carry the hour the operator worked them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from apps.accounts.selectors import account_clusters
from apps.actions import services as actions
from apps.actions.measures import Measure, ReasonCode, Scope
from apps.actions.services.demo import case_actions_dated_back
from apps.alerts.demo_services import alert_decided_back
from apps.alerts.selectors import case_alerts_since_first
from apps.cases.selectors import accounts_in_open_cases
from apps.cases.services import (
    CaseError,
    case_attach_new_alerts,
    case_open,
    case_set_customer_reason,
)
from apps.cases.services.demo import case_alert_joined_at, case_dated_back
from apps.people.selectors import people_named

if TYPE_CHECKING:
    from apps.alerts.models import Alert
    from apps.cases.models import Case

# How often the desk confirms what each rule finds (the share of its findings opened as
# cases): trade-abuse rules are the desk's bread, limit and cancel rules mostly noise.
CONFIRM_SHARE = {
    "self_trade": 0.3,
    "linked_mutual_trade": 0.3,
    "matched_trade_price": 0.2,
    "common_control": 0.2,
    "promo_abuse": 0.2,
    "abnormal_pnl": 0.1,
    "unauthorized_algo": 0.1,
    "combined_position_limit": 0.1,
    "frequent_cancel": 0.1,
    "large_cancel": 0.1,
    "daily_open_limit": 0.1,
}
# What the operator asks for, by rule: (measure, reason); a freeze waits for a supervisor.
MEASURE_FOR = {
    "self_trade": (Measure.SUSPEND_OPEN, ReasonCode.SELF_TRADE),
    "linked_mutual_trade": (Measure.FREEZE, ReasonCode.LINKED_ACCOUNTS),
    "matched_trade_price": (Measure.CLOSE_ONLY, ReasonCode.PRICE_MANIPULATION),
    "common_control": (Measure.WITHDRAWAL_HOLD, ReasonCode.LINKED_ACCOUNTS),
    "promo_abuse": (Measure.WITHDRAWAL_HOLD, ReasonCode.PROMO_ABUSE),
    "abnormal_pnl": (Measure.SUSPEND_OPEN, ReasonCode.ABNORMAL_PNL),
    "unauthorized_algo": (Measure.TRADING_BAN, ReasonCode.UNAUTHORIZED_ALGO),
    "combined_position_limit": (Measure.CLOSE_ONLY, ReasonCode.POSITION_LIMIT_BREACH),
    "frequent_cancel": (Measure.SUSPEND_OPEN, ReasonCode.ORDER_CANCEL_ABUSE),
    "large_cancel": (Measure.SUSPEND_OPEN, ReasonCode.ORDER_CANCEL_ABUSE),
    "daily_open_limit": (Measure.CLOSE_ONLY, ReasonCode.POSITION_LIMIT_BREACH),
}
# A cap that keeps `make demo` quick: each case is some hundreds of queries through the
# services, its measures as many again.
MOST_CASES = 18
CUSTOMER_TEXT = "Your account is under review after unusual trading; we will contact you."


@dataclass
class Confirmed:
    """The night's copies of one finding the operators confirmed, oldest first."""

    rule: str
    alerts: list[Alert]


def findings_to_confirm(found: list[Alert], *, rng: random.Random) -> set[str]:
    """The dedup keys, among the day's findings, the night's operators confirmed: per rule
    its share, only findings on accounts of one cluster with no open case yet (one open
    case per cluster), never two findings on the same cluster."""
    clusters = account_clusters({a for alert in found for a in alert.accounts})
    busy = accounts_in_open_cases()
    taken: set[object] = set()
    chosen: set[str] = set()
    by_rule: dict[str, list[Alert]] = {}
    for alert in found:
        by_rule.setdefault(alert.rule, []).append(alert)
    for rule, alerts in sorted(by_rule.items(), key=lambda pair: -CONFIRM_SHARE.get(pair[0], 0)):
        share = CONFIRM_SHARE.get(rule, 0.0)
        wanted = min(max(round(share * len(alerts)), 1), MOST_CASES - len(chosen))
        if not share:
            continue
        for alert in rng.sample(alerts, len(alerts)):
            if wanted <= 0:
                break
            accounts = alert.accounts
            if not accounts or any(a not in clusters for a in accounts) or busy & set(accounts):
                continue
            keys = {clusters[a] or a for a in accounts}
            if len({clusters[a] for a in accounts}) > 1 or keys & taken:
                continue
            taken |= keys
            chosen.add(alert.dedup_key)
            wanted -= 1
    return chosen


def confirm_into_cases(groups: list[Confirmed], *, now: datetime, rng: random.Random) -> str:
    """Each confirmed finding: a case opened from its first alert by the operator who worked
    it, with the measure its rule calls for (a freeze approved by a supervisor who did not
    ask for it); its later alerts join the case by themselves, as the desk's task does."""
    operators = list(people_named(["olga", "nikhil"]).order_by("username"))
    supervisors = list(people_named(["sam", "mei"]).order_by("username"))
    if not operators or not supervisors:
        return "no demo operators"
    opened: list[tuple[Case, Confirmed]] = []
    measures = 0
    for n, group in enumerate(groups):
        by = rng.choice(operators)
        try:
            case = case_open(alerts=group.alerts[:1], by=by).case
        except CaseError:
            continue  # a person would split it; the night left it to the morning
        case = case_set_customer_reason(case=case, by=by, text=CUSTOMER_TEXT)
        opened.append((case, group))
        if n % 3 == 2:
            continue  # still being investigated: no measure asked for yet
        measure, reason = MEASURE_FOR.get(group.rule, (Measure.SUSPEND_OPEN, ReasonCode.OTHER))
        with transaction.atomic():
            made = actions.action_request(
                by=by,
                measure=measure,
                scope=Scope.ACCOUNT,
                account_ids=sorted(case.account_rows.values_list("account_id", flat=True)),
                reason_code=reason,
                customer_text=CUSTOMER_TEXT,
                internal_note=f"{case.ref}: confirmed {group.rule} over the night",
                case=case,
                alerts=group.alerts[:1],
            )
        for action in made:
            if action.requires_approval:
                actions.action_approve(action=action, by=rng.choice(supervisors))
            actions.action_execute(action.pk)  # with a broker: now, not when a worker runs
        measures += len(made)
    joined = 0
    while step := case_attach_new_alerts():  # each call takes at most 500 alerts
        joined += step
    for case, group in opened:
        _turn_back(case, group.alerts, now=now, rng=rng)
    said = f"{len(opened)} findings confirmed into cases ({joined} alerts joined)"
    return f"{said}, {measures} measures"


def _turn_back(case: Case, alerts: list[Alert], *, now: datetime, rng: random.Random) -> None:
    """The case was opened soon after its first alert arrived, not now: the case, its
    timeline and its measures move back by that span; each later alert of the case joined
    when it arrived (the desk's task runs every few seconds)."""
    first = alerts[0]
    opened = first.first_seen + timedelta(minutes=rng.uniform(8, 40))
    back = now - opened
    case_dated_back(case_id=case.pk, opened=opened, back=back)
    case_actions_dated_back(case_id=case.pk, back=back)
    alert_decided_back(alert_id=first.pk, at=opened, claimed=True)
    for alert in case_alerts_since_first(case.pk, first=first.pk):
        at = max(opened, alert.first_seen + timedelta(seconds=rng.uniform(5, 40)))
        alert_decided_back(alert_id=alert.pk, at=at)
        case_alert_joined_at(case_id=case.pk, alert_id=alert.pk, at=at)


def demo_daily_report_create(*, hours: int) -> str:
    """The daily report over the night's UTC days, asked for by the day supervisor as the
    desk would at handover, so the report pages open on figures rather than an empty list."""
    from apps.reports.daily.build import daily_report_build, daily_report_request, utc_today
    from apps.reports.selectors import daily_reports_exist

    if daily_reports_exist():
        return "daily report: already there"
    supervisor = people_named(["sam"]).first()
    now = timezone.now()
    report = daily_report_request(
        first_day=(now - timedelta(hours=hours)).date(), last_day=utc_today(now), by=supervisor
    )
    # Eager Celery built it at the commit; with a broker, build it here (a second claim
    # finds nothing to do).
    daily_report_build(report_id=report.pk)
    return f"daily report {report.first_day} to {report.last_day}: built"
