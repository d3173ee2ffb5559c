from django.urls import path

from apps.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.account_search, name="search"),
    path("clusters/", views.cluster_list, name="clusters"),
    path("<str:account_id>/", views.account_detail, name="detail"),
]
