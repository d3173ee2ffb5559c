"""Customer service's pages and the desk's side of them: the lookup (what the customer can
and cannot do, until when), recording a contact or appeal, and the desk answering it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.selectors import account_of, accounts_quoted
from apps.actions import selectors, services
from apps.actions.customer_view import contacts_of, customer_can
from apps.actions.models import CustomerContact
from apps.people.access import has_role, role_required
from apps.people.http import DeskRequest
from apps.people.roles import WORKING_ROLES, Role

if TYPE_CHECKING:
    pass


@role_required(Role.CUSTOMER_SERVICE, Role.SUPERVISOR, Role.AUDITOR)
@require_GET
def account_lookup(request: DeskRequest) -> HttpResponse:
    """Customer service's view of an account: only what may be said to the customer. Here,
    not in accounts: what is said is the restriction, and accounts is below actions."""
    query = request.GET.get("q", "").strip()
    found = list(accounts_quoted(query)) if query else []
    account = found[0] if len(found) == 1 else None
    restrictions = selectors.customer_restrictions(account) if account else []
    if query:  # every lookup is kept: who, when, which account
        services.lookup_record(
            by=request.user, query=query, account=account, restricted=bool(restrictions)
        )
    return render(
        request,
        "actions/lookup.html",
        {
            "query": query,
            "account": account,
            "several": found if len(found) > 1 else [],
            "restrictions": restrictions,
            "can": customer_can(account) if account else None,
            "contacts": contacts_of(account) if account else [],
            "kinds": CustomerContact.Kind.choices,
            "answer_minutes": settings.CUSTOMER_CONTACT_ANSWER_MINUTES,
            "may_record": has_role(request.user, Role.CUSTOMER_SERVICE, Role.SUPERVISOR),
            "draft": request.session.pop("contact_draft", None) if account else None,
        },
    )


@role_required(Role.CUSTOMER_SERVICE, Role.SUPERVISOR)
@require_POST
def contact_record(request: DeskRequest, account_id: str) -> HttpResponse:
    account = account_of(account_id)
    if account is None:
        raise Http404("No such account.")
    kind, text = request.POST.get("kind", ""), request.POST.get("text", "")
    back = reverse("lookup:account") + f"?q={account.pk}"
    try:
        contact = services.contact_record(by=request.user, account=account, kind=kind, text=text)
    except services.ActionError as error:
        request.session["contact_draft"] = {"kind": kind, "text": text}  # nothing is lost
        messages.error(request, str(error))
        return redirect(back + "#record-contact")
    who = contact.assigned_to.get_full_name() if contact.assigned_to else "the supervisors"
    due = timezone.localtime(contact.due_at).strftime("%H:%M")
    messages.success(
        request, f"{contact.get_kind_display()} recorded: {who} has it, to answer by {due}."
    )
    return redirect(back + f"#contact-{contact.pk}")


@role_required(*WORKING_ROLES, Role.AUDITOR, Role.CUSTOMER_SERVICE)
@require_GET
def contact_list(request: DeskRequest) -> HttpResponse:
    """The desk's inbox of customers' contacts: open ones first, soonest due, mine on top."""
    rows = CustomerContact.objects.select_related(
        "recorded_by", "assigned_to", "answered_by", "case"
    )
    mine_only = has_role(request.user, Role.CUSTOMER_SERVICE)
    if mine_only:
        rows = rows.filter(recorded_by=request.user)
    open_rows = sorted(
        rows.filter(status=CustomerContact.Status.OPEN),
        key=lambda c: (c.assigned_to_id != request.user.pk, c.due_at),
    )
    answered = rows.filter(status=CustomerContact.Status.ANSWERED).order_by("-answered_at")
    return render(
        request,
        "actions/contacts.html",
        {
            "open_rows": open_rows,
            "answered": list(answered[:50]),
            "now": timezone.now(),
            "may_answer": has_role(request.user, *WORKING_ROLES),
            "drafts": request.session.pop("answer_drafts", {}),
        },
    )


@role_required(*WORKING_ROLES)
@require_POST
def contact_answer(request: DeskRequest, pk: int) -> HttpResponse:
    contact = CustomerContact.objects.filter(pk=pk).first()
    if contact is None:
        raise Http404("No such contact.")
    answer = request.POST.get("answer", "")
    try:
        services.contact_answer(by=request.user, contact=contact, answer=answer)
    except services.ActionError as error:
        request.session["answer_drafts"] = {str(pk): answer}
        messages.error(request, str(error))
        return redirect(reverse("actions:contacts") + f"#contact-{pk}")
    messages.success(request, f"Answer sent to {contact.recorded_by.get_full_name()}.")
    return redirect("actions:contacts")
