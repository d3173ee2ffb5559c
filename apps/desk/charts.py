"""Small server-side SVG charts (no JavaScript, CSP-safe): a line per series over time and
bars per time bucket. Colours are desk.css classes so both themes read."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SERIES_CLASSES = 6  # .series-0 … .series-5 in cases.css


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[datetime, float]]


def _fmt(value: float) -> str:
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:,.1f}M"
    if size >= 1e3:
        return f"{value / 1e3:,.1f}k"
    return f"{value:,.0f}"


def _frame(
    width: int, height: int, title: str, low: float, high: float, unit: str = ""
) -> list[str]:
    """The chart's visible title (a figure caption), its frame, and the value axis: top and
    bottom values with the unit under the top one."""
    out = [
        f'<figure class="chart-figure"><figcaption class="chart-title">{escape(title)}'
        "</figcaption>",
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f'<text class="chart-axis" x="4" y="14">{escape(_fmt(high))}</text>',
        f'<text class="chart-axis" x="4" y="{height - 20}">{escape(_fmt(low))}</text>',
    ]
    if unit:
        out.append(f'<text class="chart-axis" x="4" y="28">{escape(unit)}</text>')
    return out


def line_chart(
    series: Sequence[Series], *, title: str, unit: str = "", width: int = 520, height: int = 170
) -> SafeString:
    points = [p for s in series for p in s.points]
    if not points:
        return mark_safe("")
    left, right, top, bottom = 48, width - 8, 8, height - 26
    t0 = min(t for t, _ in points).timestamp()
    t1 = max(t for t, _ in points).timestamp()
    low = min(0.0, *(v for _, v in points))
    high = max(0.0, *(v for _, v in points))
    span_t, span_v = (t1 - t0) or 1, (high - low) or 1

    def x(t: datetime) -> float:
        return left + (t.timestamp() - t0) / span_t * (right - left)

    def y(v: float) -> float:
        return bottom - (v - low) / span_v * (bottom - top)

    out = _frame(width, height, title, low, high, unit)
    out.append(
        f'<line class="chart-zero" x1="{left}" x2="{right}" y1="{y(0):.1f}" y2="{y(0):.1f}"/>'
    )
    for i, s in enumerate(series):
        path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in s.points)
        out.append(
            f'<polyline class="chart-line series-{i % SERIES_CLASSES}" points="{path}">'
            f"<title>{escape(s.name)}</title></polyline>"
        )
    first, last = min(t for t, _ in points), max(t for t, _ in points)
    out.append(f'<text class="chart-axis" x="{left}" y="{height - 6}">{first:%H:%M}</text>')
    out.append(f'<text class="chart-axis end" x="{right}" y="{height - 6}">{last:%H:%M} UTC</text>')
    out.append(_legend([s.name for s in series], width))
    out.append("</svg></figure>")
    return mark_safe("".join(out))


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str = "",
    width: int = 520,
    height: int = 170,
) -> SafeString:
    if not bars:
        return mark_safe("")
    left, right, top, bottom = 48, width - 8, 8, height - 26
    high = max(v for _, v in bars) or 1
    slot = (right - left) / len(bars)
    out = _frame(width, height, title, 0, high, unit)
    for i, (label, value) in enumerate(bars):
        h = value / high * (bottom - top)
        out.append(
            f'<rect class="chart-bar" x="{left + i * slot + 1:.1f}" y="{bottom - h:.1f}" '
            f'width="{max(slot - 2, 1):.1f}" height="{h:.1f}"><title>{escape(label)}: '
            f"{escape(_fmt(value))}</title></rect>"
        )
    out.append(f'<text class="chart-axis" x="{left}" y="{height - 6}">{escape(bars[0][0])}</text>')
    out.append(
        f'<text class="chart-axis end" x="{right}" y="{height - 6}">{escape(bars[-1][0])}</text>'
    )
    out.append("</svg></figure>")
    return mark_safe("".join(out))


def _legend(names: list[str], width: int) -> str:
    parts, x = [], 56.0
    for i, name in enumerate(names[:SERIES_CLASSES]):
        parts.append(
            f'<rect class="series-{i} legend-key" x="{x:.0f}" y="6" width="10" height="3"/>'
            f'<text class="chart-axis" x="{x + 13:.0f}" y="11">{escape(name)}</text>'
        )
        x += 16 + 6.5 * len(name) + 10
    return "".join(parts)
