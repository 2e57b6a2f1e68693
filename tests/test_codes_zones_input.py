"""Exam codes in any script, time zones as typed, and attempts placed on the timeline."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from knowledge.attempt_input import AttemptInputError, local_instant, place_attempt
from knowledge.codes import InvalidExamCodeError, normalize_exam_code
from knowledge.intents import named_codes
from knowledge.normalize import normalize
from knowledge.zones import InvalidTimezoneError, resolve_timezone

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    "typed",
    [
        "AI-102", "ai102", "AI 102", "AI-１０２", "ＡＩ－１０２", "AI-١٠٢", "AI–102", "AI‑102",
        "ai\u00a0102",
    ],
)
def test_every_spelling_of_a_code_is_one_exam(typed):
    assert normalize_exam_code(typed) == "AI-102"
    # Free text reads them the same way, in the matcher and in the conversation.
    assert "AI-102" in normalize(f"when does {typed} retire")
    assert named_codes(f"when can I retake {typed}?") == ["AI-102"]


@pytest.mark.parametrize("typed", ["AI-102\n", "AI\n102", "AI-1\x0002", "AI-102\u200b", "\tAI-102"])
def test_a_code_with_a_control_character_is_refused_without_echoing_it(typed):
    with pytest.raises(InvalidExamCodeError) as info:
        normalize_exam_code(typed)
    message = str(info.value)
    assert "\n" not in message and "\x00" not in message and "\u200b" not in message
    assert "102" not in message  # the raw text is not repeated
    assert "control character" in message


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("America", "America/New_York"), ("Asia/", "Asia/Tokyo"), ("new york", "America/New_York")],
)
def test_a_name_that_is_not_an_iana_zone_is_refused_with_suggestions(typed, suggested):
    with pytest.raises(InvalidTimezoneError) as info:
        resolve_timezone(typed)
    assert suggested in info.value.suggestions and suggested in info.value.message


@pytest.mark.parametrize("typed", ["Mars/Base", "", "x" * 65, "Europe/\nParis"])
def test_nonsense_zones_are_refused(typed):
    with pytest.raises(InvalidTimezoneError):
        resolve_timezone(typed)


def test_zone_names_are_case_insensitive():
    assert resolve_timezone("europe/paris") == "Europe/Paris"
    assert resolve_timezone("America/New York") == "America/New_York"


def test_a_time_that_happens_twice_is_the_later_instant():
    # 1 November 2026: New York goes from EDT (-4) to EST (-5) at 02:00.
    instant, ambiguous = local_instant(dt.date(2026, 11, 1), dt.time(1, 30), NEW_YORK)
    assert ambiguous
    assert instant == dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)  # 01:30 EST, not EDT


def test_a_time_that_never_happens_is_refused():
    # 8 March 2026: New York jumps from 02:00 to 03:00.
    with pytest.raises(AttemptInputError, match="doesn't exist"):
        local_instant(dt.date(2026, 3, 8), dt.time(2, 30), NEW_YORK)


def test_an_ordinary_time_is_not_ambiguous():
    instant, ambiguous = local_instant(dt.date(2026, 11, 2), dt.time(1, 30), NEW_YORK)
    assert not ambiguous and instant == dt.datetime(2026, 11, 2, 6, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("day", "zone"),
    [(dt.date(9999, 12, 31), "America/Los_Angeles"), (dt.date(1, 1, 1), "Asia/Tokyo")],
)
def test_a_day_that_overflows_in_the_members_zone_is_a_clear_error(day, zone):
    now = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    with pytest.raises(AttemptInputError, match="too far"):
        place_attempt(day, dt.time(12, 0), ZoneInfo(zone), now)


def test_a_day_without_time_is_placed_at_its_latest_moment():
    now = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
    placed = place_attempt(dt.date(2026, 11, 20), None, ZoneInfo("Europe/Paris"), now)
    assert placed.time_assumed
    assert placed.taken_at == dt.datetime(2026, 11, 20, 22, 59, tzinfo=dt.UTC)
    assert placed.day_start == dt.datetime(2026, 11, 19, 23, 0, tzinfo=dt.UTC)
