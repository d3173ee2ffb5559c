from django.contrib import admin

from apps.desk.admin import DeskHistoryAdmin
from apps.shifts.models import (
    Assignment,
    Handover,
    PatternMember,
    PersonSkill,
    Shift,
    ShiftChange,
    ShiftPattern,
    Skill,
)


class PatternMemberInline(admin.TabularInline):
    model = PatternMember
    extra = 0


@admin.register(ShiftPattern)
class ShiftPatternAdmin(DeskHistoryAdmin):
    list_display = ("code", "name", "starts", "ends", "time_zone", "weekdays", "active")
    inlines = [PatternMemberInline]


@admin.register(Shift)
class ShiftAdmin(DeskHistoryAdmin):
    list_display = ("pattern", "local_date", "starts_at", "ends_at", "supervisor")
    list_filter = ("pattern",)
    # Times come from the pattern (rota_generate); seats move through swaps and covers.
    readonly_fields = ("pattern", "local_date", "starts_at", "ends_at")


@admin.register(Assignment)
class AssignmentAdmin(DeskHistoryAdmin):
    list_display = ("shift", "person", "change")


@admin.register(ShiftChange)
class ShiftChangeAdmin(DeskHistoryAdmin):
    list_display = ("pk", "kind", "status", "requester", "shift", "counterpart", "decided_by")
    list_filter = ("status", "kind")
    # Decisions go through the services (never self-approved); the admin only reads them.
    readonly_fields = [f.name for f in ShiftChange._meta.fields]


@admin.register(Handover)
class HandoverAdmin(DeskHistoryAdmin):
    list_display = ("from_shift", "to_shift", "status", "written_by", "acknowledged_by")
    readonly_fields = [f.name for f in Handover._meta.fields]


@admin.register(Skill)
class SkillAdmin(DeskHistoryAdmin):
    list_display = ("code", "label")


@admin.register(PersonSkill)
class PersonSkillAdmin(DeskHistoryAdmin):
    list_display = ("person", "skill")
