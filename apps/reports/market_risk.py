"""The market's own risk for the shift dashboard, per contract (apps.detection.market_risk),
each stressed contract beside the plan it calls for.

Read from the freshest of: the live detector's last checkpoint (var/live/*/checkpoint.json)
and the latest window detection finished. A reading costs a second or more, so it is kept
per source (path and modification time) and read again only when the source changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

from apps.accounts.selectors import cluster_keys
from apps.actions.plans.selectors import plans_for_signals
from apps.detection.live.checkpoint import MANIFEST
from apps.detection.market_risk import (
    CONCENTRATION_BOUND,
    ContractRisk,
    contract_risk_of,
    live_tables,
    window_tables,
)
from apps.detection.rules.market_stress import RULE
from apps.detection.selectors import last_done_run, live_version

if TYPE_CHECKING:
    from apps.actions.plans.models import EmergencyPlan

_KEPT: dict[tuple[str, float, str], list[ContractRisk]] = {}


@dataclass(frozen=True)
class RiskRow:
    risk: ContractRisk
    plan: EmergencyPlan | None


@dataclass(frozen=True)
class MarketRisk:
    source: str  # "window w-…" or "live, checkpoint of HH:MM:SS UTC"
    rows: list[RiskRow]
    params: dict[str, Any]
    concentration_bound: float = CONCENTRATION_BOUND


def stress_params() -> dict[str, Any]:
    """The market_stress rule's live thresholds: the dashboard flags what the rule alerts on."""
    live = live_version("market_stress")
    return {**RULE.default_params, **(live.params if live else {})}


def _latest_live(root: Path) -> Path | None:
    manifests = sorted(root.glob(f"*/{MANIFEST}"), key=lambda p: p.stat().st_mtime)
    return manifests[-1] if manifests else None


def _source() -> tuple[str, Path, float, bool] | None:
    """(label, path, modified, is_live) of the freshest reading, or None."""
    found = []
    latest = last_done_run(by="finished_at")
    if latest is not None and Path(latest.folder).is_dir():
        folder = Path(latest.folder)
        found.append((f"window {latest.window}", folder, folder.stat().st_mtime, False))
    manifest = _latest_live(Path(settings.VAR_DIR) / "live")
    if manifest is not None:
        at = manifest.stat().st_mtime
        label = f"live, checkpoint of {datetime.fromtimestamp(at, UTC):%H:%M:%S} UTC"
        found.append((label, manifest.parent, at, True))
    return max(found, key=lambda f: f[2]) if found else None


def market_risk(limit: int = 12) -> MarketRisk | None:
    """The freshest readings, or None when neither a window nor the live feed was read."""
    source = _source()
    if source is None:
        return None
    label, path, modified, is_live = source
    params = stress_params()
    key = (str(path), modified, repr(sorted(params.items())))
    if key not in _KEPT:
        tables = live_tables(path) if is_live else window_tables(path)
        _KEPT.clear()
        _KEPT[key] = contract_risk_of(tables or {}, params, cluster_keys)
    rows = []
    for risk in _KEPT[key][:limit]:
        plans = plans_for_signals(risk.signals) if risk.signals else []
        rows.append(RiskRow(risk, plans[0] if plans else None))
    return MarketRisk(label, rows, params)
