from django.urls import path

from apps.detection import views

app_name = "detection"
urlpatterns = [
    path("rules/", views.rule_list, name="rules"),
    path("rules/<str:code>/", views.rule_detail, name="rule"),
    path("rules/<str:code>/versions/", views.rule_propose, name="rule_propose"),
    path("rules/<str:code>/versions/<int:number>/live/", views.rule_activate, name="rule_activate"),
    path("rules/<str:code>/switch/", views.rule_switch, name="rule_switch"),
    path("rules/<str:code>/changes/<int:pk>/", views.rule_change_decide, name="rule_change_decide"),
    path("rules/<str:code>/backtests/", views.backtest_request, name="backtest_request"),
    path("runs/", views.run_list, name="runs"),
    path("live/", views.live_list, name="live"),
]
