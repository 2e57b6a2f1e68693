"""/attempt edit and the buttons under a logged attempt, through the real callbacks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import discord

from bot.views.attempt_edit import MergeButton, SetTimeButton, SetTimeModal
from tests.bot.doubles import make_interaction
from tests.bot.test_attempts import cog, invoke, log

UTC = dt.UTC


async def edit(bot, user_id: int = 1001, **kwargs: Any):
    params: dict[str, Any] = {"date": None, "time": None, "result": None, "score": None}
    params.update(kwargs)
    return await invoke(bot, "edit_command", user_id=user_id, **params)


async def test_should_change_an_attempt_in_place_when_edited(bot):
    await log(bot, exam="AI-103", date="2026-11-20", result="fail")
    [before] = await bot.db.attempts.list_for_user(1001)

    rec = await edit(bot, attempt=before.id, time="08:15", score=640)

    [after] = await bot.db.attempts.list_for_user(1001)
    assert after.id == before.id, "corrected in place, not logged again"
    assert after.taken_at == dt.datetime(2026, 11, 20, 8, 15, tzinfo=UTC) and after.time_given
    assert after.score == 640
    assert rec.last.ephemeral and "Updated your 1st attempt at **AI-103**" in rec.last.text
    assert f"id {after.id}" in rec.last.text
    assert not any(c.startswith("exambot:settime:") for c in rec.last.custom_ids)


async def test_should_change_nothing_when_an_edit_is_invalid(bot):
    await log(bot, exam="AI-103", date="2026-11-20", result="fail", time="10:00", score=600)
    [before] = await bot.db.attempts.list_for_user(1001)

    for bad in ({"date": "2026-02-30"}, {"time": "25:00"}, {"score": 800},
                {"date": "2027-01-01"}, {"result": "pass"}):  # fmt: skip
        rec = await edit(bot, attempt=before.id, **bad)
        assert rec.last.ephemeral and "Nothing was changed" in rec.last.text, bad
        assert await bot.db.attempts.list_for_user(1001) == [before], bad


async def test_should_refuse_an_edit_without_changes(bot):
    await log(bot, exam="AI-103", date="2026-11-20", result="fail", time="10:00")
    [before] = await bot.db.attempts.list_for_user(1001)
    rec = await edit(bot, attempt=before.id)
    assert "Tell me what to change" in rec.last.text


async def test_should_refuse_an_edit_that_collides_or_breaks_the_policy(bot):
    await log(bot, exam="AI-103", date="2026-11-10", result="fail", time="10:00")
    await log(bot, exam="AI-103", date="2026-11-20", result="fail", time="10:00")
    first, second = await bot.db.attempts.list_for_user(1001)

    collide = await edit(bot, attempt=second.id, date="2026-11-10")
    assert "Another AI-103 attempt is logged at that moment" in collide.last.text

    too_soon = await edit(bot, attempt=second.id, date="2026-11-11", time="09:00")
    assert "would break the retake policy" in too_soon.last.text
    assert await bot.db.attempts.list_for_user(1001) == [first, second]


async def test_should_refuse_editing_another_members_attempt(bot):
    await log(bot, user_id=1001, exam="AI-103", date="2026-11-20", result="fail")
    [theirs] = await bot.db.attempts.list_for_user(1001)
    rec = await edit(bot, user_id=2002, attempt=theirs.id, time="09:00")
    assert "isn't one of your attempts" in rec.last.text
    assert await bot.db.attempts.list_for_user(1001) == [theirs]


async def test_should_autocomplete_edit_with_own_attempts_as_the_member_counts_them(bot):
    await log(bot, exam="AI-103", date="2026-11-10", result="fail", time="10:00")
    await log(bot, exam="AI-103", date="2026-11-25", result="fail", time="10:00")
    await log(bot, user_id=2002, exam="AZ-104", date="2026-11-20", result="fail")
    interaction, _ = make_interaction(bot, user_id=1001)
    choices = await cog(bot).edit_autocomplete(interaction, "")
    assert [c.name.split(" ")[0] for c in choices] == ["2nd", "1st"]
    assert all("AI-103" in c.name and "(id " in c.name for c in choices)


async def test_should_offer_set_the_time_and_edit_through_the_modal(bot):
    rec = await log(bot, exam="AI-103", date="2026-11-20", result="fail")
    [stored] = await bot.db.attempts.list_for_user(1001)
    assert f"exambot:settime:{stored.id}" in rec.last.custom_ids

    interaction, pressed = make_interaction(bot, user_id=1001)
    await SetTimeButton(stored.id).callback(interaction)
    assert pressed.replies[0].kind == "modal"

    modal = SetTimeModal(stored.id)
    modal.start._value = "07:45"  # what the member typed
    interaction, submitted = make_interaction(bot, user_id=1001)
    await modal.on_submit(interaction)
    [after] = await bot.db.attempts.list_for_user(1001)
    assert after.id == stored.id and after.taken_at == dt.datetime(2026, 11, 20, 7, 45, tzinfo=UTC)
    assert submitted.last.ephemeral and "Updated your 1st attempt" in submitted.last.text


async def test_should_flag_and_merge_two_failures_on_the_same_day(bot):
    await log(bot, exam="AI-103", date="2026-11-20", result="fail")  # time assumed
    rec = await log(bot, exam="AI-103", date="2026-11-20", result="fail", time="09:00")
    assumed, timed = sorted(await bot.db.attempts.list_for_user(1001), key=lambda a: a.time_given)
    assert "same day" in rec.last.text
    assert f"exambot:merge:{timed.id}:{assumed.id}" in rec.last.custom_ids

    interaction, merged = make_interaction(bot, user_id=1001)
    await MergeButton(timed.id, assumed.id).callback(interaction)
    assert [a.id for a in await bot.db.attempts.list_for_user(1001)] == [timed.id]
    assert "Merged" in merged.last.text

    other, _ = make_interaction(bot, user_id=2002)  # a forwarded button changes nothing
    await MergeButton(timed.id, 999).callback(other)
    assert [a.id for a in await bot.db.attempts.list_for_user(1001)] == [timed.id]


def test_edit_should_be_a_contracted_subcommand(bot):
    command = bot.tree.get_command("attempt").get_command("edit")
    assert isinstance(command, discord.app_commands.Command)
    assert [p.name for p in command.parameters] == ["attempt", "date", "time", "result", "score"]
    assert command.parameters[0].autocomplete
