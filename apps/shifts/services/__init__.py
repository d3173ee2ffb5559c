"""Every change to the rota, the covers and swaps, and the handovers: one function each."""

from apps.shifts.services.changes import (
    shift_change_approve,
    shift_change_reject,
    shift_change_request,
    shift_change_withdraw,
)
from apps.shifts.services.handovers import (
    handover_acknowledge,
    handover_write,
    handovers_flag_overdue,
    may_acknowledge,
)
from apps.shifts.services.offers import (
    alerts_route,
    alerts_route_unoffered,
    shift_return_unclaimed,
    shifts_return_due,
)
from apps.shifts.services.rota import (
    RotaRun,
    rota_extend,
    rota_generate,
    shift_assign,
    shift_supervisor_set,
    shift_unassign,
)

__all__ = [
    "RotaRun",
    "alerts_route",
    "alerts_route_unoffered",
    "handover_acknowledge",
    "handover_write",
    "handovers_flag_overdue",
    "may_acknowledge",
    "rota_extend",
    "rota_generate",
    "shift_assign",
    "shift_change_approve",
    "shift_change_reject",
    "shift_change_request",
    "shift_change_withdraw",
    "shift_return_unclaimed",
    "shift_supervisor_set",
    "shift_unassign",
    "shifts_return_due",
]
