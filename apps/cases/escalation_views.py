"""The escalation pages: escalating one alert, the inbox of escalations addressed to a
supervisor or strategy, and acknowledging or answering one. Escalating a case is a case
page's form (views.case_escalate)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.alerts import services as alert_services
from apps.alerts.selectors import alert_of
from apps.alerts.services import AlertError
from apps.cases import selectors, services
from apps.cases.models import Escalation, Target
from apps.cases.permissions import can_answer_escalation
from apps.cases.views import attempt, instant_param
from apps.people.access import role_required
from apps.people.http import DeskRequest, safe_next
from apps.people.roles import WORKING_ROLES, Role

INBOX_ROLES = (Role.SUPERVISOR, Role.STRATEGY, Role.AUDITOR)


def escalation_for(request: DeskRequest, pk: int) -> Escalation:
    """The one way views fetch an escalation: only its addressees (and its raiser) act."""
    escalation = get_object_or_404(Escalation.objects.select_related("case", "alert"), pk=pk)
    if not (
        escalation.raised_by_id == request.user.pk
        or can_answer_escalation(request.user, escalation)
    ):
        raise PermissionDenied("This escalation is not addressed to you.")
    return escalation


@role_required(*WORKING_ROLES)
def alert_escalate(request: DeskRequest, alert_id: int) -> HttpResponse:
    """Escalate one alert (the queue and the alert page link here)."""
    alert = alert_of(alert_id, evidence=False)
    if alert is None:
        raise Http404("No such alert.")
    if request.method == "POST":
        target = request.POST.get("target", "")
        try:
            alert_services.alert_escalate(
                alert=alert, by=request.user, target=target, reason=request.POST.get("reason", "")
            )
        except AlertError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Alert {alert.pk} escalated.")
            return redirect("cases:list")
    return render(
        request,
        "cases/alert_escalate.html",
        {
            "alert": alert,
            "targets": [(t, Target(t).label) for t in (Target.SUPERVISOR, Target.STRATEGY)],
        },
    )


@role_required(*INBOX_ROLES)
@require_GET
def escalation_inbox(request: DeskRequest) -> HttpResponse:
    return _inbox_page(request)


def _inbox_page(
    request: DeskRequest, *, kept: dict | None = None, status: int = 200
) -> HttpResponse:
    state = request.GET.get("state", "open")
    since, until = instant_param(request, "since"), instant_param(request, "until")
    target = request.GET.get("target", "")
    escalations = list(
        selectors.inbox(request.user, state=state, target=target, since=since, until=until)
    )
    return render(
        request,
        "cases/inbox.html",
        {
            "escalations": escalations,
            "state": state,
            "window": (target, since, until) if since or until or target else None,
            "answerable": {e.pk for e in escalations if can_answer_escalation(request.user, e)},
            "kept": kept or {},
        },
        status=status,
    )


@role_required(Role.SUPERVISOR, Role.STRATEGY)
@require_POST
def escalation_acknowledge(request: DeskRequest, pk: int) -> HttpResponse:
    escalation = escalation_for(request, pk)
    attempt(
        request,
        lambda: services.escalation_acknowledge(escalation=escalation, by=request.user),
        "Acknowledged.",
    )
    return redirect(safe_next(request, reverse("cases:inbox")))


@role_required(*WORKING_ROLES, Role.STRATEGY)
@require_POST
def escalation_reply(request: DeskRequest, pk: int) -> HttpResponse:
    escalation = escalation_for(request, pk)
    text = request.POST.get("text", "")
    sent = attempt(
        request,
        lambda: services.escalation_reply(escalation=escalation, by=request.user, text=text),
        "Reply sent.",
    )
    if not sent:  # refused: the inbox again, the reply still typed, the reason shown
        return _inbox_page(request, kept={"pk": escalation.pk, "text": text}, status=400)
    # Replying is inbox work: stay in the inbox, on the escalation answered.
    return redirect(safe_next(request, reverse("cases:inbox")))
