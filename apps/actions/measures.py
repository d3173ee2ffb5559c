"""The measures the desk can apply, where each applies, and the exact params each takes.

The params rules are the gateway contract's (shared/contracts/gateway.md): integers are
integers, numbers are numbers, every key is required and no other key is accepted. The desk
refuses what the exchange would refuse, so a request never fails late on a typo.
"""

from dataclasses import dataclass
from typing import Any

from django.db import models


class Measure(models.TextChoices):
    FREQUENCY_LIMIT = "frequency_limit", "Frequency limit"
    POSITION_LIMIT = "position_limit", "Position limit"
    LEVERAGE_CAP = "leverage_cap", "Leverage cap"
    CLOSE_ONLY = "close_only", "Close-only"
    SUSPEND_OPEN = "suspend_open", "Suspend new positions"
    TRADING_BAN = "trading_ban", "Trading ban"
    WITHDRAWAL_HOLD = "withdrawal_hold", "Withdrawal hold"
    FREEZE = "freeze", "Freeze"
    LIQUIDATE = "liquidate", "Liquidate holdings"
    LIFT = "lift", "Lift"


class Scope(models.TextChoices):
    ACCOUNT = "account", "Account"
    ACCOUNT_SYMBOL = "account_symbol", "One symbol of one account"
    SYMBOL = "symbol", "One symbol for everyone"
    PLATFORM = "platform", "Platform-wide"


class ReasonCode(models.TextChoices):
    SELF_TRADE = "self_trade", "Self-trading"
    LINKED_ACCOUNTS = "linked_accounts", "Trading between linked accounts"
    PRICE_MANIPULATION = "price_manipulation", "Matched trades moving the price"
    ORDER_CANCEL_ABUSE = "order_cancel_abuse", "Frequent or large order-and-cancel"
    POSITION_LIMIT_BREACH = "position_limit_breach", "Position or opening limit exceeded"
    UNAUTHORIZED_ALGO = "unauthorized_algo", "Unauthorised programmatic trading"
    ACCOUNT_SECURITY = "account_security", "Account security"
    ABNORMAL_PNL = "abnormal_pnl", "Abnormal profit or loss"
    PROMO_ABUSE = "promo_abuse", "Promotion rules abuse"
    MARKET_EMERGENCY = "market_emergency", "Market emergency"
    INVESTIGATION = "investigation", "Under investigation"
    RESOLVED = "resolved", "Matter resolved"
    OTHER = "other", "Other"


# Standing measures become a restriction on the exchange; liquidation is one call; a lift
# ends a standing one.
STANDING = frozenset(Measure) - {Measure.LIQUIDATE, Measure.LIFT}

# Where each measure may apply. Funds measures are per account (a platform-wide withdrawal
# hold is an emergency tool); liquidation closes one account's positions, all or one symbol.
SCOPES: dict[str, frozenset[str]] = {
    **{measure: frozenset(Scope) for measure in STANDING},
    Measure.FREEZE: frozenset({Scope.ACCOUNT}),
    Measure.WITHDRAWAL_HOLD: frozenset({Scope.ACCOUNT, Scope.PLATFORM}),
    Measure.LIQUIDATE: frozenset({Scope.ACCOUNT, Scope.ACCOUNT_SYMBOL}),
    Measure.LIFT: frozenset(Scope),
}
ACCOUNT_SCOPES = frozenset({Scope.ACCOUNT, Scope.ACCOUNT_SYMBOL})
SYMBOL_SCOPES = frozenset({Scope.ACCOUNT_SYMBOL, Scope.SYMBOL})


@dataclass(frozen=True)
class Param:
    key: str
    kind: type  # int: a JSON integer; float: any JSON number
    label: str
    minimum: float
    maximum: float | None = None


PARAMS: dict[str, tuple[Param, ...]] = {
    Measure.FREQUENCY_LIMIT: (Param("max_orders_per_second", int, "orders per second", 1),),
    Measure.POSITION_LIMIT: (Param("max_contracts", float, "contracts", 0),),
    Measure.LEVERAGE_CAP: (Param("max_leverage", int, "leverage", 1, 125),),
}


def params_of(measure: str) -> tuple[Param, ...]:
    return PARAMS.get(measure, ())


def params_errors(measure: str, params: Any) -> list[str]:
    """What is wrong with `params` for `measure`, in words a person can act on."""
    if not isinstance(params, dict):
        return ["Params must be an object of named values."]
    spec = {p.key: p for p in params_of(measure)}
    errors = [
        f"“{key}” is not a param of {measure}"
        + (f" (it takes {', '.join(spec)})." if spec else " (it takes none).")
        for key in params
        if key not in spec
    ]
    for key, param in spec.items():
        if key not in params:
            errors.append(f"{measure} needs “{key}” ({param.label}).")
            continue
        value = params[key]
        # bool is an int to Python and never a count to the exchange.
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors.append(f"“{key}” must be a number, not {value!r}.")
        elif param.kind is int and not isinstance(value, int):
            errors.append(f"“{key}” must be a whole number, not {value!r}.")
        elif value < param.minimum or (param.maximum is not None and value > param.maximum):
            bound = f"at least {param.minimum:g}"
            if param.maximum is not None:
                bound = f"between {param.minimum:g} and {param.maximum:g}"
            errors.append(f"“{key}” must be {bound}, not {value!r}.")
    return errors


def parse_param_text(measure: str, raw: dict[str, str]) -> dict[str, Any]:
    """Params typed into a form, turned into JSON values; what cannot be read stays text so
    params_errors names it."""
    parsed: dict[str, Any] = {}
    for param in params_of(measure):
        text = (raw.get(param.key) or "").strip()
        if not text:
            continue
        try:
            parsed[param.key] = int(text) if param.kind is int else _number(text)
        except ValueError:
            parsed[param.key] = text
    return parsed


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def contract_scope(scope: str) -> str:
    """The contract knows three scopes; one symbol of one account is `symbol` with an account."""
    return "symbol" if scope in SYMBOL_SCOPES else scope


class ActionStatus(models.TextChoices):
    """Where an action is, from request to its effect (Action.Status)."""

    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    APPROVED = "approved", "Approved, queued"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired unanswered"
    EXECUTING = "executing", "Executing"
    EXECUTED = "executed", "Executed"
    FAILED = "failed", "Failed"
    LIFTED = "lifted", "Lifted"
