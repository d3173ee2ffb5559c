"""The trades and orders behind an alert, as the app that reads feed windows finds them.

Alerts sits below the apps that read the trading feed and may not import them; the cases
app registers its reader when it starts (apps.cases.apps), and the alert page asks here.
"""

from collections.abc import Callable
from typing import Any

from apps.alerts.models import Alert

_readers: list[Callable[[Alert], Any]] = []


def register(reader: Callable[[Alert], Any]) -> None:
    if reader not in _readers:
        _readers.append(reader)


def rows_behind(alert: Alert) -> Any:
    """What the registered reader found for the alert, or None when nobody reads windows."""
    return _readers[0](alert) if _readers else None
