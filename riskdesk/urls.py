from django.contrib import admin
from django.urls import include, path

from apps.console.api_docs import ApiDocs, ApiSchema

admin.site.site_header = "riskdesk administration"

urlpatterns = [
    path("", include("apps.console.urls")),
    path("", include("apps.people.urls")),
    path("accounts/lookup/", include("apps.actions.lookup_urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("alerts/", include("apps.alerts.urls")),
    path("api/v1/", include("apps.alerts.api_urls")),
    path("api/v1/schema/", ApiSchema.as_view(), name="api-schema"),
    path("api/v1/docs/", ApiDocs.as_view(), name="api-docs"),
    path("detection/", include("apps.detection.urls")),
    path("shifts/", include("apps.shifts.urls")),
    path("shifts/", include("apps.reports.urls")),
    path("actions/", include("apps.actions.urls")),
    path("cases/", include("apps.cases.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("admin/", admin.site.urls),
]
