from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from apps.accounts import selectors
from apps.accounts.models import ExchangeAccount
from apps.actions.selectors import customer_restrictions
from apps.actions.services import lookup_record
from apps.desk.http import DeskRequest
from apps.people.access import role_required
from apps.people.roles import STAFF_ROLES, Role


def get_account_for_user(request: DeskRequest, account_id: str) -> ExchangeAccount:
    """The one way views fetch an account; roles are checked by the view's decorator."""
    return get_object_or_404(ExchangeAccount.objects.select_related("cluster"), pk=account_id)


@role_required(*STAFF_ROLES)
@require_GET
def account_search(request: DeskRequest) -> HttpResponse:
    result = selectors.account_search(request.GET.get("q", ""))
    template = "accounts/search.html#results" if request.htmx else "accounts/search.html"
    return render(request, template, {"result": result})


@role_required(*STAFF_ROLES)
@require_GET
def account_detail(request: DeskRequest, account_id: str) -> HttpResponse:
    account = get_account_for_user(request, account_id)
    return render(
        request,
        "accounts/detail.html",
        {
            "account": account,
            "identifiers": selectors.account_identifiers(account),
            "links": selectors.account_links(account),
            "members": selectors.cluster_members(account.cluster),
        },
    )


@role_required(Role.CUSTOMER_SERVICE, Role.SUPERVISOR, Role.AUDITOR)
@require_GET
def account_lookup(request: DeskRequest) -> HttpResponse:
    """Customer service's view of an account: only what may be said to the customer."""
    query = request.GET.get("q", "").strip()
    account = ExchangeAccount.objects.filter(pk=query).first() if query else None
    restrictions = customer_restrictions(account) if account else []
    if query:  # every lookup is kept: who, when, which account
        lookup_record(by=request.user, query=query, account=account, restricted=bool(restrictions))
    return render(
        request,
        "accounts/lookup.html",
        {"query": query, "account": account, "restrictions": restrictions},
    )
