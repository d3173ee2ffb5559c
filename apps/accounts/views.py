from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from apps.accounts import selectors
from apps.accounts.models import ExchangeAccount
from apps.people.access import role_required
from apps.people.http import DeskRequest
from apps.people.roles import STAFF_ROLES


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
