from django.urls import path

from apps.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.account_search, name="search"),
    path("lookup/", views.account_lookup, name="lookup"),
    path("<str:account_id>/", views.account_detail, name="detail"),
]
