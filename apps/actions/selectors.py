from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from apps.actions.impact import needs_confirmation
from apps.actions.measures import Measure
from apps.actions.models import Action, ActionAttempt, Restriction, restriction_active
from apps.alerts.selectors import alerts_listed

if TYPE_CHECKING:
    from apps.accounts.models import ExchangeAccount

# An approved action nobody picked up for this long lost its message.
STALL_AFTER = timedelta(seconds=20)


def stalled_action_ids(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    before = now - STALL_AFTER
    return list(
        Action.objects.filter(
            Q(status=Action.Status.APPROVED, decided_at__lte=before)
            | Q(status=Action.Status.APPROVED, decided_at__isnull=True, requested_at__lte=before)
            | Q(
                status=Action.Status.EXECUTING,
                claim_token__isnull=True,
                next_attempt_at__lte=before,
            )
            | Q(status=Action.Status.EXECUTING, lease_until__lte=now)
        ).values_list("pk", flat=True)[:500]
    )


def _actions() -> QuerySet[Action]:
    return Action.objects.select_related(
        "account__cluster", "requested_by", "approved_by", "rejected_by", "lifts"
    )


def action_for_page(pk: int) -> Action | None:
    return (
        _actions()
        .select_related("case")
        .prefetch_related(
            Prefetch("attempt_log", queryset=ActionAttempt.objects.order_by("number")),
            Prefetch("alerts", queryset=alerts_listed().order_by("pk")),
        )
        .filter(pk=pk)
        .first()
    )


@dataclass(frozen=True)
class InboxItem:
    """One decision: a single action, or every action of one request (a whole cluster)."""

    lead: Action
    actions: list[Action]

    @property
    def is_batch(self) -> bool:
        return len(self.actions) > 1

    @property
    def account_ids(self) -> list[str]:
        return [a.account_id for a in self.actions if a.account_id]

    @property
    def heavy(self) -> bool:
        """Approving it shows its reach first and asks for a confirmation."""
        return needs_confirmation(self.lead)


def approval_inbox() -> list[InboxItem]:
    """Every decision waiting, oldest first: a batch (one request on a cluster) is one."""
    waiting = (
        _actions()
        .select_related("case")
        .prefetch_related(Prefetch("alerts", queryset=alerts_listed()))
        .filter(status=Action.Status.AWAITING_APPROVAL)
        .order_by("requested_at", "pk")
    )
    items: dict[Any, InboxItem] = {}
    for action in waiting[:2000]:
        key = action.batch or action.pk
        if key in items:
            items[key].actions.append(action)
        else:
            items[key] = InboxItem(action, [action])
    return list(items.values())


def recent_failures(*, days: int = 3) -> list[Action]:
    since = timezone.now() - timedelta(days=days)
    return list(
        _actions()
        .filter(status=Action.Status.FAILED, failed_at__gte=since)
        .order_by("-failed_at")[:50]
    )


def inbox_item(action: Action) -> InboxItem:
    """The decision `action` belongs to (its whole batch), as the inbox shows it."""
    for item in approval_inbox():
        if action.pk in {a.pk for a in item.actions}:
            return item
    return InboxItem(action, [action])


@dataclass(frozen=True)
class Waiting:
    decisions: int  # what a supervisor answers: a batch is one
    actions: int  # one per account


def approvals_waiting() -> Waiting:
    """The one count of approvals waiting: the header, the home page and the inbox all
    show this, so they never disagree (a request on 5 accounts is 1 decision, 5 actions)."""
    figures = Action.objects.filter(status=Action.Status.AWAITING_APPROVAL).aggregate(
        actions=Count("pk"),
        batches=Count("batch", distinct=True),
        single=Count("pk", filter=Q(batch__isnull=True)),
    )
    return Waiting(figures["batches"] + figures["single"], figures["actions"])


def waiting_count() -> int:
    return approvals_waiting().decisions


@dataclass(frozen=True)
class AccountRestrictions:
    own: list[Restriction]  # placed on this account (all symbols or one)
    everyone: list[Restriction]  # symbol-wide and platform-wide ones, which bind it too
    open_actions: list[Action]


def account_restrictions(account: ExchangeAccount) -> AccountRestrictions:
    active = Restriction.objects.filter(restriction_active(timezone.now())).select_related(
        "action__requested_by", "action__approved_by", "action__case"
    )
    return AccountRestrictions(
        own=list(active.filter(account=account).order_by("-applied_at")),
        everyone=list(active.filter(account__isnull=True).order_by("-applied_at")),
        open_actions=list(
            Action.objects.filter(account=account, status__in=Action.OPEN).order_by("-requested_at")
        ),
    )


def restricted_accounts(
    account_ids: Iterable[str], *, at: datetime | None = None
) -> dict[str, list[str]]:
    """Which of `account_ids` stand under an active restriction of their own at `at` (now),
    each with its measures in words, in one query: every list of accounts marks them from
    this, so "restricted" means on every page what `restriction_active` means."""
    ids = {str(i) for i in account_ids if i}
    if not ids:
        return {}
    found: dict[str, list[str]] = {}
    rows = (
        Restriction.objects.filter(restriction_active(at or timezone.now()), account_id__in=ids)
        .values_list("account_id", "measure", "symbol")
        .order_by("account_id", "measure", "symbol")
    )
    for account_id, measure, symbol in rows:
        said = measure_label(measure) + (f" on {symbol}" if symbol else "")
        if said not in found.setdefault(account_id, []):
            found[account_id].append(said)
    return found


@dataclass(frozen=True)
class CustomerRestriction:
    """Only what customer service may say: never the internal note or any evidence."""

    measure: str
    applies_to: str
    since: datetime
    until: datetime | None
    customer_text: str
    reference: str
    case_reference: str  # the case behind the measure, for the customer's follow-up


def customer_restrictions(account: ExchangeAccount) -> list[CustomerRestriction]:
    view = account_restrictions(account)
    return [
        CustomerRestriction(
            measure=r.get_measure_display(),
            applies_to=(f"contract {r.symbol}" if r.symbol else "the whole account")
            if r.account_id
            else ("every account on " + r.symbol if r.symbol else "every account (platform-wide)"),
            since=r.applied_at,
            until=r.expires_at,
            customer_text=r.action.customer_text,
            reference=r.action.reference,
            case_reference=r.action.case.ref if r.action.case else "",
        )
        for r in [*view.own, *view.everyone]
    ]


@dataclass(frozen=True)
class ActionFilter:
    # Which moment since / until read: when it was asked for, carried out, or failed.
    MOMENTS: ClassVar[dict[str, str]] = {
        "requested": "requested_at",
        "executed": "executed_at",
        "failed": "failed_at",
    }
    # The restriction an action placed, read at since / until instead of the action's moment:
    # standing at `until`; lifted or expired in [since, until); standing at `until` and
    # ending within a day after. The daily report's restriction figures link here.
    RESTRICTIONS: ClassVar[tuple[str, ...]] = ("active", "lifted", "expired", "expiring")

    status: str = ""
    measure: str = ""
    scope: str = ""
    reason: str = ""
    at: str = "requested"
    requested_by: str = ""
    approved_by: str = ""
    since: datetime | None = None
    until: datetime | None = None
    account: str = ""
    restriction: str = ""

    def apply(self, actions: QuerySet[Action]) -> QuerySet[Action]:
        exact = {"status": self.status, "measure": self.measure, "scope": self.scope,
                 "reason_code": self.reason}  # fmt: skip
        actions = actions.filter(**{name: value for name, value in exact.items() if value})
        if self.requested_by:
            actions = actions.filter(requested_by__username=self.requested_by)
        if self.approved_by:
            actions = actions.filter(approved_by__username=self.approved_by)
        if self.account:
            actions = actions.filter(account_id=self.account)
        if self.restriction in self.RESTRICTIONS:
            return actions.filter(restriction__in=self._restrictions())
        moment = self.MOMENTS.get(self.at, "requested_at")
        if self.since:
            actions = actions.filter(**{f"{moment}__gte": self.since})
        if self.until:
            actions = actions.filter(**{f"{moment}__lt": self.until})
        return actions

    def _restrictions(self) -> QuerySet[Restriction]:
        if self.restriction in ("lifted", "expired"):
            ended = Restriction.objects.filter(status=self.restriction)
            if self.since:
                ended = ended.filter(ended_at__gte=self.since)
            if self.until:
                ended = ended.filter(ended_at__lt=self.until)
            return ended
        end = self.until or timezone.now()
        standing = Restriction.objects.filter(Q(applied_at__lt=end) & restriction_active(end))
        if self.restriction == "expiring":
            standing = standing.filter(expires_at__lt=end + timedelta(days=1))
        return standing


def action_list(choice: ActionFilter, *, limit: int = 200) -> list[Action]:
    return list(choice.apply(_actions()).order_by("-requested_at", "-pk")[:limit])


def export_rows(choice: ActionFilter) -> QuerySet[Action]:
    return (
        choice.apply(_actions()).annotate(tries=Count("attempt_log")).order_by("requested_at", "pk")
    )


def measure_label(code: str) -> str:
    return Measure(code).label if code in Measure.values else code
