"""The admin shows actions and restrictions read-only: every change goes through the services
(and the database refuses a requester approving their own action anyway)."""

from django.contrib import admin

from apps.actions.models import AccountLookup, Action, ActionAttempt, Restriction
from apps.actions.sandbox.models import SandboxFault, SandboxPosition, SandboxRestriction
from apps.desk.admin import ReadOnlyAdmin, ReadOnlyHistoryAdmin


@admin.register(Action)
class ActionAdmin(ReadOnlyHistoryAdmin):
    list_display = ("id", "measure", "scope", "account", "status", "requested_by", "approved_by")
    list_filter = ("status", "measure")


@admin.register(Restriction)
class RestrictionAdmin(ReadOnlyHistoryAdmin):
    list_display = ("exchange_id", "measure", "account", "status", "applied_at", "expires_at")


@admin.register(ActionAttempt)
class ActionAttemptAdmin(ReadOnlyHistoryAdmin):
    list_display = ("action", "number", "method", "path", "status_code", "outcome")


# A lookup is written once and keeps no history rows: the plain admin history (its log).
@admin.register(AccountLookup)
class AccountLookupAdmin(ReadOnlyAdmin):
    list_display = ("looked_up_by", "looked_up_at", "query", "was_restricted")


# The exchange double is editable: changing it by hand is how a demo shows reconciliation.
admin.site.register(SandboxRestriction)
admin.site.register(SandboxPosition)
admin.site.register(SandboxFault)
