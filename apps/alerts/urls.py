from django.urls import path

from apps.alerts import export_views, rejected_views, views

app_name = "alerts"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("act/", views.queue_act, name="act"),
    path("group/", views.queue_group, name="group"),
    path("claim-next/", views.claim_next, name="claim_next"),
    path("quality/", views.rule_quality, name="quality"),
    path("export.csv", export_views.alerts_export, name="export"),
    path("rejected/", rejected_views.rejected_list, name="rejected"),
    path("rejected/<int:pk>/", rejected_views.rejected_detail, name="rejected_detail"),
    path("rejected/<int:pk>/resubmit/", rejected_views.rejected_resubmit, name="rejected_resubmit"),
    path("<int:pk>/", views.alert_detail, name="detail"),
    path("<int:pk>/act/", views.alert_act, name="detail_act"),
]
