"""Live detection: the window rules run on the live feed (shared/contracts/feed-stream.md)."""

from .detector import FEED_MAX_LATENESS_MS, LiveDetector
from .state import LiveState

__all__ = ["FEED_MAX_LATENESS_MS", "LiveDetector", "LiveState"]
