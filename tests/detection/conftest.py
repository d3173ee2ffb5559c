from __future__ import annotations

from typing import Any

from apps.detection.engine import detect

from .builder import Window


def run_rule(window: Window, code: str, **params: Any) -> list[dict[str, Any]]:
    """Alerts of one rule over a hand-built window."""
    return detect(window.feed(), params={code: params}, enabled={code})
