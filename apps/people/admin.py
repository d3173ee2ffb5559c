from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from apps.people.models import User


@admin.register(User)
class DeskUserAdmin(SimpleHistoryAdmin, UserAdmin):
    list_display = ("username", "first_name", "last_name", "is_active", "last_login")
