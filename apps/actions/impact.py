"""What approving a measure will do, said before the supervisor confirms it.

A freeze, a liquidation and every symbol- or platform-wide measure are the desk's heaviest
hands; the approval card shows their reach — accounts, the positions a liquidation closes
and their notional — and asks for a second, deliberate click.

Positions come from the last position snapshot of the newest feed window on disk: the web
process never calls the exchange (docs/architecture.md), so the page says where the
figures come from and when none are known.
"""

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from apps.actions.measures import Measure, Scope
from apps.actions.models import Action
from apps.detection.feed import table_path
from apps.detection.selectors import last_done_run

HEAVY_MEASURES = frozenset({Measure.FREEZE, Measure.LIQUIDATE})
WIDE_SCOPES = frozenset({Scope.SYMBOL, Scope.PLATFORM})
EFFECT = {
    Measure.FREEZE: "no trading, deposit or withdrawal on these accounts until lifted",
    Measure.LIQUIDATE: "their open positions are closed at market, now",
}


def needs_confirmation(action: Action) -> bool:
    return action.measure in HEAVY_MEASURES or action.scope in WIDE_SCOPES


@dataclass(frozen=True)
class Position:
    account_id: str
    symbol: str
    qty: float
    entry_price: float

    @property
    def notional(self) -> float:
        return abs(self.qty) * self.entry_price


@dataclass
class Impact:
    measure: str
    scope: str
    accounts: list[str]
    symbol: str
    effect: str
    closes_positions: bool
    positions: list[Position] = field(default_factory=list)
    source: str = ""  # where the positions were read
    note: str = ""  # what is not known, said plainly

    @property
    def notional(self) -> float:
        return sum(p.notional for p in self.positions)


def approval_impact(actions: list[Action]) -> Impact:
    """The reach of one decision (a single action or a whole batch)."""
    lead = actions[0]
    accounts = [a.account_id for a in actions if a.account_id]
    if lead.scope == Scope.PLATFORM:
        effect = f"{lead.get_measure_display()} for every account on the platform"
    elif lead.scope == Scope.SYMBOL:
        effect = f"{lead.get_measure_display()} on {lead.symbol} for every account"
    else:
        effect = EFFECT.get(Measure(lead.measure), lead.get_measure_display())
    impact = Impact(
        measure=lead.get_measure_display(),
        scope=lead.get_scope_display(),
        accounts=accounts,
        symbol=lead.symbol,
        effect=effect,
        closes_positions=lead.measure == Measure.LIQUIDATE,
    )
    if accounts:
        _positions(impact, accounts, lead.symbol if lead.scope == Scope.ACCOUNT_SYMBOL else "")
    return impact


def open_positions(account_ids: list[str]) -> Impact:
    """The accounts' open positions as the last snapshot on the desk has them (an account's
    page lists them), with where they were read or why none are known."""
    held = Impact("", "", account_ids, "", "", closes_positions=False)
    _positions(held, account_ids, "")
    return held


def _positions(impact: Impact, accounts: list[str], symbol: str) -> None:
    run = last_done_run()
    path = table_path(Path(run.folder), "positions") if run and Path(run.folder).is_dir() else None
    if path is None or path.suffix != ".parquet":
        impact.note = "No position snapshot is on the desk: positions and notional are unknown."
        return
    table = pq.read_table(path, columns=["ts", "account_id", "symbol", "qty", "entry_price"])
    mask = pc.is_in(table["account_id"].cast("string"), value_set=pa.array(accounts, "string"))
    if symbol:
        mask = pc.and_(mask, pc.equal(table["symbol"].cast("string"), symbol))
    frame = table.filter(mask).to_pandas()
    impact.source = f"the last position snapshot of feed window {run.window}" if run else ""
    if not len(frame):
        impact.note = f"No open position in {impact.source}."
        return
    latest = frame.sort_values("ts").groupby(["account_id", "symbol"], sort=True).tail(1)
    impact.positions = [
        Position(str(row.account_id), str(row.symbol), float(row.qty), float(row.entry_price))
        for row in latest.itertuples()
        if float(row.qty) != 0
    ]
