"""/attempt log|list|delete through the real callbacks, and the "Log it" button."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import pytest
from discord import app_commands

from bot.cogs.attempts import attempt_exam_choices
from bot.errors import UserFacingError
from bot.member_log import enable_reminder
from bot.views.attempt_log import LOG_TEMPLATE, LogAttemptButton, log_offer_view
from knowledge.statements import AttemptStatement
from tests.bot.conftest import NOW
from tests.bot.doubles import Recorder, make_interaction

UTC = dt.UTC


def cog(bot) -> Any:
    # load_extension imports the module afresh: compare by name, not class identity.
    found = bot.get_cog("Attempts")
    assert type(found).__name__ == "AttemptsCog"
    return found


async def invoke(bot, command: str, user_id: int = 1001, **kwargs: Any) -> Recorder:
    """Run a command's real callback; errors go through the tree's on_error like in prod."""
    interaction, recorder = make_interaction(bot, user_id=user_id)
    instance = cog(bot)
    try:
        await getattr(instance, command).callback(instance, interaction, **kwargs)
    except app_commands.AppCommandError as error:
        await bot.tree.on_error(interaction, error)
    return recorder


async def log(bot, user_id: int = 1001, **kwargs: Any) -> Recorder:
    params: dict[str, Any] = {"time": None, "score": None}
    params.update(kwargs)
    return await invoke(bot, "log_command", user_id=user_id, **params)


async def test_should_store_attempt_and_show_eligibility_when_input_is_valid(bot):
    rec = await log(bot, exam="ai103", date="2026-11-25", result="fail", time="14:30", score=650)

    assert rec.replies[0].kind == "defer" and rec.replies[0].ephemeral
    reply = rec.last
    assert reply.ephemeral
    assert "Logged your 1st attempt at **AI-103**" in reply.text and "score 650" in reply.text
    assert "<t:" in reply.text and ":F>" in reply.text and ":R>" in reply.text
    assert "Waiting" in reply.text  # 24 h after the 1st failure: until 26 Nov 14:30 UTC
    [stored] = await bot.db.attempts.list_for_user(1001)
    assert stored.exam_code == "AI-103"
    assert stored.taken_at == dt.datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
    assert stored.time_given and stored.score == 650 and stored.result == "fail"


async def test_should_assume_2359_and_say_so_when_no_time_given(bot):
    rec = await log(bot, exam="AI-103", date="2026-11-20", result="fail")

    [stored] = await bot.db.attempts.list_for_user(1001)
    assert stored.taken_at == dt.datetime(2026, 11, 20, 23, 59, tzinfo=UTC)
    assert not stored.time_given
    assert "assumed the latest it can have been" in rec.last.text
    # The reply offers to correct the time in place, never to log the attempt again.
    assert any(c.startswith("exambot:settime:") for c in rec.last.custom_ids)
    assert "log it again with" not in rec.last.text.lower()


async def test_should_assume_now_when_no_time_given_for_today(bot):
    rec = await log(bot, exam="AI-103", date="2026-11-26", result="fail")

    [stored] = await bot.db.attempts.list_for_user(1001)
    assert stored.taken_at == NOW  # 23:59 today would be in the future
    assert "assumed" in rec.last.text


async def test_should_read_date_and_time_in_members_zone_when_zone_is_set(bot):
    await bot.db.settings.set_timezone(1001, "Asia/Tokyo")

    await log(bot, exam="AI-103", date="2026-11-20", result="fail", time="08:00")
    await log(bot, exam="AZ-104", date="2026-11-20", result="fail")

    stored = {a.exam_code: a for a in await bot.db.attempts.list_for_user(1001)}
    assert stored["AI-103"].taken_at == dt.datetime(2026, 11, 19, 23, 0, tzinfo=UTC)
    # 23:59 in Tokyo (UTC+9) is 14:59 UTC the same day.
    assert stored["AZ-104"].taken_at == dt.datetime(2026, 11, 20, 14, 59, tzinfo=UTC)


async def test_should_accept_uncatalogued_code_with_general_policy_when_well_formed(bot):
    rec = await log(bot, exam="zq901", date="2026-11-01", result="fail")

    [stored] = await bot.db.attempts.list_for_user(1001)
    assert stored.exam_code == "ZQ-901"
    assert "isn't in my catalog" in rec.last.text


async def test_should_warn_when_attempt_breaks_the_policy(bot):
    await log(bot, exam="AI-103", date="2026-11-25", result="fail", time="09:00")
    rec = await log(bot, exam="AI-103", date="2026-11-25", result="fail", time="15:00")

    assert "⚠️" in rec.last.text and "too soon" in rec.last.text
    assert len(await bot.db.attempts.list_for_user(1001)) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"date": "2026-11-27"}, "future"),
        ({"date": "2026-11-26", "time": "12:01"}, "future"),
        ({"date": "2027-01-01", "time": "09:00"}, "future"),
        ({"date": "20-11-2026"}, "YYYY-MM-DD"),
        ({"date": "2026-02-30"}, "not a real calendar date"),
        ({"date": "yesterday"}, "YYYY-MM-DD"),
        ({"time": "25:00"}, "not a time of day"),
        ({"time": "2pm"}, "HH:MM"),
        ({"exam": "AI103X"}, "not an exam code"),
        ({"exam": "hello"}, "not an exam code"),
        ({"score": 0}, "between 1 and 1000"),
        ({"score": 1001}, "between 1 and 1000"),
        ({"result": "pass", "score": 650}, "below the passing score"),
        ({"result": "fail", "score": 700}, "reaches the passing score"),
        ({"result": "maybe"}, "pass` or `fail"),
    ],
)
async def test_should_refuse_and_write_nothing_when_input_is_bad(bot, kwargs, message):
    params = {"exam": "AI-103", "date": "2026-11-20", "result": "fail"} | kwargs

    rec = await log(bot, **params)

    reply = rec.last
    assert reply.ephemeral
    assert message in reply.text and "Nothing was logged" in reply.text
    assert await bot.db.attempts.list_for_user(1001) == []


async def test_should_refuse_duplicate_attempt_and_keep_one(bot):
    await log(bot, exam="AI-103", date="2026-11-20", result="fail", time="10:00")
    rec = await log(bot, exam="ai-103", date="2026-11-20", result="fail", time="10:00")

    assert rec.last.ephemeral and "already logged" in rec.last.text
    assert len(await bot.db.attempts.list_for_user(1001)) == 1


async def test_should_refuse_and_write_nothing_when_stored_zone_is_unknown(bot):
    async with bot.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO user_settings (user_id, timezone, updated_at) VALUES (?, ?, ?)",
            (1001, "Mars/Olympus_Mons", NOW.isoformat()),
        )

    rec = await log(bot, exam="AI-103", date="2026-11-20", result="fail")

    assert rec.last.ephemeral and "isn't an IANA time zone" in rec.last.text
    assert await bot.db.attempts.list_for_user(1001) == []


async def test_should_refuse_before_deferring_when_input_is_malformed(bot):
    rec = await log(bot, exam="AI-103", date="2026/11/20", result="fail")

    assert [r.kind for r in rec.replies] == ["response"]
    assert rec.replies[0].ephemeral


async def test_should_list_only_own_attempts_with_discord_timestamps(bot):
    await log(bot, user_id=1001, exam="AI-103", date="2026-11-20", result="fail", score=600)
    await log(bot, user_id=2002, exam="AZ-204", date="2026-11-21", result="pass")

    rec = await invoke(bot, "list_command", user_id=1001)

    [mine] = await bot.db.attempts.list_for_user(1001)
    text = rec.last.text
    assert rec.last.ephemeral
    assert f"id {mine.id}" in text and "1st attempt at **AI-103**" in text and "score 600" in text
    assert f"<t:{int(mine.taken_at.timestamp())}:F>" in text
    assert "AZ-204" not in text


async def test_should_say_so_when_list_is_empty(bot):
    rec = await invoke(bot, "list_command")
    assert "haven't logged" in rec.last.text


async def test_should_delete_own_attempt(bot):
    await log(bot, exam="AI-103", date="2026-11-20", result="fail")
    [mine] = await bot.db.attempts.list_for_user(1001)

    rec = await invoke(bot, "delete_command", attempt=mine.id)

    assert "Deleted your **AI-103**" in rec.last.text and rec.last.ephemeral
    assert await bot.db.attempts.list_for_user(1001) == []


async def test_should_refuse_deleting_another_members_attempt(bot):
    await log(bot, user_id=2002, exam="AI-103", date="2026-11-20", result="fail")
    [theirs] = await bot.db.attempts.list_for_user(2002)

    rec = await invoke(bot, "delete_command", user_id=1001, attempt=theirs.id)

    assert rec.last.ephemeral and "isn't one of your attempts" in rec.last.text
    assert await bot.db.attempts.list_for_user(2002) == [theirs]


async def test_should_autocomplete_delete_with_own_attempts_only(bot):
    await log(bot, user_id=1001, exam="AI-103", date="2026-11-20", result="fail")
    await log(bot, user_id=2002, exam="AZ-204", date="2026-11-20", result="fail")
    interaction, _ = make_interaction(bot, user_id=1001)

    choices = await cog(bot).delete_autocomplete(interaction, "")

    assert [c.name.split()[1] for c in choices] == ["AI-103"]
    assert await cog(bot).delete_autocomplete(interaction, "az") == []


def test_should_autocomplete_exam_from_catalog_and_typed_code(knowledge_state):
    kb = knowledge_state.kb
    values = [c.value for c in attempt_exam_choices(kb, "ai10")]
    assert "AI-102" in values and "AI-103" in values
    assert attempt_exam_choices(kb, "az104")[0].value == "AZ-104"
    assert len(attempt_exam_choices(kb, "")) <= 25


async def test_should_move_reminder_when_a_new_failed_attempt_is_logged(bot):
    await log(bot, exam="AI-103", date="2026-11-26", result="fail", time="09:00")
    outcome = await enable_reminder(bot.db, bot.knowledge.kb, 1001, "AI-103", NOW)
    assert outcome.reminder is not None
    assert outcome.reminder.due_at == dt.datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    await log(bot, exam="AI-103", date="2026-11-26", result="fail", time="11:00")

    moved = await bot.db.reminders.get(1001, "AI-103")
    assert moved is not None and moved.enabled and moved.sent_at is None
    assert moved.due_at == dt.datetime(2026, 12, 10, 11, 0, tzinfo=UTC)  # 14 days


async def test_should_turn_reminder_off_when_deleting_makes_member_eligible(bot):
    await log(bot, exam="AI-103", date="2026-11-26", result="fail", time="09:00")
    await enable_reminder(bot.db, bot.knowledge.kb, 1001, "AI-103", NOW)
    [attempt] = await bot.db.attempts.list_for_user(1001)

    await invoke(bot, "delete_command", attempt=attempt.id)

    reminder = await bot.db.reminders.get(1001, "AI-103")
    assert reminder is not None and not reminder.enabled


async def test_should_store_every_attempt_once_when_200_logs_arrive_at_once(bot):
    members = range(5000, 5050)
    days = ["2026-10-01", "2026-10-08", "2026-10-15", "2026-10-22"]
    calls = [
        log(bot, user_id=member, exam="AI-103", date=day, result="fail", time="10:00")
        for member in members
        for day in days
    ]
    assert len(calls) == 200

    recorders = await asyncio.gather(*calls)

    assert all("attempt at **AI-103**" in r.last.text for r in recorders)
    async with bot.db.transaction() as conn:
        row = await conn.fetchone(
            "SELECT COUNT(*), COUNT(DISTINCT user_id || taken_at) FROM attempts"
        )
        assert row is not None
        total, distinct = row
    assert (total, distinct) == (200, 200)
    for member in members:
        stored = await bot.db.attempts.list_for_user(member)
        assert [a.taken_at.date().isoformat() for a in stored] == days


# --------------------------------------------------------------------------- Log it button


def test_should_encode_statement_in_custom_id_matching_the_template():
    with_time = AttemptStatement("AI-103", "fail", dt.date(2026, 11, 20), dt.time(14, 30))
    without = AttemptStatement("AZ-104", "pass", dt.date(2026, 3, 3))

    [button] = log_offer_view(with_time).children
    [other] = log_offer_view(without).children

    assert button.custom_id == "exambot:log:AI-103:fail:20261120:1430"
    assert other.custom_id == "exambot:log:AZ-104:pass:20260303"
    assert re.fullmatch(LOG_TEMPLATE, button.custom_id)
    assert re.fullmatch(LOG_TEMPLATE, other.custom_id)


async def test_should_log_for_the_clicker_when_log_it_is_pressed(bot):
    statement = AttemptStatement("AI-103", "fail", dt.date(2026, 11, 25), None)
    [button] = log_offer_view(statement).children
    interaction, rec = make_interaction(bot, user_id=3003)
    match = re.fullmatch(LOG_TEMPLATE, button.custom_id)
    assert match is not None

    item = await LogAttemptButton.from_custom_id(interaction, button, match)
    await item.callback(interaction)

    [stored] = await bot.db.attempts.list_for_user(3003)
    assert stored.taken_at == dt.datetime(2026, 11, 25, 23, 59, tzinfo=UTC)
    assert rec.last.ephemeral and "Logged your 1st attempt at **AI-103**" in rec.last.text
    assert await bot.db.attempts.list_for_user(1001) == []


async def test_should_explain_when_log_it_is_pressed_twice(bot):
    statement = AttemptStatement("AI-103", "fail", dt.date(2026, 11, 25), dt.time(10, 0))
    item = LogAttemptButton(statement)
    first, _ = make_interaction(bot, user_id=3003)
    second, rec = make_interaction(bot, user_id=3003)

    await item.callback(first)
    await item.callback(second)

    assert rec.last.ephemeral and "already logged" in rec.last.text
    assert len(await bot.db.attempts.list_for_user(3003)) == 1


async def test_should_register_log_it_as_dynamic_item(bot):
    assert (
        LogAttemptButton.__discord_ui_compiled_template__
        in bot._connection._view_store._dynamic_items
    )


async def test_user_facing_error_is_the_error_type(bot):
    """Should raise UserFacingError (for the tree) when called directly with bad input."""
    interaction, _ = make_interaction(bot)
    with pytest.raises(UserFacingError):
        await cog(bot).log_command.callback(
            cog(bot), interaction, exam="x", date="2026-11-20", result="fail", time=None, score=None
        )


async def test_log_command_options_match_the_contract(bot):
    """Should expose exam/date/result/time/score with choices, ranges and autocomplete."""
    command = bot.tree.get_command("attempt").get_command("log")
    params = {p.name: p for p in command.parameters}

    assert list(params) == ["exam", "date", "result", "time", "score"]
    assert [p.required for p in params.values()] == [True, True, True, False, False]
    assert params["exam"].autocomplete
    assert [c.value for c in params["result"].choices] == ["pass", "fail"]
    assert (params["score"].min_value, params["score"].max_value) == (1, 1000)
    delete = bot.tree.get_command("attempt").get_command("delete")
    assert delete.parameters[0].name == "attempt" and delete.parameters[0].autocomplete
