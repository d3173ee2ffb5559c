"""Labelled horizontal bars for the shift dashboard (server-side SVG, CSP-safe).

Time series use apps.desk.charts.line_chart; its bar chart labels only the first and last
bar, which suits time buckets, not categories — hence these."""

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Severity colours through the series classes of cases.css (.chart .series-N).
SEVERITY_SERIES = {"critical": 3, "high": 1, "medium": 4, "low": 2}


def hbar_chart(
    bars: Sequence[tuple[str, int, int]], *, title: str, width: int = 460, row: int = 20
) -> SafeString:
    """One bar per (label, value, series class); the value is written at the bar's end."""
    if not bars:
        return mark_safe("")
    # Room for the longest label (about 6.5 px a character at the axis font), up to half.
    label_w = min(max(90, 12 + int(6.5 * max(len(label) for label, _, _ in bars))), width // 2)
    value_w = 44
    span = width - label_w - value_w
    high = max(value for _, value, _ in bars) or 1
    height = row * len(bars) + 4
    out = [
        f'<svg class="chart hbar" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">'
    ]
    for i, (label, value, series) in enumerate(bars):
        y = 2 + i * row
        w = max(value / high * span, 1 if value else 0)
        out.append(
            f'<text class="chart-axis" x="{label_w - 6}" y="{y + row * 0.68:.1f}" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<rect class="series-{series}" x="{label_w}" y="{y + 3}" width="{w:.1f}" '
            f'height="{row - 7}"><title>{escape(label)}: {value}</title></rect>'
            f'<text class="chart-value" x="{label_w + w + 5:.1f}" y="{y + row * 0.68:.1f}">'
            f"{value}</text>"
        )
    out.append("</svg>")
    return mark_safe("".join(out))
