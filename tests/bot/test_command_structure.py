"""The command set is a contract: names, descriptions, no duplicates, nothing missing."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.client import ExamBot

EXPECTED_SLASH = {
    "ask",
    "exam",
    "help",
    "kb unanswered",
    "kb reload",
    "kb teach",
    "kb unteach",
    "kb taught",
    "kb feedback",
    "attempt log",
    "attempt list",
    "attempt delete",
    "attempt edit",
    "eligibility",
    "remind",
    "settings",
    "mydata export",
    "mydata forget",
}
EXPECTED_MESSAGE_MENUS = {"Ask the exam bot"}


def leaf_commands(bot: ExamBot) -> list[app_commands.Command]:
    return [c for c in bot.tree.walk_commands() if isinstance(c, app_commands.Command)]


def test_should_expose_exactly_the_contracted_slash_commands(bot):
    names = {c.qualified_name for c in leaf_commands(bot)}

    assert names == EXPECTED_SLASH


def test_should_expose_the_ask_message_command(bot):
    menus = {c.name for c in bot.tree.get_commands(type=discord.AppCommandType.message)}
    assert menus == EXPECTED_MESSAGE_MENUS


def test_should_have_no_duplicate_names_at_any_level(bot):
    top = [c.name for c in bot.tree.get_commands()]
    assert len(top) == len(set(top))
    for command in bot.tree.walk_commands():
        if isinstance(command, app_commands.Group):
            children = [c.name for c in command.commands]
            assert len(children) == len(set(children)), command.qualified_name


def test_should_describe_every_command_and_option_within_discord_limits(bot):
    for command in bot.tree.walk_commands():
        assert 1 <= len(command.description) <= 100, command.qualified_name
        assert command.name == command.name.lower()
        assert 1 <= len(command.name) <= 32
        if isinstance(command, app_commands.Command):
            for parameter in command.parameters:
                assert 1 <= len(parameter.description) <= 100, (
                    f"{command.qualified_name} {parameter.name}"
                )
                assert parameter.description != "…", f"{command.qualified_name} {parameter.name}"


def test_should_declare_every_cog_command_in_a_cog(bot):
    cog_commands = {
        c.qualified_name
        for cog in bot.cogs.values()
        for c in cog.walk_app_commands()
        if isinstance(c, app_commands.Command)
    }
    assert cog_commands == {c.qualified_name for c in leaf_commands(bot)}


def test_should_produce_valid_payloads_for_every_command(bot):
    for command in bot.tree.get_commands():
        payload = command.to_dict(bot.tree)
        assert payload["name"]
    assert bot.command_fingerprint() == bot.command_fingerprint()
