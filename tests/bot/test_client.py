"""Command sync policy and settings: what the composition root decides before Discord."""

from __future__ import annotations

import re
from pathlib import Path
from unittest.mock import AsyncMock

import discord
import pytest
from discord import app_commands

from bot.client import ExamBot
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree_sync(bot: ExamBot, monkeypatch: pytest.MonkeyPatch) -> AsyncMock:
    sync = AsyncMock(return_value=[])
    monkeypatch.setattr(bot.tree, "sync", sync)
    return sync


async def test_should_sync_globally_the_first_time_and_remember_it(bot, tree_sync):
    await bot.sync_commands()

    tree_sync.assert_awaited_once_with()
    marker = Path(bot.settings.database_path).parent / "command-sync.sha256"
    assert marker.read_text() == bot.command_fingerprint()


async def test_should_not_sync_again_when_the_command_set_is_unchanged(bot, tree_sync):
    await bot.sync_commands()
    await bot.sync_commands()

    assert tree_sync.await_count == 1


async def test_should_sync_again_when_asked_with_force(bot, tree_sync):
    await bot.sync_commands()
    bot.force_sync = True
    await bot.sync_commands()

    assert tree_sync.await_count == 2


async def test_should_sync_again_when_the_command_set_changed(bot, tree_sync):
    await bot.sync_commands()

    @app_commands.command(name="extra", description="A new command")
    async def extra(interaction: discord.Interaction) -> None:  # pragma: no cover
        """A new command."""

    bot.tree.add_command(extra)
    await bot.sync_commands()

    assert tree_sync.await_count == 2


async def test_should_sync_only_to_the_dev_guild_when_configured(bot, tree_sync):
    bot.settings.dev_guild_id = 1234

    await bot.sync_commands()

    tree_sync.assert_awaited_once()
    assert tree_sync.await_args.kwargs["guild"].id == 1234
    assert not (Path(bot.settings.database_path).parent / "command-sync.sha256").exists()


@pytest.mark.parametrize("token", [None, "", "   "])
def test_should_treat_a_blank_token_as_missing(token):
    settings = Settings(_env_file=None, discord_token=token)  # type: ignore[call-arg]
    assert settings.token is None


def test_should_hide_the_token_in_its_repr():
    settings = Settings(_env_file=None, discord_token="secret-token-value")  # type: ignore[call-arg]
    assert settings.token == "secret-token-value"
    assert "secret-token-value" not in repr(settings)
    assert "secret-token-value" not in str(settings.model_dump())


def test_should_document_every_setting_in_env_example():
    # An optional setting may be documented commented out (# DATABASE_URL=…).
    text = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=", text, re.M))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_should_read_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("DEV_GUILD_ID", "42")
    monkeypatch.setenv("DATABASE_PATH", "/tmp/x.db")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.dev_guild_id == 42
    assert settings.database_path == Path("/tmp/x.db")


def test_should_refuse_pings_by_default(bot):
    mentions = bot.allowed_mentions
    assert mentions is not None
    assert (mentions.everyone, mentions.users, mentions.roles, mentions.replied_user) == (
        False,
        False,
        False,
        False,
    )
