"""Another process holds the database's write lock past the busy timeout: the member is
told "busy, try again", privately, nothing is written, and no bug is logged — through a
slash command, a persistent button and a DM alike."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from unittest.mock import MagicMock

import discord
import pytest
from discord import app_commands

from bot.client import ExamBot
from bot.errors import DATABASE_BUSY, GENERIC_ERROR
from bot.storage import Database
from bot.views.answers import FeedbackButton
from tests.bot.doubles import make_interaction, make_message

BOT_ID = 9999


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """The bot's database with a short busy timeout, so a held lock fails fast."""
    database = await Database.open(tmp_path / "bot.db", busy_timeout_ms=50)
    try:
        yield database
    finally:
        await database.close()


async def hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another connection (as another process would) takes the write lock.

    ``timeout=0`` and retries that yield to the loop: the bot's own reminder scheduler
    may be mid-transaction, and a blocking wait here would stop it from committing.
    """
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    for _ in range(500):
        try:
            other.execute("BEGIN IMMEDIATE")
            return other
        except sqlite3.OperationalError:
            await asyncio.sleep(0.01)
    raise AssertionError("could not take the write lock")


@pytest.fixture
async def locked(tmp_path: Path, bot: ExamBot) -> AsyncIterator[None]:
    other = await hold_write_lock(tmp_path / "bot.db")
    try:
        yield
    finally:
        other.rollback()
        other.close()


def no_bug_logged(caplog: pytest.LogCaptureFixture) -> bool:
    """Nothing logged as a bug about the member's request (the reminder scheduler, which
    may run a pass while the lock is held, reports on its own)."""
    return not [
        r
        for r in caplog.records
        if (r.levelno >= logging.ERROR or r.exc_info) and r.name != "bot.scheduler"
    ]


async def test_a_command_blocked_by_the_lock_should_say_busy(bot: ExamBot, locked, caplog):
    interaction, rec = make_interaction(bot, user_id=1001)
    cog = bot.get_cog("Attempts")
    command = MagicMock(spec=app_commands.Command)
    command.name = "attempt log"

    with caplog.at_level(logging.WARNING):
        try:
            await cog.log_command.callback(  # type: ignore[union-attr]
                cog, interaction, exam="AI-103", date="2026-11-25", result="fail",
                time=None, score=None,
            )  # fmt: skip
        except sqlite3.OperationalError as exc:  # discord.py wraps it, then calls on_error
            await bot.tree.on_error(interaction, app_commands.CommandInvokeError(command, exc))

    assert rec.last.ephemeral
    assert rec.last.content == DATABASE_BUSY
    assert no_bug_logged(caplog)
    assert "database was busy" in caplog.text


async def test_nothing_should_be_written_when_the_lock_blocked_the_command(
    bot: ExamBot, tmp_path: Path
):
    other = await hold_write_lock(tmp_path / "bot.db")
    try:
        with pytest.raises(sqlite3.OperationalError):
            await bot.db.attempts.list_for_user(1001)  # reads work in WAL mode…
            await bot.db.unanswered.record("a question")  # …writes wait, then give up
    finally:
        other.rollback()
        other.close()

    assert await bot.db.unanswered.top() == []


async def test_a_button_blocked_by_the_lock_should_say_busy(bot: ExamBot, locked, caplog):
    interaction, rec = make_interaction(bot, user_id=1001)

    await FeedbackButton("up", "retake-first-wait").callback(interaction)

    assert rec.last.ephemeral and rec.last.content == DATABASE_BUSY
    assert no_bug_logged(caplog)


async def test_a_dm_blocked_by_the_lock_should_say_busy(bot: ExamBot, locked, caplog):
    bot._connection.user = MagicMock(spec=discord.ClientUser, id=BOT_ID, bot=True)
    # Nothing matches, so the question is recorded as unanswered: a write.
    message, sent = make_message(bot, "what is the capital of france", guild_id=None)

    await bot.get_cog("ConversationCog").on_message(message)  # type: ignore[union-attr]

    assert [s.content for s in sent] == [DATABASE_BUSY]
    assert GENERIC_ERROR not in DATABASE_BUSY
    assert no_bug_logged(caplog)
