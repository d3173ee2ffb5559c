"""Mounted under /shifts/ (riskdesk/urls.py), where the dashboard and reports always were."""

from django.urls import path

from apps.reports import views

app_name = "reports"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("reports/", views.reports, name="list"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
]
