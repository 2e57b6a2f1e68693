"""/mydata export and forget: the member's data as JSON, erased only on their own click."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from tests.bot.doubles import Recorder, make_interaction

UTC = dt.UTC


async def run(bot, name: str, user_id: int = 1001) -> Recorder:
    interaction, recorder = make_interaction(bot, user_id=user_id)
    cog: Any = bot.get_cog("MyData")
    await getattr(cog, name).callback(cog, interaction)
    return recorder


async def seed(bot, user_id: int) -> None:
    when = dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    await bot.db.attempts.add(user_id, "AI-103", when, "fail", 612, time_given=True)
    await bot.db.settings.set_timezone(user_id, "Europe/Paris")
    await bot.db.reminders.set(user_id, "AI-103", when + dt.timedelta(hours=24))


async def press(bot, view, button_name: str, user_id: int) -> Recorder:
    """Dispatch like discord.py does: interaction_check first, then the button."""
    interaction, recorder = make_interaction(bot, user_id=user_id)
    if await view.interaction_check(interaction):
        await getattr(view, button_name).callback(interaction)
    return recorder


async def test_should_export_own_data_as_a_json_attachment(bot):
    await seed(bot, 1001)
    await seed(bot, 2002)

    rec = await run(bot, "export")

    reply = rec.last
    assert reply.ephemeral and "1 attempt" in reply.text
    [file] = reply.files
    assert file.filename == "exambot-1001.json"
    data = json.loads(file.fp.read())
    assert data["user_id"] == 1001
    [attempt] = data["attempts"]
    assert attempt["exam_code"] == "AI-103" and attempt["score"] == 612
    assert attempt["taken_at"].startswith("2026-11-26T09:00:00")
    assert data["settings"] == {"timezone": "Europe/Paris"}
    assert data["reminders"][0]["exam_code"] == "AI-103"
    assert "2002" not in json.dumps(data)


async def test_should_export_an_empty_record_for_a_new_member(bot):
    rec = await run(bot, "export", user_id=9009)
    data = json.loads(rec.last.files[0].fp.read())
    assert data["attempts"] == [] and data["reminders"] == []


async def test_should_ask_for_confirmation_before_forgetting(bot):
    await seed(bot, 1001)

    rec = await run(bot, "forget")

    assert rec.last.ephemeral and "Sure?" in rec.last.text
    assert rec.last.button_labels == ["Delete everything", "Cancel"]
    assert len(await bot.db.attempts.list_for_user(1001)) == 1


async def test_should_refuse_the_confirm_button_to_another_member(bot):
    await seed(bot, 1001)
    rec = await run(bot, "forget", user_id=1001)

    other = await press(bot, rec.last.view, "confirm", user_id=2002)

    assert other.last.ephemeral and "Only the member who asked" in other.last.text
    assert len(await bot.db.attempts.list_for_user(1001)) == 1


async def test_should_delete_everything_of_the_invoker_only_when_confirmed(bot):
    await seed(bot, 1001)
    await seed(bot, 2002)
    rec = await run(bot, "forget", user_id=1001)

    done = await press(bot, rec.last.view, "confirm", user_id=1001)

    assert "deleted" in done.last.text and done.last.kind == "edit"
    assert await bot.db.attempts.list_for_user(1001) == []
    assert await bot.db.reminders.list_for_user(1001) == []
    assert await bot.db.settings.get_timezone(1001) == "UTC"
    assert len(await bot.db.attempts.list_for_user(2002)) == 1
    assert await bot.db.settings.get_timezone(2002) == "Europe/Paris"
    assert len(await bot.db.reminders.list_for_user(2002)) == 1


async def test_should_delete_nothing_when_cancelled(bot):
    await seed(bot, 1001)
    rec = await run(bot, "forget")

    done = await press(bot, rec.last.view, "cancel", user_id=1001)

    assert "nothing was deleted" in done.last.text
    assert len(await bot.db.attempts.list_for_user(1001)) == 1


async def test_should_acknowledge_the_confirmation_before_deleting(bot, monkeypatch):
    """The delete can wait on another writer past Discord's 3-second budget."""
    await seed(bot, 1001)
    rec = await run(bot, "forget", user_id=1001)
    interaction, done = make_interaction(bot, user_id=1001)
    real = bot.db.forget_user
    acknowledged: list[bool] = []

    async def spy(user_id: int) -> dict[str, int]:
        acknowledged.append(interaction.response.is_done())
        return await real(user_id)

    monkeypatch.setattr(bot.db, "forget_user", spy)

    await rec.last.view.confirm.callback(interaction)

    assert acknowledged == [True]
    assert "deleted" in done.last.text
    assert await bot.db.attempts.list_for_user(1001) == []


async def test_should_report_privately_when_the_deletion_fails(bot, monkeypatch):
    await seed(bot, 1001)
    rec = await run(bot, "forget", user_id=1001)
    view = rec.last.view
    interaction, done = make_interaction(bot, user_id=1001)

    async def broken(user_id: int) -> dict[str, int]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(bot.db, "forget_user", broken)
    try:
        await view.confirm.callback(interaction)
    except RuntimeError as error:  # discord.py hands it to the view's on_error
        await view.on_error(interaction, error, view.confirm)

    assert done.last.ephemeral and "nothing was changed" in done.last.text
    assert not view.is_finished()  # the member can press again


async def test_should_remove_the_buttons_when_the_confirmation_times_out(bot):
    """A press after the timeout would otherwise go unanswered ("interaction failed")."""
    await seed(bot, 1001)
    rec = await run(bot, "forget", user_id=1001)

    await rec.last.view.on_timeout()

    expired = rec.last
    assert expired.kind == "edit" and expired.view is None
    assert "Timed out: nothing was deleted" in (expired.content or "")
    assert len(await bot.db.attempts.list_for_user(1001)) == 1
