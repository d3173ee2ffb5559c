"""The demo desk's past outcomes: of what the night's operators decided, some findings were
confirmed — opened as cases with a measure on their accounts — and the rest dismissed with
a reason (apps/console/demo_night.py). Without the confirmations every rule would show 0 %
on the rule-quality page and the daily report, which no working desk looks like.

Each confirmation goes through the real services (case_open, action_request, action_approve)
as the operator and supervisor on duty; only the clock is turned back afterwards, so the
case, its alerts and its timeline carry the hour the operator worked them.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from apps.accounts.selectors import account_clusters
from apps.actions import services as actions
from apps.actions.measures import Measure, ReasonCode, Scope
from apps.alerts.models import Alert
from apps.cases.models import Case, CaseEvent
from apps.cases.selectors import accounts_in_open_cases
from apps.cases.services import CaseError, case_open, case_set_customer_reason
from apps.people.models import User

# How often the desk confirms what each rule finds (the share of its findings opened as
# cases): trade-abuse rules are the desk's bread, limit and cancel rules mostly noise.
CONFIRM_SHARE = {
    "self_trade": 0.45,
    "linked_mutual_trade": 0.4,
    "matched_trade_price": 0.35,
    "common_control": 0.3,
    "promo_abuse": 0.3,
    "abnormal_pnl": 0.25,
    "unauthorized_algo": 0.2,
    "combined_position_limit": 0.2,
    "frequent_cancel": 0.12,
    "large_cancel": 0.12,
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
MOST_CASES = 16
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
        wanted = min(round(share * len(alerts)), MOST_CASES - len(chosen))
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
    """Each confirmed finding: a case opened by the operator who worked it, with the measure
    its rule calls for; a freeze approved by a supervisor who did not ask for it."""
    operators = list(User.objects.filter(username__in=["olga", "nikhil"]).order_by("username"))
    supervisors = list(User.objects.filter(username__in=["sam", "mei"]).order_by("username"))
    if not operators or not supervisors:
        return "no demo operators"
    cases = measures = 0
    for n, group in enumerate(groups):
        by = rng.choice(operators)
        try:
            case = case_open(alerts=group.alerts, by=by).case
        except CaseError:
            continue  # a person would split it; the night left it to the morning
        case = case_set_customer_reason(case=case, by=by, text=CUSTOMER_TEXT)
        cases += 1
        if n % 3 == 2:  # still being investigated: no measure asked for yet
            _turn_back(case, group.alerts, now=now, rng=rng)
            continue
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
        _turn_back(case, group.alerts, now=now, rng=rng)
    return f"{cases} findings confirmed into cases, {measures} measures"


def _turn_back(case: Case, alerts: list[Alert], *, now: datetime, rng: random.Random) -> None:
    """The case was opened when its oldest alert was worked, not now: each alert's decision
    and the case's timeline move back by the same span."""
    first = min(a.first_seen for a in alerts)
    opened = first + timedelta(minutes=rng.uniform(8, 40))
    back = now - opened
    Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(claimed_at=opened, decided_at=opened)
    Case.objects.filter(pk=case.pk).update(opened_at=opened, due_at=case.due_at - back)
    CaseEvent.objects.filter(case=case).update(at=F("at") - back)
