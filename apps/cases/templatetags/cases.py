from typing import Any

from django import template
from django.utils.safestring import SafeString

from apps.cases.graph import render_svg

register = template.Library()


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)


@register.simple_tag
def graph_svg(page: Any, restricted: Any = None) -> SafeString:
    """The case's graph with its restricted accounts marked (`restricted`: the page's
    `restricted_set`, read once for every list on the page)."""
    return render_svg(page.graph, link_for=page.graph_links, marked=set(restricted or ()))


@register.filter
def quantity(value: Any) -> str:
    """A contract quantity as a person writes it: grouped, up to 4 decimals, no trailing
    zeros (0.5, 1, 1,250.125)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    return f"{number:,.4f}".rstrip("0").rstrip(".")
