"""/help lists what the bot does, every command, and the privacy note."""

from __future__ import annotations

from tests.bot.doubles import make_interaction


async def test_should_list_every_command_and_privacy_note_when_help_is_used(bot):
    interaction, recorder = make_interaction(bot)
    help_cog = bot.get_cog("HelpCog")

    await help_cog.help.callback(help_cog, interaction)

    reply = recorder.last
    assert reply.ephemeral
    text = reply.text
    for command in bot.tree.walk_commands():
        if not hasattr(command, "walk_commands"):
            assert f"/{command.qualified_name}`" in text
    assert "/ask`" in text and "/exam`" in text and "/kb reload`" in text
    assert "Privacy" in [f.name for f in reply.embed.fields]
    assert "/mydata forget" in text
    assert "Ask the exam bot" in text
    assert all(len(f.value) <= 1024 for f in reply.embed.fields)


async def test_should_fit_discord_embed_limits_when_help_lists_everything(bot):
    interaction, recorder = make_interaction(bot)
    help_cog = bot.get_cog("HelpCog")

    await help_cog.help.callback(help_cog, interaction)

    embed = recorder.last.embed
    assert len(embed) <= 6000
    assert len(embed.fields) <= 25
