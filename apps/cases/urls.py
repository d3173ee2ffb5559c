from django.urls import path

from apps.cases import escalation_views, export_views, views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("export.csv", export_views.cases_export, name="export"),
    path("new/", views.case_new, name="new"),
    path("escalations/", escalation_views.escalation_inbox, name="inbox"),
    path(
        "escalations/<int:pk>/acknowledge/",
        escalation_views.escalation_acknowledge,
        name="acknowledge",
    ),
    path("escalations/<int:pk>/reply/", escalation_views.escalation_reply, name="reply"),
    path("alerts/<int:alert_id>/escalate/", escalation_views.alert_escalate, name="alert_escalate"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/move/", views.case_move, name="move"),
    path("<int:pk>/note/", views.case_note, name="note"),
    path("<int:pk>/assign/", views.case_assign, name="assign"),
    path("<int:pk>/watch/", views.case_watch, name="watch"),
    path("<int:pk>/reason/", views.case_reason, name="reason"),
    path("<int:pk>/escalate/", views.case_escalate, name="escalate"),
]
