from django.urls import path

from apps.alerts import api

app_name = "alerts_api"
urlpatterns = [
    path("alerts/", api.AlertCollection.as_view(), name="list"),
    path("alerts/<int:pk>/", api.AlertDetail.as_view(), name="detail"),
]
