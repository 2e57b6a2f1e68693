from __future__ import annotations

import pytest

from bot.storage import Database, normalize_question
from tests.storage.conftest import table_columns


async def test_timezone_should_default_to_utc_and_be_settable(db: Database) -> None:
    assert await db.settings.get_timezone(1) == "UTC"
    await db.settings.set_timezone(1, "Europe/Paris")
    await db.settings.set_timezone(1, "America/New_York")
    assert await db.settings.get_timezone(1) == "America/New_York"
    assert await db.settings.get_timezone(2) == "UTC"


@pytest.mark.parametrize("bad", ["Mars/Olympus", "", "../etc/passwd"])
async def test_set_timezone_should_reject_unknown_zones(db: Database, bad: str) -> None:
    with pytest.raises(ValueError, match="time zone"):
        await db.settings.set_timezone(1, bad)
    assert await db.settings.get_timezone(1) == "UTC"


def test_normalize_question_should_fold_case_punctuation_and_spacing() -> None:
    assert normalize_question("  How LONG must I   wait?? ") == "how long must i wait"
    assert normalize_question("how long must I wait") == "how long must i wait"
    assert normalize_question("Ｗａｉｔ？") == "wait"  # full-width forms, NFKC
    assert normalize_question("?!...") == ""


async def test_unanswered_should_count_by_normalised_text(db: Database) -> None:
    await db.unanswered.record("How long must I wait?")
    await db.unanswered.record("how long must i wait")
    await db.unanswered.record("HOW   LONG must I wait!!")
    await db.unanswered.record("Can I bring notes?")
    await db.unanswered.record("   ")
    await db.unanswered.record("???")
    assert await db.unanswered.top() == [("How long must I wait?", 3), ("Can I bring notes?", 1)]
    assert await db.unanswered.top(limit=1) == [("How long must I wait?", 3)]


async def test_unanswered_should_store_no_user_id(db: Database) -> None:
    await db.unanswered.record("who can see this?")
    columns = (await table_columns(db))["unanswered"]
    assert not any("user" in c for c in columns)


async def test_unanswered_should_be_kept_apart_per_server(db: Database) -> None:
    await db.unanswered.record("same question", 111)
    await db.unanswered.record("same question", 111)
    await db.unanswered.record("same question", 222)
    await db.unanswered.record("same question")  # a DM

    assert await db.unanswered.top(guild_id=111) == [("same question", 2)]
    assert await db.unanswered.top(guild_id=222) == [("same question", 1)]
    assert await db.unanswered.top() == [("same question", 1)]


async def test_feedback_should_keep_one_vote_per_member_and_entry(db: Database) -> None:
    for helpful in (True, True, True, False):
        await db.feedback.record(1, "retake-wait", "how long?", helpful)

    assert await db.feedback.counts() == {"retake-wait": (0, 1)}
    assert [f.helpful for f in await db.feedback.list_for_user(1)] == [False]


async def test_feedback_counts_should_be_per_entry(db: Database) -> None:
    assert await db.feedback.counts() == {}
    await db.feedback.record(1, "retake-wait", "how long?", True)
    await db.feedback.record(2, "retake-wait", "how long??", True)
    await db.feedback.record(3, "retake-wait", "how long", False)
    await db.feedback.record(1, "retake-cost", "price?", False)
    assert await db.feedback.counts() == {"retake-wait": (2, 1), "retake-cost": (0, 1)}
