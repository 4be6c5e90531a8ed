"""When a widget says how old its data is: only when that is news."""

from __future__ import annotations

import pytest

from dashboards.render import shown_age


@pytest.mark.parametrize(
    "period,age,said",
    [
        ("realtime", 75, False),  # one refresh behind on a 15-second dashboard
        ("realtime", 130, True),  # refreshes failing for over two minutes
        ("hourly", 400, False),
        ("hourly", 700, True),
        ("daily", 5000, False),
        ("daily", 7300, True),
    ],
)
def test_a_stale_answer_says_its_age_only_past_twice_its_period(period, age, said):
    result = {"stale": True, "aggregation_period": period, "age_seconds": age}
    assert (shown_age(result) == age) is said
    assert shown_age({**result, "stale": False}) is None
