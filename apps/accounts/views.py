from datetime import datetime, timedelta
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.accounts import selectors
from apps.accounts.models import ExchangeAccount
from apps.people.access import role_required
from apps.people.http import DeskRequest, day_or_instant
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


CLUSTER_CHANGES = {"new": "New clusters", "grown": "Clusters that grew"}


def _moment(request: DeskRequest, name: str, problems: list[str]) -> datetime | None:
    """A day (YYYY-MM-DD, the desk's zone; `until` takes the whole day) or an exact ISO-8601
    time (the daily report's links); anything else is named in `problems`."""
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        moment, exact = day_or_instant(raw)
    except ValueError:
        problems.append(f"“{raw}” is not a date (YYYY-MM-DD) or a time; {name} ignored.")
        return None
    return moment + timedelta(days=1) if name == "until" and not exact else moment


@role_required(*STAFF_ROLES)
@require_GET
def cluster_list(request: DeskRequest) -> HttpResponse:
    """Control clusters first detected, or grown, between since and until (default: the last
    24 hours) — the list behind the daily report's cluster figures."""
    return render(request, "accounts/clusters.html", cluster_choice(request))


def cluster_choice(request: DeskRequest) -> dict[str, Any]:
    """The cluster list's filters read from the query, and the clusters they select."""
    problems: list[str] = []
    change = request.GET.get("change", "new")
    if change not in CLUSTER_CHANGES:
        problems.append(f"“{change}” is not new or grown; showing new clusters.")
        change = "new"
    until = _moment(request, "until", problems) or timezone.now()
    since = _moment(request, "since", problems) or until - timedelta(days=1)
    find = selectors.clusters_new if change == "new" else selectors.clusters_grown
    return {
        "rows": find(since, until),
        "change": change,
        "changes": CLUSTER_CHANGES,
        "since": since,
        "until": until,
        "problems": problems,
    }
