"""The desk's admin base classes. The admin is a window for reading; every change to a desk
record goes through the services, which hold the rules (two people, row locks, history)."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin


class DeskHistoryAdmin(SimpleHistoryAdmin):
    """An admin for a record with history: the history reads, it never reverts.

    django-simple-history saves a "revert" POSTed to the version page with only view
    permission, and even with change permission a revert would write a service's fields
    behind its back (an approver, a status) with no guard. So no one reverts, not even a
    superuser: an old version is something to read.
    """

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("Old versions are read-only; change records in the desk.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows records nobody edits by hand: the services write them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyHistoryAdmin(ReadOnlyAdmin, DeskHistoryAdmin):
    """Read-only, for a record with history."""
