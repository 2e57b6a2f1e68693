"""Issue 8 items 5, 7, 8 through every front end: exam codes in any script, time zones
that are not IANA zones, days that overflow in the member's zone, DST changes."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.cli import main
from tests.bot.test_attempts import log
from tests.bot.test_catalog import exam
from tests.bot.test_eligibility_cog import eligibility
from tests.bot.test_reminders import remind
from tests.bot.test_settings_cog import set_timezone

FULL_WIDTH, ARABIC_INDIC = "AI-１０３", "AI-١٠٣"


@pytest.mark.parametrize("typed", [FULL_WIDTH, ARABIC_INDIC, "ＡＩ－１０３"])
async def test_every_command_reads_non_ascii_codes_as_the_exam(bot, typed):
    logged = await log(bot, exam=typed, date="2026-11-26", result="fail", time="10:00")
    [stored] = await bot.db.attempts.list_for_user(1001)
    assert stored.exam_code == "AI-103" and "**AI-103**" in logged.last.text

    card = await exam(bot, typed)
    assert card.last.embed is not None and "AI-103" in (card.last.embed.title or "")
    status = await eligibility(bot, exam=typed)
    assert "AI-103" in status.last.text
    reminded = await remind(bot, typed, True)
    assert "AI-103" in reminded.last.text
    assert await bot.db.reminders.get(1001, "AI-103") is not None


def test_the_cli_reads_non_ascii_codes_as_the_exam(capsys):
    for typed in (FULL_WIDTH, ARABIC_INDIC):
        now = "2026-11-26T00:00:00Z"
        assert main(["eligibility", "--exam", typed, "--json", "--now", now]) == 0
        assert '"explanation": "No attempts logged for AI-103' in capsys.readouterr().out


@pytest.mark.parametrize("typed", ["AI-103\nrm -rf", "AI\x00103", "AI-103\u202e"])
async def test_a_code_with_a_control_character_is_refused_everywhere(bot, typed, capsys):
    rec = await log(bot, exam=typed, date="2026-11-25", result="fail")
    assert rec.last.ephemeral and "control character" in rec.last.text
    assert "rm -rf" not in rec.last.text and await bot.db.attempts.list_for_user(1001) == []
    assert main(["eligibility", "--exam", typed]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "control character" in err and "rm -rf" not in err


@pytest.mark.parametrize(
    ("typed", "suggested"), [("America", "America/New_York"), ("Asia/", "Asia/Tokyo")]
)
async def test_settings_refuses_a_region_alone_with_suggestions(bot, typed, suggested):
    rec = await set_timezone(bot, typed)
    assert rec.last.ephemeral and "isn't an IANA time zone" in rec.last.text
    shown = rec.last.text.replace("\\_", "_")  # Discord Markdown escapes the underscore
    assert suggested in shown and "Nothing was changed" in shown
    assert await bot.db.settings.get_timezone(1001) == "UTC"


async def test_logging_a_day_that_overflows_in_the_members_zone_is_a_clear_error(bot):
    await set_timezone(bot, "America/Los_Angeles")
    rec = await log(bot, exam="AI-103", date="9999-12-31", result="fail", time="23:00")
    assert rec.last.ephemeral and "too far" in rec.last.text
    assert "Nothing was logged" in rec.last.text
    ancient = await log(bot, exam="AI-103", date="0001-01-01", result="fail", time="01:00")
    assert "before Microsoft certification exams existed" in ancient.last.text
    assert await bot.db.attempts.list_for_user(1001) == []


async def test_a_repeated_local_time_is_the_later_instant_and_the_reply_says_so(bot):
    await set_timezone(bot, "America/New_York")
    rec = await log(bot, exam="AI-103", date="2026-11-01", result="fail", time="01:30")
    [stored] = await bot.db.attempts.list_for_user(1001)
    assert stored.taken_at == dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)  # 01:30 EST
    assert "happened twice" in rec.last.text and "later one" in rec.last.text


async def test_a_local_time_that_never_happens_is_refused(bot):
    await set_timezone(bot, "America/New_York")
    rec = await log(bot, exam="AI-103", date="2026-03-08", result="fail", time="02:30")
    assert "doesn't exist in America/New_York" in rec.last.text
    assert await bot.db.attempts.list_for_user(1001) == []
