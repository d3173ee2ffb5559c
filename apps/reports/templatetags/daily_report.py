"""Cells and figures of the daily report: a number with its unit, linked to its list."""

from typing import Any

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def figure_value(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.2f}" if unit == "USDT" else f"{value:,.1f}".removesuffix(".0")
    elif isinstance(value, int) and not isinstance(value, bool):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text} {unit}" if unit else text


@register.filter
def report_cell(value: Any) -> str:
    """A figure cell ({"v", "url"}) as a link to its rows; plain text as it is."""
    if isinstance(value, dict):
        shown = figure_value(value.get("v"))
        if value.get("url"):
            return format_html('<a href="{}">{}</a>', value["url"], shown)
        return format_html("{}", shown)
    return format_html("{}", figure_value(value))


@register.filter
def is_figure(value: Any) -> bool:
    """A number (plain, or a figure cell holding one): set right-aligned."""
    if isinstance(value, dict):
        value = value.get("v")
    return isinstance(value, int | float) and not isinstance(value, bool)


CHANGE_WORDS = ("new", "same", "—")


@register.filter
def numeric_columns(table: dict[str, Any]) -> set[int]:
    """Columns set right-aligned: numbers, and changes (+25%, new, same) beside them."""

    def numeric(value: Any) -> bool:
        if is_figure(value):
            return True
        return isinstance(value, str) and (value in CHANGE_WORDS or value.endswith("%"))

    rows = table.get("rows", [])
    return {
        i
        for i in range(1, len(table.get("columns", [])))
        if rows and all(numeric(r[i]) for r in rows)
    }
