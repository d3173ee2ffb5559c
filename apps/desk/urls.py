from django.urls import path

from apps.desk import views

app_name = "desk"
urlpatterns = [
    path("", views.home, name="home"),
    path("history/<str:key>/<str:pk>/", views.object_history, name="history"),
    path("healthz", views.health, name="health"),
]
