from django.contrib import admin

from apps.accounts.models import ControlCluster, ExchangeAccount
from apps.desk.admin import DeskHistoryAdmin


@admin.register(ExchangeAccount)
class ExchangeAccountAdmin(DeskHistoryAdmin):
    list_display = (
        "account_id",
        "registered_at",
        "kyc_level",
        "vip_tier",
        "market_maker",
        "cluster",
    )
    search_fields = ("account_id",)
    # Accounts come from the exchange's feed; the desk does not edit them by hand.
    readonly_fields = [f.name for f in ExchangeAccount._meta.fields]


@admin.register(ControlCluster)
class ControlClusterAdmin(DeskHistoryAdmin):
    list_display = ("key", "size", "first_detected_at", "updated_at")
