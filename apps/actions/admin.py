"""The admin shows actions and restrictions read-only: every change goes through the services
(and the database refuses a requester approving their own action anyway)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from apps.actions.models import AccountLookup, Action, ActionAttempt, Restriction
from apps.actions.sandbox.models import SandboxFault, SandboxPosition, SandboxRestriction


class ReadOnly(SimpleHistoryAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Action)
class ActionAdmin(ReadOnly):
    list_display = ("id", "measure", "scope", "account", "status", "requested_by", "approved_by")
    list_filter = ("status", "measure")


@admin.register(Restriction)
class RestrictionAdmin(ReadOnly):
    list_display = ("exchange_id", "measure", "account", "status", "applied_at", "expires_at")


@admin.register(ActionAttempt)
class ActionAttemptAdmin(ReadOnly):
    list_display = ("action", "number", "method", "path", "status_code", "outcome")


@admin.register(AccountLookup)
class AccountLookupAdmin(ReadOnly):
    list_display = ("looked_up_by", "looked_up_at", "query", "was_restricted")


# The exchange double is editable: changing it by hand is how a demo shows reconciliation.
admin.site.register(SandboxRestriction)
admin.site.register(SandboxPosition)
admin.site.register(SandboxFault)
