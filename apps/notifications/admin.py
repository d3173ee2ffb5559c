from django.contrib import admin

from apps.notifications.models import Delivery, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at"]
    list_filter = ["kind"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["pk", "notification", "channel", "status", "attempts", "next_attempt_at"]
    list_filter = ["channel", "status"]
