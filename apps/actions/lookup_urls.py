"""Customer service's lookup, mounted at /accounts/lookup/ (riskdesk/urls.py) where it always
was; the view is the actions app's, which owns what may be said about a restriction."""

from django.urls import path

from apps.actions import views

app_name = "lookup"
urlpatterns = [path("", views.account_lookup, name="account")]
