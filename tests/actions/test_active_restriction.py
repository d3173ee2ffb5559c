"""One meaning of "active restriction": standing, and not past its expiry — even in the
seconds before the expiry scan ends it on the desk (the exchange has ended it already)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.actions import services
from apps.actions.measures import Measure, Scope
from apps.actions.models import Action, Restriction, restriction_active
from apps.actions.selectors import account_restrictions
from apps.reports.collectors import emergency_measures, temporary_measures
from tests.actions.conftest import request_one
from tests.shifts.helpers import make_shift, now

pytestmark = pytest.mark.django_db


@pytest.fixture
def lapsed(operator, supervisor, run_on_commit) -> Action:
    """A symbol-wide close-only whose expiry has passed; the scan has not run yet."""
    with run_on_commit():
        measure = request_one(
            operator,
            Measure.CLOSE_ONLY,
            scope=Scope.SYMBOL,
            symbol="BTC-PERP",
            expires_at=timezone.now() + timedelta(hours=1),
        )
        services.action_approve(action=measure, by=supervisor)
    Restriction.objects.filter(action=measure).update(
        expires_at=timezone.now() - timedelta(seconds=5)
    )
    assert Restriction.objects.get(action=measure).status == Restriction.Status.ACTIVE
    return measure


def test_the_handover_does_not_list_a_measure_past_its_expiry(lapsed) -> None:
    shift = make_shift(starts_at=now() - timedelta(hours=1))
    assert temporary_measures(shift) == []
    assert emergency_measures(shift) == []


def test_a_measure_past_its_expiry_cannot_be_lifted_again(lapsed, operator) -> None:
    with pytest.raises(services.ActionError, match="no active restriction"):
        services.action_request(
            by=operator,
            measure=Measure.LIFT,
            scope=Scope.SYMBOL,
            symbol="BTC-PERP",
            lifts=lapsed,
            reason_code="resolved",
            customer_text="Trading is back to normal.",
        )


def test_customer_service_sees_no_measure_past_its_expiry(lapsed, account) -> None:
    assert account_restrictions(account).everyone == []


def test_the_query_and_the_row_agree(lapsed) -> None:
    at = timezone.now()
    for restriction in Restriction.objects.all():
        in_query = Restriction.objects.filter(restriction_active(at), pk=restriction.pk).exists()
        assert restriction.is_active_at(at) == in_query
    assert not Restriction.objects.get(action=lapsed).is_active_at(at)
    assert Restriction.objects.get(action=lapsed).is_active_at(at - timedelta(minutes=1))


def test_either_ending_lifts_the_action_that_placed_it(lapsed, operator, run_on_commit) -> None:
    with run_on_commit():
        freeze = request_one(operator, Measure.SUSPEND_OPEN)
    assert services.restrictions_expire() == 1
    lapsed.refresh_from_db()
    assert lapsed.status == Action.Status.LIFTED
    assert Restriction.objects.get(action=freeze).status == Restriction.Status.ACTIVE
