from datetime import UTC, date, datetime

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.people.access import has_role, role_required
from apps.people.http import DeskRequest
from apps.people.roles import SHIFT_READERS, STAFF_ROLES, WORKING_ROLES, Role
from apps.people.selectors import desk_people
from apps.shifts import handover_selectors, selectors, services
from apps.shifts.clock import local_today, week_start
from apps.shifts.forms import (
    AssignForm,
    DecisionForm,
    HandoverForm,
    ShiftChangeForm,
    SupervisorForm,
)
from apps.shifts.models import Handover, Shift, ShiftChange, ShiftError, ShiftReport


def get_shift_for_user(request: DeskRequest, pk: int) -> Shift:
    """The one way views fetch a shift; the rota is open to every role the view admits."""
    shift = selectors.shift_for_view(pk)
    if shift is None:
        return get_object_or_404(Shift, pk=pk)  # raises Http404
    return shift


def _week(value: str | None) -> date:
    try:
        return week_start(date.fromisoformat(value)) if value else week_start(local_today())
    except ValueError:
        return week_start(local_today())


@role_required(*STAFF_ROLES)
@require_GET
def calendar(request: DeskRequest) -> HttpResponse:
    week = selectors.calendar_week(_week(request.GET.get("week")))
    template = "shifts/calendar.html#calendar" if request.htmx else "shifts/calendar.html"
    return render(request, template, {"week": week, "this_week": week_start(local_today())})


@role_required(*STAFF_ROLES)
@require_GET
def shift_detail(request: DeskRequest, pk: int) -> HttpResponse:
    shift = get_shift_for_user(request, pk)
    user = request.user
    on_it = any(p.pk == user.pk for p in selectors.operators_of(shift))
    return render(
        request,
        "shifts/shift.html",
        {
            "shift": shift,
            "operators": selectors.operators_of(shift),
            "gaps": selectors.coverage_gaps(shift.starts_at, shift.ends_at, [shift]),
            "changes": list(shift.changes.select_related("requester", "counterpart")),
            "handover": Handover.objects.filter(from_shift=shift).first(),
            "may_ask": on_it and has_role(user, Role.OPERATOR) and not _ended(shift),
            "may_assign": has_role(user, Role.SUPERVISOR) and not _ended(shift),
            "assign_form": AssignForm(),
            "supervisor_form": SupervisorForm(initial={"person": shift.supervisor_id}),
        },
    )


def _ended(shift: Shift) -> bool:
    return shift.ends_at <= datetime.now(UTC)


def _fail(request: DeskRequest, error: ShiftError) -> None:
    messages.error(request, str(error))


@role_required(Role.SUPERVISOR)
@require_POST
def shift_assign(request: DeskRequest, pk: int) -> HttpResponse:
    shift = get_shift_for_user(request, pk)
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            services.shift_assign(shift=shift, person=form.cleaned_data["person"], by=request.user)
            messages.success(request, f"{form.cleaned_data['person']} is on {shift}.")
        except ShiftError as error:
            _fail(request, error)
    return redirect("shifts:detail", pk=shift.pk)


@role_required(Role.SUPERVISOR)
@require_POST
def shift_unassign(request: DeskRequest, pk: int, person_id: int) -> HttpResponse:
    shift = get_shift_for_user(request, pk)
    person = get_object_or_404(desk_people(), pk=person_id)
    try:
        services.shift_unassign(shift=shift, person=person, by=request.user)
        messages.success(request, f"{person} is off {shift}.")
    except ShiftError as error:
        _fail(request, error)
    return redirect("shifts:detail", pk=shift.pk)


@role_required(Role.SUPERVISOR)
@require_POST
def shift_supervisor(request: DeskRequest, pk: int) -> HttpResponse:
    shift = get_shift_for_user(request, pk)
    form = SupervisorForm(request.POST)
    if form.is_valid():
        try:
            services.shift_supervisor_set(
                shift=shift,
                person=form.cleaned_data["person"],
                by=request.user,
            )
        except ShiftError as error:
            _fail(request, error)
    return redirect("shifts:detail", pk=shift.pk)


@role_required(*SHIFT_READERS)
@require_GET
def changes(request: DeskRequest) -> HttpResponse:
    user = request.user
    mine = not has_role(user, Role.SUPERVISOR, Role.AUDITOR)
    return render(
        request,
        "shifts/changes.html",
        {
            "pending": list(
                selectors.shift_changes(person=user if mine else None, pending_only=True)
            ),
            "decided": list(
                selectors.shift_changes(person=user if mine else None).exclude(
                    status=ShiftChange.Status.REQUESTED
                )[:30]
            ),
            "may_decide": has_role(user, Role.SUPERVISOR),
            "decision_form": DecisionForm(),
        },
    )


@role_required(Role.OPERATOR)
def change_new(request: DeskRequest, pk: int) -> HttpResponse:
    shift = get_shift_for_user(request, pk)
    user = request.user
    form = ShiftChangeForm(request.POST or None, requester=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.shift_change_request(
                by=user,
                kind=form.cleaned_data["kind"],
                shift=shift,
                counterpart=form.cleaned_data["counterpart"],
                counterpart_shift=form.cleaned_data["counterpart_shift"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, "Asked; a supervisor decides.")
            return redirect("shifts:changes")
        except ShiftError as error:
            form.add_error(None, str(error))
    return render(request, "shifts/change_new.html", {"shift": shift, "form": form})


def _change_move(request: DeskRequest, pk: int, move: str) -> HttpResponse:
    change = get_object_or_404(ShiftChange, pk=pk)
    note = request.POST.get("note", "")
    try:
        if move == "approve":
            services.shift_change_approve(change=change, by=request.user, note=note)
        elif move == "reject":
            services.shift_change_reject(change=change, by=request.user, note=note)
        else:
            services.shift_change_withdraw(change=change, by=request.user)
        done = {"approve": "approved", "reject": "rejected", "withdraw": "withdrawn"}[move]
        messages.success(request, f"{change}: {done}.")
    except ShiftError as error:
        _fail(request, error)
    return redirect("shifts:changes")


@role_required(Role.SUPERVISOR)
@require_POST
def change_approve(request: DeskRequest, pk: int) -> HttpResponse:
    return _change_move(request, pk, "approve")


@role_required(Role.SUPERVISOR)
@require_POST
def change_reject(request: DeskRequest, pk: int) -> HttpResponse:
    return _change_move(request, pk, "reject")


@role_required(Role.OPERATOR)
@require_POST
def change_withdraw(request: DeskRequest, pk: int) -> HttpResponse:
    return _change_move(request, pk, "withdraw")


@role_required(*SHIFT_READERS)
@require_GET
def handovers(request: DeskRequest) -> HttpResponse:
    user = request.user
    shift = handover_selectors.my_handover_shift(user)
    current = Handover.objects.filter(from_shift=shift).first() if shift else None
    may_write = (
        shift is not None
        and has_role(user, *WORKING_ROLES)
        and (current is None or current.status != Handover.Status.ACKNOWLEDGED)
    )
    return render(
        request,
        "shifts/handovers.html",
        {
            "shift": shift,
            "current": current,
            "form": HandoverForm(initial={"note": current.note if current else ""}),
            "may_write": may_write,
            "incoming": handover_selectors.handovers_to_acknowledge(user),
            "recent": handover_selectors.handovers_recent(),
            "ack_minutes": settings.HANDOVER_ACK_MINUTES,
        },
    )


@role_required(*WORKING_ROLES)
@require_POST
def handover_write(request: DeskRequest, pk: int) -> HttpResponse:
    shift = get_shift_for_user(request, pk)
    form = HandoverForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write what the next shift needs to know.")
        return redirect("shifts:handovers")
    try:
        handover = services.handover_write(
            shift=shift,
            by=request.user,
            note=form.cleaned_data["note"],
        )
    except ShiftError as error:
        _fail(request, error)
        return redirect("shifts:handovers")
    messages.success(request, "Handover written; the incoming shift is asked to acknowledge it.")
    return redirect("shifts:handover", pk=handover.pk)


@role_required(*SHIFT_READERS)
@require_GET
def handover_detail(request: DeskRequest, pk: int) -> HttpResponse:
    handover = get_object_or_404(
        Handover.objects.select_related(
            "from_shift__pattern", "to_shift__pattern", "written_by", "acknowledged_by"
        ),
        pk=pk,
    )
    user = request.user
    return render(
        request,
        "shifts/handover.html",
        {
            "handover": handover,
            "report": ShiftReport.objects.filter(shift_id=handover.from_shift_id).first(),
            "may_acknowledge": handover.status != Handover.Status.ACKNOWLEDGED
            and services.may_acknowledge(handover, user),
        },
    )


@role_required(*WORKING_ROLES)
@require_POST
def handover_acknowledge(request: DeskRequest, pk: int) -> HttpResponse:
    handover = get_object_or_404(Handover, pk=pk)
    try:
        services.handover_acknowledge(handover=handover, by=request.user)
        messages.success(request, "Handover acknowledged.")
    except ShiftError as error:
        _fail(request, error)
    return redirect(reverse("shifts:handover", args=[pk]))
