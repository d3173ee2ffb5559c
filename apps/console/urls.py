from django.urls import path

from apps.console import views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("history/<str:key>/<str:pk>/", views.object_history, name="history"),
    path("history/<str:key>/<str:pk>/export.csv", views.history_export, name="history_export"),
    path("audit/", views.audit_chain, name="audit"),
    path("healthz", views.health, name="health"),
]
