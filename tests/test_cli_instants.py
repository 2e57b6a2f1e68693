"""Every command reads ISO-8601 instants the same way, and refuses naive ones."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.cli._instants import parse_instant, shown


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
