"""When a narrow live cycle links again (live/cycle.relink_due)."""

import time
from types import SimpleNamespace
from typing import Any

from apps.detection.live.cycle import LINK_COST_FACTOR, relink_due


def _detector(interval: float, cost: float) -> Any:
    return SimpleNamespace(link_interval_seconds=interval, link_seconds=cost)


def test_a_cheap_linking_is_redone_once_the_interval_has_passed() -> None:
    now = time.monotonic()
    assert relink_due(_detector(1.0, 0.1), now - 1.5)
    assert not relink_due(_detector(1.0, 0.1), now - 0.5)


def test_a_costly_linking_waits_twice_its_cost_whatever_the_interval() -> None:
    now = time.monotonic()
    cost = 3.0
    assert not relink_due(_detector(1.0, cost), now - cost)
    assert relink_due(_detector(1.0, cost), now - LINK_COST_FACTOR * cost - 0.1)
