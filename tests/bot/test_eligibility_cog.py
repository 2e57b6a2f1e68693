"""/eligibility through the real callback: statuses, Discord timestamps, "Remind me"."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from discord import app_commands

from bot.cogs.eligibility import RemindButton
from tests.bot.conftest import NOW
from tests.bot.doubles import Recorder, make_interaction

UTC = dt.UTC


def ts(moment: dt.datetime, style: str) -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


async def add(bot, when: dt.datetime, result: str = "fail", exam: str = "AI-103", user=1001):
    await bot.db.attempts.add(user, exam, when, result, None, time_given=True)


async def eligibility(bot, exam: str | None = None, user_id: int = 1001) -> Recorder:
    interaction, recorder = make_interaction(bot, user_id=user_id)
    cog: Any = bot.get_cog("Eligibility")
    try:
        await cog.eligibility.callback(cog, interaction, exam=exam)
    except app_commands.AppCommandError as error:
        await bot.tree.on_error(interaction, error)
    return recorder


def field(rec: Recorder, code: str) -> str:
    embed = rec.last.embed
    assert embed is not None
    [found] = [f for f in embed.fields if f.name.startswith(code)]
    return found.value


async def test_should_say_nothing_logged_when_log_is_empty(bot):
    rec = await eligibility(bot)
    assert rec.last.ephemeral and "haven't logged" in rec.last.text
    assert rec.last.view is None


async def test_should_show_waiting_with_timestamps_rule_and_remind_button(bot):
    taken = dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    await add(bot, taken)

    rec = await eligibility(bot)

    earliest = taken + dt.timedelta(hours=24)
    value = field(rec, "AI-103")
    assert rec.last.ephemeral
    assert "Waiting" in value
    assert ts(earliest, "F") in value and ts(earliest, "R") in value
    assert "wait after a failed first attempt" in value
    assert "Attempts in this window:** 1 of 5" in value
    assert ts(dt.datetime(2027, 11, 26, 9, 0, tzinfo=UTC), "F") in value  # window resets
    assert rec.last.button_labels == ["Remind me (AI-103)"]
    assert rec.last.buttons[0].custom_id == "exambot:remind:AI-103"


async def test_should_show_limit_reached_with_window_reset(bot):
    first = dt.datetime(2026, 1, 10, 10, 0, tzinfo=UTC)
    for month in range(5):
        await add(bot, first.replace(month=1 + 2 * month))

    rec = await eligibility(bot, exam="ai103")

    value = field(rec, "AI-103")
    window_end = dt.datetime(2027, 1, 10, 10, 0, tzinfo=UTC)
    assert "Attempt limit reached" in value
    assert "5 of 5" in value
    assert ts(window_end, "F") in value and ts(window_end, "R") in value
    assert rec.last.button_labels == ["Remind me (AI-103)"]


async def test_should_show_retired_with_successor_and_no_button(bot):
    await add(bot, dt.datetime(2026, 6, 1, 10, 0, tzinfo=UTC), exam="AI-102")

    rec = await eligibility(bot)

    value = field(rec, "AI-102")
    assert "Retired" in value and "AI-103" in value
    assert "<t:" in value  # the retirement instant, in the reader's zone
    assert rec.last.view is None


async def test_should_show_passed_and_no_button(bot):
    await add(bot, dt.datetime(2026, 11, 1, 10, 0, tzinfo=UTC), result="pass")

    rec = await eligibility(bot)

    value = field(rec, "AI-103")
    assert "Passed" in value and "<t:" in value
    assert rec.last.view is None


async def test_should_list_every_logged_exam_when_none_named(bot):
    await add(bot, dt.datetime(2026, 11, 1, 10, 0, tzinfo=UTC), result="pass")
    await add(bot, dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC), exam="AZ-104")

    rec = await eligibility(bot)

    assert rec.last.embed is not None
    assert [f.name.split()[0] for f in rec.last.embed.fields] == ["AI-103", "AZ-104"]
    assert rec.last.button_labels == ["Remind me (AZ-104)"]


async def test_should_show_only_the_named_exam_even_without_attempts(bot):
    await add(bot, dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC), exam="AZ-104")

    rec = await eligibility(bot, exam="AI-103")

    value = field(rec, "AI-103")
    assert "You can take it now" in value
    assert len(rec.last.embed.fields) == 1


async def test_should_refuse_malformed_exam_code(bot):
    rec = await eligibility(bot, exam="not a code")
    assert rec.last.ephemeral and "not an exam code" in rec.last.text
    assert [r.kind for r in rec.replies] == ["response"]  # before deferring


async def test_should_not_show_other_members_attempts(bot):
    await add(bot, dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC), user=2002)
    rec = await eligibility(bot, user_id=1001)
    assert "haven't logged" in rec.last.text


async def test_should_set_reminder_for_the_presser_when_remind_me_pressed(bot):
    taken = dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    await add(bot, taken)
    rec = await eligibility(bot)
    custom_id = rec.last.buttons[0].custom_id
    match = re.fullmatch(RemindButton.__discord_ui_compiled_template__, custom_id)
    assert match is not None
    interaction, pressed = make_interaction(bot, user_id=1001)

    item = await RemindButton.from_custom_id(interaction, rec.last.buttons[0], match)
    await item.callback(interaction)

    reminder = await bot.db.reminders.get(1001, "AI-103")
    assert reminder is not None and reminder.enabled
    assert reminder.due_at == taken + dt.timedelta(hours=24)
    assert pressed.last.ephemeral and "I'll DM you" in pressed.last.text
    again = await eligibility(bot)
    assert again.last.view is None  # already set for that moment
    assert "Reminder set for" in field(again, "AI-103")


async def test_should_explain_and_set_nothing_when_presser_has_nothing_to_wait_for(bot):
    interaction, pressed = make_interaction(bot, user_id=4004)

    await RemindButton("AI-103").callback(interaction)

    assert pressed.last.ephemeral and "haven't logged" in pressed.last.text
    assert await bot.db.reminders.get(4004, "AI-103") is None


async def test_eligibility_is_computed_at_the_bots_now(bot, clock):
    """Should become eligible when the clock passes the wait's end."""
    await add(bot, NOW - dt.timedelta(hours=1))
    clock.now = NOW + dt.timedelta(hours=24)

    rec = await eligibility(bot)

    assert "You can take it now" in field(rec, "AI-103")


async def test_should_suggest_the_members_own_exams_first_in_autocomplete(bot):
    await add(bot, NOW - dt.timedelta(days=3), exam="AZ-104")  # not in the catalog
    await add(bot, NOW - dt.timedelta(days=2), exam="AZ-104", user=2002)
    interaction, _ = make_interaction(bot, user_id=1001)
    cog: Any = bot.get_cog("Eligibility")
    reminders: Any = bot.get_cog("Reminders")

    for callback in (cog.eligibility_autocomplete, reminders.remind_autocomplete):
        choices = await callback(interaction, "")
        assert choices[0].value == "AZ-104" and "your log" in choices[0].name
        assert len(choices) <= 25
        assert [c.value for c in choices].count("AZ-104") == 1

    other, _ = make_interaction(bot, user_id=3003)
    assert "your log" not in (await cog.eligibility_autocomplete(other, ""))[0].name
