from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.storage._time import from_db, to_db

aware = st.datetimes(
    min_value=dt.datetime(1970, 1, 1),
    max_value=dt.datetime(9999, 1, 1),
    timezones=st.sampled_from(
        [dt.UTC, dt.timezone(dt.timedelta(hours=14)), dt.timezone(dt.timedelta(hours=-12))]
    ),
)


@given(aware)
def test_stored_times_should_round_trip_as_the_same_instant_in_utc(value: dt.datetime) -> None:
    back = from_db(to_db(value))
    assert back == value
    assert back.tzinfo == dt.UTC


@given(aware, aware)
def test_text_order_should_be_time_order(a: dt.datetime, b: dt.datetime) -> None:
    """SQL compares the stored text (due_at <= ?, ORDER BY taken_at): it must agree."""
    assert (to_db(a) < to_db(b)) == (a < b)
    assert (to_db(a) == to_db(b)) == (a == b)


def test_naive_times_should_be_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_db(dt.datetime(2026, 11, 26, 12, 0))
