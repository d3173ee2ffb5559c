from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.notifications import selectors
from apps.notifications.models import Notification
from apps.notifications.services import notifications_mark_read
from apps.people.access import role_required
from apps.people.http import DeskRequest, local_url
from apps.people.roles import EVERY_PERSON


def notification_for(request: DeskRequest, pk: int) -> Notification:
    """The one way views fetch a notification: only the recipient's own."""
    return get_object_or_404(Notification, pk=pk, recipient=request.user)


@role_required(*EVERY_PERSON)
@require_GET
def notification_list(request: DeskRequest) -> HttpResponse:
    return render(
        request,
        "notifications/list.html",
        {"notifications": selectors.notifications_for(request.user)},
    )


@role_required(*EVERY_PERSON)
@require_POST
def notification_open(request: DeskRequest, pk: int) -> HttpResponse:
    notification = notification_for(request, pk)
    notifications_mark_read(by=request.user, ids=[notification.pk])
    return HttpResponseRedirect(local_url(request, notification.url, reverse("notifications:list")))


@role_required(*EVERY_PERSON)
@require_POST
def notifications_read_all(request: DeskRequest) -> HttpResponse:
    notifications_mark_read(by=request.user)
    return redirect("notifications:list")
