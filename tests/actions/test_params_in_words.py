"""A measure's limits read in the desk's words on the account page and the approval card,
never as the gateway's keys."""

from apps.actions.measures import Measure
from apps.actions.templatetags.actions_tags import params_in_words


def test_limits_are_said_in_words() -> None:
    said = params_in_words({"max_orders_per_second": 5}, Measure.FREQUENCY_LIMIT)
    assert said == "orders per second ≤ 5"
    assert params_in_words({"max_leverage": 3}, Measure.LEVERAGE_CAP) == "leverage ≤ 3"
    assert params_in_words({}, Measure.FREEZE) == ""
    assert "_" not in params_in_words({"some_new_key": 1}, Measure.FREEZE)
