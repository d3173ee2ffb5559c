from django.urls import path

from apps.actions import contact_views, plan_views, request_views, views

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
    path("plans/", plan_views.plan_list, name="plans"),
    path("plans/new/", plan_views.plan_edit, name="plan_new"),
    path("plans/for-alert/<int:alert_id>/", plan_views.plans_for_alert, name="plans_for_alert"),
    path("plans/<slug:key>/", plan_views.plan_detail, name="plan"),
    path("plans/<slug:key>/edit/", plan_views.plan_edit, name="plan_edit"),
    path("plans/<slug:key>/activate/", plan_views.plan_activate, name="plan_activate"),
    path("activations/<int:pk>/", plan_views.activation_detail, name="activation"),
    path(
        "activations/<int:pk>/approve/",
        plan_views.activation_approve_view,
        name="activation_approve",
    ),
    path(
        "activations/<int:pk>/reject/", plan_views.activation_reject_view, name="activation_reject"
    ),
    path("activations/<int:pk>/lift/", plan_views.activation_lift, name="activation_lift"),
    path("activations/<int:pk>/tick/", plan_views.activation_tick, name="activation_tick"),
]
