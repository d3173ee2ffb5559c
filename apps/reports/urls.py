"""Mounted under /shifts/ (riskdesk/urls.py), where the dashboard and reports always were;
the daily risk-control report beside them."""

from django.urls import path

from apps.reports import daily_views as daily
from apps.reports import views

app_name = "reports"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("reports/", views.reports, name="list"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("daily/", daily.daily_list, name="daily_list"),
    path("daily/build/", daily.daily_request, name="daily_request"),
    path("daily/recipients/", daily.recipients, name="recipients"),
    path("daily/recipients/<int:pk>/", daily.recipient_change, name="recipient_change"),
    path("daily/<int:pk>/", daily.daily_detail, name="daily"),
    path(
        "daily/<int:pk>/charts/<slug:section>/<slug:table>.svg",
        daily.daily_chart,
        name="daily_chart",
    ),
    path("daily/<int:pk>/report.csv", daily.daily_csv, name="daily_csv"),
    path("daily/<int:pk>/report.xlsx", daily.daily_xlsx, name="daily_xlsx"),
    path("daily/<int:pk>/report.pdf", daily.daily_pdf, name="daily_pdf"),
]
