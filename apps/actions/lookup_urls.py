"""Customer service's lookup, mounted at /accounts/lookup/ (riskdesk/urls.py) where it always
was; the view is the actions app's, which owns what may be said about a restriction."""

from django.urls import path

from apps.actions import contact_views

app_name = "lookup"
urlpatterns = [
    path("", contact_views.account_lookup, name="account"),
    path("<str:account_id>/contact/", contact_views.contact_record, name="record_contact"),
]
