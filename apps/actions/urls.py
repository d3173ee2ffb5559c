from django.urls import path

from apps.actions import contact_views, request_views, views

app_name = "actions"
urlpatterns = [
    path("", views.action_list, name="list"),
    path("new/", request_views.action_new, name="new"),
    path("preview/", request_views.action_preview, name="preview"),
    path("inbox/", views.approval_inbox, name="inbox"),
    path("export.csv", views.action_export, name="export"),
    path("contacts/", contact_views.contact_list, name="contacts"),
    path("contacts/<int:pk>/answer/", contact_views.contact_answer, name="contact_answer"),
    path("<int:pk>/", views.action_detail, name="detail"),
    path("<int:pk>/approve/", views.action_approve, name="approve"),
    path("<int:pk>/reject/", views.action_reject, name="reject"),
    path("<int:pk>/retry/", views.action_retry, name="retry"),
]
