from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from apps.desk.admin import DeskHistoryAdmin
from apps.people.models import User


@admin.register(User)
class DeskUserAdmin(DeskHistoryAdmin, UserAdmin):
    list_display = ("username", "first_name", "last_name", "is_active", "last_login")
