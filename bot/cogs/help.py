"""``/help``: what the bot does, every command, and what it stores."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ExamBot

PRIVACY_NOTE = (
    "Your attempts, time zone and reminders are stored only to answer *your* questions, "
    "and are shown only to you (ephemeral replies or DMs). Unanswered questions are kept "
    "without your name, so the maintainers can add answers; 👍/👎 votes are kept with the "
    "entry they rate. `/mydata export` shows everything stored about you, and "
    "`/mydata forget` deletes it."
)

FREE_TEXT_NOTE = (
    "You can also DM me a question, or @mention me in a server with your question. "
    "In DMs I use what you tell me: “what if I fail again on 20 Dec?” is worked out "
    "from your own log (nothing stored), “failed AI-103 on 3 Nov and again on 20 Nov” "
    "offers to log both, and “it” is the exam we were just talking about. "
    "Right-click a message → **Apps → Ask the exam bot** to answer someone's question "
    "privately for yourself."
)


def command_lines(tree: app_commands.CommandTree[discord.Client]) -> list[str]:
    """One line per slash command (sub-commands expanded), from the live command tree,
    so help can never list a command that doesn't exist or miss one that does."""
    lines = []
    for command in sorted(tree.walk_commands(), key=lambda c: c.qualified_name):
        if isinstance(command, app_commands.Group):
            continue
        moderators = command.root_parent is not None and command.root_parent.name == "kb"
        suffix = " *(moderators)*" if moderators else ""
        lines.append(f"`/{command.qualified_name}` — {command.description}{suffix}")
    return lines


class HelpCog(commands.Cog):
    """Explains the bot."""

    def __init__(self, bot: ExamBot) -> None:
        self.bot = bot

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """What this bot does, its commands, and how your data is handled."""
        embed = discord.Embed(
            title="Exam policy assistant",
            description=(
                "I answer questions about Microsoft certification exams (AI-102, its "
                "successor AI-103, and others): retake waits and limits, scoring, "
                "retirements. Every answer links its sources and says when they were "
                "last verified. Log your own attempts and I'll work out exactly when you "
                "can retake, and DM you when the wait is over."
            ),
            colour=discord.Colour.blurple(),
        )
        lines = command_lines(self.bot.tree)
        # Embed fields hold 1024 characters: split the list over as many as needed.
        chunk: list[str] = []
        for line in lines:
            if sum(len(item) + 1 for item in chunk) + len(line) > 1000:
                embed.add_field(
                    name="Commands" if not embed.fields else "\u200b",
                    value="\n".join(chunk),
                    inline=False,
                )
                chunk = []
            chunk.append(line)
        if chunk:
            embed.add_field(
                name="Commands" if not embed.fields else "\u200b",
                value="\n".join(chunk),
                inline=False,
            )
        embed.add_field(name="Free text", value=FREE_TEXT_NOTE, inline=False)
        embed.add_field(name="Privacy", value=PRIVACY_NOTE, inline=False)
        embed.set_footer(
            text="Facts change: always check the linked Microsoft pages before booking."
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: ExamBot) -> None:
    await bot.add_cog(HelpCog(bot))
