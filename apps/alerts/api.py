"""REST: systems send alerts (shared/contracts/alerts.md, way in 2); staff read them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from apps.alerts import queue_filters
from apps.alerts.contract import FIELDS, ContractError, storable_text
from apps.alerts.ingest import ACCEPTED, DUPLICATE, REJECTED, alerts_ingest, incoming_batch
from apps.alerts.models import Alert, RejectedAlert, WayIn
from apps.desk.history import save_by
from apps.people.http import signed_in_person
from apps.people.roles import STAFF_ROLES, Role

if TYPE_CHECKING:
    from apps.people.models import User

CONTRACT_EXAMPLE = {
    "dedup_key": "self_trade:U1001:BTCUSDT:2026-11-20",
    "rule": "self_trade",
    "category": "self_trade",
    "severity": "high",
    "score": 87.5,
    "accounts": ["U1001"],
    "symbol": "BTCUSDT",
    "window_start": "2026-11-20T00:00:00Z",
    "window_end": "2026-11-21T00:00:00Z",
    "detected_at": "2026-11-21T00:02:13Z",
    "summary": "U1001 traded with itself 41 times (3.2% of its volume)",
    "metrics": {"self_trades": 41, "self_volume_share": 0.032},
    "evidence": {"trade_ids": ["T1", "T2"], "order_ids": []},
    "source": "riskdesk.detection/1",
}
MAX_BATCH = 1000
# 1,000 alerts with evidence at its 64 KiB limit, and room for the rest of each alert.
MAX_BODY_BYTES = MAX_BATCH * 80 * 1024


class AlertOut(serializers.ModelSerializer[Alert]):
    id = serializers.CharField(read_only=True)
    symbol = serializers.SerializerMethodField()
    # Null until someone claims the alert.
    assignee: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            *sorted(FIELDS),
            "first_seen",
            "last_seen",
            "repeat_count",
            "sla_due_at",
            "status",
            "assignee",
            "claimed_at",
            "decided_at",
            "dismiss_reason",
            "note",
            "case_ref",
        ]

    def get_symbol(self, alert: Alert) -> str | None:
        return alert.symbol or None


class AlertListOut(AlertOut):
    class Meta(AlertOut.Meta):
        fields = [f for f in AlertOut.Meta.fields if f != "evidence"]


_ITEM_RESULT = inline_serializer(
    "AlertSubmitResult",
    many=True,
    fields={
        "index": serializers.IntegerField(),
        "status": serializers.ChoiceField([ACCEPTED, DUPLICATE, REJECTED]),
        "id": serializers.CharField(required=False, help_text="Not for rejected items."),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Per field; rejected items only.",
        ),
    },
)
_SUBMIT_RESPONSE = inline_serializer(
    "AlertSubmitResponse",
    {
        "accepted": serializers.IntegerField(),
        "duplicates": serializers.IntegerField(),
        "rejected": serializers.IntegerField(),
        "results": _ITEM_RESULT,
    },
)


_ERROR = inline_serializer("Error", {"detail": serializers.CharField()})
_REFUSED = {
    401: OpenApiResponse(_ERROR, description="No token or session, or an expired token."),
    403: OpenApiResponse(_ERROR, description="The person's role may not do this."),
}
# The body of POST: one alert, or a list of them (shared/contracts/alerts.md, way in 2).
_ONE_ALERT: dict[str, Any] = {
    "type": "object",
    "description": "One alert as shared/contracts/alerts.md defines it.",
    "additionalProperties": True,
}
_SUBMIT_BODY = {
    "oneOf": [
        _ONE_ALERT,
        {"type": "array", "items": _ONE_ALERT, "minItems": 0, "maxItems": MAX_BATCH},
    ]
}


class AlertPage(CursorPagination):
    ordering = "-id"
    page_size = 100


_FILTERS = [
    OpenApiParameter(
        "status", str, description="new, claimed, dismissed, escalated, in_case, open"
    ),
    OpenApiParameter("severity", str),
    OpenApiParameter("category", str),
    OpenApiParameter("rule", str),
    OpenApiParameter("symbol", str),
    OpenApiParameter("account", str, description="Alerts naming this exchange account id."),
    OpenApiParameter("assignee", str, description="A username, `me`, or `none`."),
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="Detected at or after."),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="Detected before."),
]


class AlertCollection(ListAPIView[Alert]):
    """GET: alerts for the desk's staff, newest first. POST: a detector sends alerts."""

    allowed_roles: tuple[str, ...] = STAFF_ROLES
    submit_roles = (Role.SYSTEM,)
    serializer_class = AlertListOut
    pagination_class = AlertPage

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Reading is for staff; sending alerts is for systems only.
        if request.method == "POST":
            self.allowed_roles = self.submit_roles
        super().initial(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Alert]:
        filters = queue_filters.QueueFilters.from_query(
            self.request.query_params, self.request.user
        )
        return filters.apply(Alert.objects.select_related("assignee").defer("evidence"))

    @extend_schema(
        parameters=_FILTERS,
        responses={
            200: AlertListOut(many=True),
            400: OpenApiResponse(_ERROR, description="A filter is not valid; `detail` says which."),
            **_REFUSED,
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The queue page shows a bad filter as a note; a program is told plainly, rather
        # than being handed every alert as if it had asked for them.
        filters = queue_filters.QueueFilters.from_query(request.query_params, request.user)
        if filters.problems:
            problems = (
                p.replace("; ignored.", ".").replace(" ignored.", ".") for p in filters.problems
            )
            return Response({"detail": " ".join(problems)}, status=400)
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={"application/json": _SUBMIT_BODY},
        responses={
            200: _SUBMIT_RESPONSE,
            400: OpenApiResponse(
                _ERROR, description=f"Not JSON, too large, or a list over {MAX_BATCH}."
            ),
            **_REFUSED,
        },
        description=(
            "One alert (a JSON object per shared/contracts/alerts.md) or a list of at most "
            f"{MAX_BATCH}. Each item is accepted, reported as a duplicate (same dedup_key: the "
            "first alert's repeat count goes up), or rejected with its errors; valid items are "
            "kept even when others are rejected. Needs the Bearer token of a `system` user."
        ),
        examples=[OpenApiExample("The contract's example", value=CONTRACT_EXAMPLE)],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = _read_body(request)
        if isinstance(body, Response):
            return body
        try:
            items = incoming_batch(body)
        except ContractError as error:
            detail = error.errors["payload"][0]
            _keep_unparseable(body, detail, by=request.user)
            return Response({"detail": f"The body is {detail}."}, status=400)
        if len(items) > MAX_BATCH:
            return Response(
                {"detail": f"At most {MAX_BATCH} alerts per request; this one has {len(items)}."},
                status=400,
            )
        user = request.user
        outcomes = alerts_ingest(
            items=items,
            way_in=WayIn.API,
            by=signed_in_person(user),
        )
        results: list[dict[str, Any]] = []
        for index, outcome in enumerate(outcomes):
            result: dict[str, Any] = {"index": index, "status": outcome.status}
            if outcome.status == REJECTED:
                result["errors"] = outcome.errors
            else:
                result["id"] = str(outcome.alert_id)
            results.append(result)
        return Response(
            {
                "accepted": sum(o.status == ACCEPTED for o in outcomes),
                "duplicates": sum(o.status == DUPLICATE for o in outcomes),
                "rejected": sum(o.status == REJECTED for o in outcomes),
                "results": results,
            }
        )


@extend_schema_view(
    get=extend_schema(
        responses={
            200: AlertOut,
            404: OpenApiResponse(_ERROR, description="No alert with this id."),
            **_REFUSED,
        }
    )
)
class AlertDetail(RetrieveAPIView[Alert]):
    allowed_roles = STAFF_ROLES
    serializer_class = AlertOut
    queryset = Alert.objects.select_related("assignee")


def _read_body(request: Request) -> bytes | Response:
    """The raw body, read here rather than through request.body, whose 2.5 MB cap is meant
    for forms: a full batch of alerts with evidence is larger."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return Response(
            {"detail": f"The body is {length:,} bytes; at most {MAX_BODY_BYTES:,}."}, status=400
        )
    return request._request.read(MAX_BODY_BYTES + 1)


def _keep_unparseable(body: bytes, error: str, *, by: Any) -> None:
    rejected = RejectedAlert(
        raw=storable_text(body.decode("utf-8", errors="backslashreplace")),
        reason="not JSON",
        errors={"payload": [error]},
        way_in=WayIn.API,
    )
    save_by(rejected, by=by, reason="rejected on the way in (api)")
