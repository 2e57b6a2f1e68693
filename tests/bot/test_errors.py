"""One way of reporting errors: the tree, views and persistent buttons tell the member
the same things, privately, and log only what is a bug of ours."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from typing import Any
from unittest.mock import MagicMock

import discord
import pytest
from discord import app_commands

from bot.cogs.eligibility import RemindButton
from bot.errors import (
    DATABASE_BUSY,
    GENERIC_ERROR,
    ExamView,
    UserFacingError,
    member_message,
    run_privately,
)
from bot.views.answers import FeedbackButton, RelatedButton, ShowMineButton
from bot.views.attempt_log import LogAttemptButton
from knowledge.statements import AttemptStatement
from tests.bot.doubles import make_interaction


def invoke_error(original: Exception) -> app_commands.CommandInvokeError:
    command = MagicMock(spec=app_commands.Command)
    command.name = "attempt log"
    return app_commands.CommandInvokeError(command, original)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (UserFacingError("❌ Bad date."), "❌ Bad date."),
        (invoke_error(UserFacingError("❌ Bad date.")), "❌ Bad date."),
        (
            app_commands.CommandOnCooldown(app_commands.Cooldown(1, 3.0), 2.4),
            "Slow down a little: try again in 2 s.",
        ),
        (app_commands.MissingPermissions(["manage_guild"]), "You don't have permission"),
        (app_commands.CheckFailure(), "You don't have permission"),
        (invoke_error(RuntimeError("boom")), None),
        (RuntimeError("boom"), None),
        # Another process held the write lock past the busy timeout: not a bug of ours.
        (sqlite3.OperationalError("database is locked"), DATABASE_BUSY),
        (invoke_error(sqlite3.OperationalError("database is locked")), DATABASE_BUSY),
        (sqlite3.OperationalError("database is busy"), DATABASE_BUSY),
        (sqlite3.OperationalError("no such table: attempts"), None),
    ],
)
def test_should_word_each_error_for_the_member_or_flag_it_as_a_bug(error, expected):
    message = member_message(error)
    if expected is None:
        assert message is None
    else:
        assert message is not None and message.startswith(expected)


async def test_should_report_privately_and_log_when_a_command_fails_unexpectedly(bot, caplog):
    interaction, rec = make_interaction(bot)
    await interaction.response.defer(ephemeral=False, thinking=True)

    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        await bot.tree.on_error(interaction, invoke_error(RuntimeError("boom")))

    assert rec.last.kind == "followup" and rec.last.ephemeral
    assert rec.last.content == GENERIC_ERROR
    assert "boom" in caplog.text


async def test_should_show_a_user_facing_error_without_logging_it_when_a_view_item_fails(
    bot, caplog
):
    interaction, rec = make_interaction(bot)
    view = ExamView(timeout=10)

    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        await view.on_error(interaction, UserFacingError("❌ Not yours."), MagicMock())

    assert rec.last.kind == "response" and rec.last.ephemeral
    assert rec.last.content == "❌ Not yours."
    assert caplog.text == ""


async def test_should_defer_before_working_and_report_failures_when_a_button_runs(bot):
    interaction, rec = make_interaction(bot)
    seen_done: list[bool] = []

    async def work() -> None:
        seen_done.append(interaction.response.is_done())
        raise RuntimeError("boom")

    await run_privately(interaction, work)

    assert seen_done == [True]
    assert rec.replies[0].kind == "defer" and rec.replies[0].ephemeral
    assert rec.last.ephemeral and rec.last.content == GENERIC_ERROR
    assert len(rec.visible) == 1


async def test_should_not_work_when_a_button_press_cannot_be_acknowledged(bot):
    interaction, _ = make_interaction(bot)
    interaction.response.defer.side_effect = discord.NotFound(
        MagicMock(status=404), "Unknown interaction"
    )
    work = MagicMock()

    await run_privately(interaction, work)

    work.assert_not_called()


def _buttons() -> list[tuple[str, Any, str]]:
    """(name, button, database call it makes) for every persistent button."""
    statement = AttemptStatement("AI-103", "fail", dt.date(2026, 11, 25), None)
    return [
        ("feedback", FeedbackButton("up", "retake-first-wait"), "feedback.record"),
        ("show mine", ShowMineButton(), "attempts.list_for_user"),
        ("related personal", RelatedButton("my-eligibility"), "attempts.list_for_user"),
        ("remind me", RemindButton("AI-103"), "attempts.list_for_user"),
        ("log it", LogAttemptButton(statement), "settings.get_timezone"),
    ]


@pytest.mark.parametrize(("name", "button", "call"), _buttons(), ids=[b[0] for b in _buttons()])
async def test_should_acknowledge_a_button_press_before_touching_the_database(
    bot, monkeypatch, name, button, call
):
    """A database call can wait on another writer past Discord's 3-second budget."""
    interaction, rec = make_interaction(bot, user_id=4004)
    repository, method = call.split(".")
    target = getattr(bot.db, repository)
    real = getattr(target, method)
    acknowledged: list[bool] = []

    async def spy(*args: Any, **kwargs: Any) -> Any:
        acknowledged.append(interaction.response.is_done())
        return await real(*args, **kwargs)

    monkeypatch.setattr(target, method, spy)

    await button.callback(interaction)

    assert acknowledged and all(acknowledged)
    assert rec.last.ephemeral
    assert GENERIC_ERROR not in rec.last.text
