from typing import Any

from django import template

from apps.notifications.selectors import unread_count

register = template.Library()


@register.inclusion_tag("notifications/badge.html", takes_context=True)
def unread_badge(context: dict[str, Any]) -> dict[str, Any]:
    """The header's bell: one COUNT on an indexed slice, once per full page."""
    user = context["request"].user
    return {"unread": unread_count(user) if user.is_authenticated else 0}
