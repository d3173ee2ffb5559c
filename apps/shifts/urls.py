from django.urls import path

from apps.shifts import views

app_name = "shifts"
urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("<int:pk>/", views.shift_detail, name="detail"),
    path("<int:pk>/assign/", views.shift_assign, name="assign"),
    path("<int:pk>/unassign/<int:person_id>/", views.shift_unassign, name="unassign"),
    path("<int:pk>/supervisor/", views.shift_supervisor, name="supervisor"),
    path("<int:pk>/ask/", views.change_new, name="change_new"),
    path("<int:pk>/handover/", views.handover_write, name="handover_write"),
    path("changes/", views.changes, name="changes"),
    path("changes/<int:pk>/approve/", views.change_approve, name="change_approve"),
    path("changes/<int:pk>/reject/", views.change_reject, name="change_reject"),
    path("changes/<int:pk>/withdraw/", views.change_withdraw, name="change_withdraw"),
    path("handovers/", views.handovers, name="handovers"),
    path("handovers/<int:pk>/", views.handover_detail, name="handover"),
    path(
        "handovers/<int:pk>/acknowledge/", views.handover_acknowledge, name="handover_acknowledge"
    ),
]
