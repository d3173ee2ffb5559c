from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from apps.notifications.models import Notification

if TYPE_CHECKING:
    from apps.people.models import User


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()


def notifications_for(user: User, *, limit: int = 100) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")[:limit]
