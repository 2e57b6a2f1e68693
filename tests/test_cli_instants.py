"""Every command reads ISO-8601 instants the same way, and refuses naive ones."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.cli._instants import parse_instant, shown, within_margins


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-26T09:30:00Z", dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)),
        ("2026-11-26T10:30:00+01:00", dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)),
        (
            " 2026-11-26T09:30:00.5+00:00 ",
            dt.datetime(2026, 11, 26, 9, 30, 0, 500000, tzinfo=dt.UTC),
        ),
    ],
)
def test_should_read_aware_instants(text, expected):
    assert parse_instant(text, "--now") == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-11-26T09:30:00", "has no UTC offset"),
        ("2026-11-26", "has no UTC offset"),
        ("tomorrow", "is not an ISO-8601 date-time"),
        ("2026-13-01T00:00:00Z", "is not an ISO-8601 date-time"),
    ],
)
def test_should_refuse_naive_or_malformed_text_in_one_line(text, reason):
    with pytest.raises(ValueError, match=reason) as caught:
        parse_instant(text, "--now")
    message = str(caught.value)
    assert message.startswith("--now '") and "\n" not in message


def test_should_shorten_and_flatten_echoed_input():
    assert shown("a\nb") == "a b"
    echoed = shown("x" * 500)
    assert len(echoed) == 60 and echoed.endswith("…")


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T23:00:00-05:00",  # the year 10000 in UTC
        "0001-01-01T00:30:00+05:00",  # the year 0 in UTC
        "9999-12-31T23:59:59.999999-00:01",
    ],
)
def test_should_refuse_instants_that_have_no_utc_equivalent(text):
    with pytest.raises(ValueError) as caught:
        parse_instant(text, "--now")

    assert str(caught.value) == f"--now '{text}' is out of range (years 1–9999 in UTC)"


@pytest.mark.parametrize(
    "text",
    ["9999-12-31T23:59:59.999999Z", "9999-12-31T18:00:00-05:00", "0001-01-01T05:00:00+05:00"],
)
def test_should_accept_instants_at_the_very_edges_of_the_utc_calendar(text):
    moment = parse_instant(text, "--now")

    assert moment.astimezone(dt.UTC).year in (1, 9999)
    assert moment.utcoffset() == dt.datetime.fromisoformat(text).utcoffset()  # offset kept


def test_should_report_margins_only_when_they_leave_the_calendar():
    day = dt.timedelta(days=1)
    middle = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    late = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
    early = dt.datetime(1, 1, 1, 12, tzinfo=dt.UTC)

    assert within_margins(middle, before=day, after=day) is None
    assert within_margins(late, before=day, after=day) == (
        dt.datetime(1, 1, 2, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=dt.UTC),
    )
    assert within_margins(early, before=day, after=day) is not None
    assert within_margins(early, before=dt.timedelta(0), after=day) is None
