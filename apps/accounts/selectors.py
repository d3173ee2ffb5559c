"""Reading accounts: search and the account page (identifiers, links, cluster members),
the desk overview and cluster changes for the reports, and the reads other apps make of
accounts and clusters (the memory detection recalls: memory.py)."""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models import Count, Max, Min, Q, QuerySet

from apps.accounts.models import (
    AccountLink,
    ControlCluster,
    ExchangeAccount,
    Identifier,
)

SEARCH_LIMIT = 200


@dataclass(frozen=True)
class SearchHit:
    account: ExchangeAccount
    matched_on: str  # "account id", or the identifier kind that matched
    matched_value: str


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: list[SearchHit]
    total: int  # accounts matched, which may exceed the hits shown

    @property
    def truncated(self) -> bool:
        return self.total > len(self.hits)


def _accounts() -> QuerySet[ExchangeAccount]:
    return ExchangeAccount.objects.select_related("cluster")


def account_search(query: str, *, limit: int = SEARCH_LIMIT) -> SearchResult:
    """Accounts whose id starts with `query`, or that used an IP, device or address equal to
    (or starting with) it. Every account that used an exact identifier is counted."""
    query = query.strip()
    if len(query) < 2:
        return SearchResult(query, [], 0)
    hits: dict[str, SearchHit] = {}
    for account in _accounts().filter(account_id__istartswith=query)[:limit]:
        hits[account.account_id] = SearchHit(account, "account id", account.account_id)
    matching = Identifier.objects.filter(Q(value=query) | Q(value__startswith=query))
    total_ids = set(hits) | set(matching.values_list("account_id", flat=True).distinct())
    sightings = (
        matching.exclude(account_id__in=list(hits))
        .select_related("account__cluster")
        .order_by("account_id", "kind")[: limit * 3]
    )
    for sighting in sightings:
        if len(hits) >= limit:
            break
        hits.setdefault(
            sighting.account_id,
            SearchHit(sighting.account, sighting.get_kind_display(), sighting.value),
        )
    return SearchResult(query, list(hits.values()), len(total_ids))


def account_clusters(account_ids: Iterable[str]) -> dict[str, int | None]:
    """The control cluster (its id, or None) of each of `account_ids` the desk knows."""
    rows = ExchangeAccount.objects.filter(pk__in=list(account_ids))
    return dict(rows.values_list("account_id", "cluster_id"))


@dataclass(frozen=True)
class IdentifierRow:
    identifier: Identifier
    shared_with: int  # other accounts seen with the same value


def account_identifiers(account: ExchangeAccount) -> list[IdentifierRow]:
    identifiers = list(account.identifiers.all())
    shared = dict(
        Identifier.objects.filter(value__in=[i.value for i in identifiers])
        .values_list("value")
        .annotate(n=Count("account_id", distinct=True))
        .values_list("value", "n")
    )
    return [IdentifierRow(i, shared.get(i.value, 1) - 1) for i in identifiers]


@dataclass(frozen=True)
class LinkRow:
    other_id: str
    kind: str
    evidence: dict
    link: AccountLink


def account_links(account: ExchangeAccount) -> list[LinkRow]:
    links = AccountLink.objects.filter(Q(account_a=account) | Q(account_b=account)).order_by(
        "kind", "account_a_id", "account_b_id"
    )
    rows = [
        LinkRow(
            link.account_b_id if link.account_a_id == account.account_id else link.account_a_id,
            link.get_kind_display(),
            link.evidence,
            link,
        )
        for link in links
    ]
    # Strongest evidence first: that is why the account is in its cluster.
    return sorted(rows, key=lambda row: -(row.link.strength or 0.0))


def cluster_members(cluster: ControlCluster | None) -> list[ExchangeAccount]:
    if cluster is None:
        return []
    return list(cluster.members.order_by("account_id"))


@dataclass(frozen=True)
class DeskOverview:
    accounts: int
    clusters: int
    clustered_accounts: int
    largest_clusters: list[ControlCluster]


def desk_overview() -> DeskOverview:
    return DeskOverview(
        accounts=ExchangeAccount.objects.count(),
        clusters=ControlCluster.objects.count(),
        clustered_accounts=ExchangeAccount.objects.filter(cluster__isnull=False).count(),
        largest_clusters=list(
            ControlCluster.objects.annotate(first_member=Min("members__account_id")).order_by(
                "-size", "key"
            )[:8]
        ),
    )


@dataclass(frozen=True)
class ClusterChange:
    """A cluster and its size at the start and at the end of a span (0 before it existed)."""

    cluster: ControlCluster
    before: int
    after: int
    account_ids: tuple[str, ...] = ()  # its members now (lists mark the restricted ones)


def _with_members(changes: list[ClusterChange]) -> list[ClusterChange]:
    members: dict[int, list[str]] = {}
    rows = ExchangeAccount.objects.filter(cluster_id__in=[c.cluster.pk for c in changes])
    for cluster_id, account_id in rows.values_list("cluster_id", "account_id").order_by("pk"):
        members.setdefault(cluster_id, []).append(account_id)
    return [replace(c, account_ids=tuple(members.get(c.cluster.pk, ()))) for c in changes]


def _with_first_member(clusters: QuerySet[ControlCluster]) -> QuerySet[ControlCluster]:
    # A cluster is read on its members' account pages; the first member is the way in.
    return clusters.annotate(first_member=Min("members__account_id"))


def clusters_new(since: datetime, until: datetime) -> list[ClusterChange]:
    """Clusters first detected in [since, until), largest first."""
    found = ControlCluster.objects.filter(first_detected_at__gte=since, first_detected_at__lt=until)
    ordered = _with_first_member(found).order_by("-size", "key")
    return _with_members([ClusterChange(c, 0, c.size) for c in ordered])


def clusters_grown(since: datetime, until: datetime) -> list[ClusterChange]:
    """Older clusters larger at `until` than at `since`, read from each cluster's history;
    most grown first."""
    history = ControlCluster.history.model.objects
    changed = history.filter(history_date__gte=since, history_date__lt=until).values("id")
    touched = set(
        ControlCluster.objects.filter(id__in=changed, first_detected_at__lt=since).values_list(
            "id", flat=True
        )
    )
    if not touched:
        return []
    size_at = {}
    for moment in (since, until):
        rows = (
            history.filter(id__in=touched, history_date__lt=moment)
            .values("id")
            .annotate(last=Max("history_id"))
        )
        last_ids = [r["last"] for r in rows]
        size_at[moment] = dict(history.filter(history_id__in=last_ids).values_list("id", "size"))
    grown = [
        ClusterChange(c, size_at[since].get(c.pk, 0), size_at[until].get(c.pk, 0))
        for c in _with_first_member(ControlCluster.objects.filter(id__in=touched))
    ]
    grown = [g for g in grown if g.after > g.before]
    return _with_members(sorted(grown, key=lambda g: (-(g.after - g.before), g.cluster.key)))


# Reads other apps make of accounts (alerts' queue and page, cases, actions, the console).


def account_of(account_id: str) -> ExchangeAccount | None:
    return _accounts().filter(pk=account_id).first()


def accounts_by_id(account_ids: Iterable[str]) -> dict[str, ExchangeAccount]:
    """The desk's accounts among `account_ids`, with their clusters; an id the desk has not
    loaded (yet) is absent."""
    return _accounts().in_bulk(list(account_ids))


def cluster_keys(account_ids: list[str]) -> dict[str, str]:
    """The cluster key of each account among `account_ids` that is in a cluster."""
    found: dict[str, str] = {}
    for start in range(0, len(account_ids), 5000):
        chunk = account_ids[start : start + 5000]
        rows = ExchangeAccount.objects.filter(pk__in=chunk, cluster__isnull=False)
        found.update(rows.values_list("account_id", "cluster__key"))
    return found


def clusters_of(account_ids: Iterable[str]) -> list[tuple[str, int]]:
    """(key, id) of each cluster some account of `account_ids` is in, by key."""
    rows = (
        ExchangeAccount.objects.filter(pk__in=list(account_ids), cluster__isnull=False)
        .values_list("cluster__key", "cluster_id")
        .distinct()
    )
    return sorted(set(rows))


def cluster_by_key(key: str) -> ControlCluster | None:
    return ControlCluster.objects.filter(key=key).first()


def cluster_member_ids(cluster_id: int) -> list[str]:
    return list(ExchangeAccount.objects.filter(cluster_id=cluster_id).values_list("pk", flat=True))


def cluster_mates(account_ids: Iterable[str]) -> dict[str, str]:
    """Every account in the clusters of `account_ids`, with its cluster key, in one query
    (the queue folds a page's alerts by cluster and counts each group through these)."""
    return dict(
        ExchangeAccount.objects.filter(
            cluster_id__in=ExchangeAccount.objects.filter(
                account_id__in=list(account_ids), cluster__isnull=False
            ).values("cluster_id")
        )
        .values_list("account_id", "cluster__key")
        .order_by()
    )


def cluster_account_ids(key: str) -> QuerySet[ExchangeAccount, str]:
    """The ids of cluster `key`'s accounts, as a query to filter by."""
    return ExchangeAccount.objects.filter(cluster__key=key).values_list("account_id", flat=True)


def links_touching(account_ids: Iterable[str]) -> QuerySet[AccountLink]:
    """The links with an end among `account_ids`, by pair and kind."""
    ids = list(account_ids)
    return AccountLink.objects.filter(Q(account_a__in=ids) | Q(account_b__in=ids)).order_by(
        "account_a", "account_b", "kind"
    )


# The identifiers the trading feed carries (shared/contracts/feed.md) that a customer can
# quote: a funding (deposit / withdrawal) address and a device id. The feed has no e-mail
# or phone number, so the desk cannot look those up.
QUOTABLE = (Identifier.Kind.ADDRESS, Identifier.Kind.DEVICE)


def accounts_quoted(query: str, *, limit: int = 20) -> QuerySet[ExchangeAccount]:
    """The account with this id whatever its case, else the accounts seen with this funding
    address or device id (a shared one gives several: the customer says which is theirs)."""
    query = query.strip()
    if not query:
        return ExchangeAccount.objects.none()
    exact = ExchangeAccount.objects.filter(account_id__iexact=query)
    if exact.exists():
        return exact
    ids = (
        Identifier.objects.filter(kind__in=QUOTABLE, value__iexact=query)
        .values_list("account_id", flat=True)
        .distinct()[:limit]
    )
    return ExchangeAccount.objects.filter(pk__in=list(ids)).order_by("account_id")


def account_ids_known() -> set[str]:
    """Every account id the desk holds."""
    return set(ExchangeAccount.objects.values_list("account_id", flat=True))
