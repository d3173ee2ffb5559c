"""The market's own risk for the shift dashboard: the latest window detection took, read per
contract (apps.detection.market_risk), each stressed contract beside the plan it calls for.

Reading a window costs a second or more, so the reading is kept per window (folder and its
modification time) and read again only when a newer window has been taken.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apps.accounts.models import ExchangeAccount
from apps.actions.plans.models import EmergencyPlan
from apps.actions.plans.selectors import plans_for_signals
from apps.detection.market_risk import CONCENTRATION_BOUND, ContractRisk, contract_risk
from apps.detection.models import DetectionRun, RuleVersion
from apps.detection.rules.market_stress import RULE

_KEPT: dict[tuple[str, float, str], list[ContractRisk]] = {}


@dataclass(frozen=True)
class RiskRow:
    risk: ContractRisk
    plan: EmergencyPlan | None


@dataclass(frozen=True)
class MarketRisk:
    window: str
    rows: list[RiskRow]
    params: dict[str, Any]
    concentration_bound: float = CONCENTRATION_BOUND


def stress_params() -> dict[str, Any]:
    """The market_stress rule's live thresholds: the dashboard flags what the rule alerts on."""
    live = RuleVersion.objects.filter(rule__code="market_stress", status="live").first()
    return {**RULE.default_params, **(live.params if live else {})}


def _cluster_of(account_ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(account_ids), 5000):
        chunk = account_ids[start : start + 5000]
        rows = ExchangeAccount.objects.filter(pk__in=chunk, cluster__isnull=False)
        found.update(rows.values_list("account_id", "cluster__key"))
    return found


def market_risk(limit: int = 12) -> MarketRisk | None:
    """The latest finished window's readings, or None when detection has taken none."""
    run = DetectionRun.objects.filter(status=DetectionRun.Status.DONE).order_by("-finished_at")
    latest = run.only("window", "folder").first()
    if latest is None or not Path(latest.folder).is_dir():
        return None
    folder = Path(latest.folder)
    params = stress_params()
    key = (str(folder), folder.stat().st_mtime, repr(sorted(params.items())))
    if key not in _KEPT:
        _KEPT.clear()
        _KEPT[key] = contract_risk(folder, params, _cluster_of)
    rows = []
    for risk in _KEPT[key][:limit]:
        plans = plans_for_signals(risk.signals) if risk.signals else []
        rows.append(RiskRow(risk, plans[0] if plans else None))
    return MarketRisk(latest.window, rows, params)
