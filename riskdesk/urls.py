from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "riskdesk administration"

urlpatterns = [
    path("", include("apps.desk.urls")),
    path("", include("apps.people.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("detection/", include("apps.detection.urls")),
    path("cases/", include("apps.cases.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("admin/", admin.site.urls),
]
