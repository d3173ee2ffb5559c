"""pick_operator: least loaded first, skills respected, nobody → None."""

from datetime import UTC, datetime

from apps.people.models import User
from apps.shifts.routing import OperatorLoad, pick_operator


def _op(pk: int, name: str) -> User:
    return User(pk=pk, username=name)


OLGA, NIKHIL, PRIYA = _op(1, "olga"), _op(2, "nikhil"), _op(3, "priya")


def test_nobody_on_duty_picks_nobody() -> None:
    assert pick_operator([], set()) is None
    assert pick_operator([], {"promo"}) is None


def test_the_only_operator_on_duty_gets_the_work_even_without_the_skill() -> None:
    assert pick_operator([OperatorLoad(OLGA, 7)], set()) == OLGA
    assert pick_operator([OperatorLoad(OLGA, 7)], {"market_stress"}) == OLGA


def test_the_least_loaded_of_several_gets_the_work() -> None:
    loads = [OperatorLoad(OLGA, 4), OperatorLoad(NIKHIL, 1), OperatorLoad(PRIYA, 3)]
    assert pick_operator(loads, set()) == NIKHIL


def test_skills_come_before_load() -> None:
    loads = [
        OperatorLoad(OLGA, 0),
        OperatorLoad(NIKHIL, 5, frozenset({"promo"})),
        OperatorLoad(PRIYA, 2, frozenset({"promo", "market_stress"})),
    ]
    assert pick_operator(loads, {"promo"}) == PRIYA
    assert pick_operator(loads, {"market_stress"}) == PRIYA
    assert pick_operator(loads, {"promo", "market_stress"}) == PRIYA
    assert pick_operator(loads[:2], {"promo"}) == NIKHIL  # the skilled one despite more work


def test_with_nobody_skilled_the_least_loaded_still_gets_it() -> None:
    loads = [OperatorLoad(OLGA, 3), OperatorLoad(NIKHIL, 1, frozenset({"promo"}))]
    assert pick_operator(loads, {"market_stress"}) == NIKHIL


def test_equal_loads_go_to_who_was_offered_work_longest_ago_then_the_lowest_id() -> None:
    early, late = datetime(2026, 11, 21, 1, tzinfo=UTC), datetime(2026, 11, 21, 2, tzinfo=UTC)
    loads = [
        OperatorLoad(OLGA, 2, last_offered_at=late),
        OperatorLoad(NIKHIL, 2, last_offered_at=early),
    ]
    assert pick_operator(loads, set()) == NIKHIL
    loads.append(OperatorLoad(PRIYA, 2))  # never offered anything yet
    assert pick_operator(loads, set()) == PRIYA
    assert pick_operator([OperatorLoad(NIKHIL, 2), OperatorLoad(OLGA, 2)], set()) == OLGA
