"""``/kb unanswered`` and ``/kb reload``: knowledge maintenance for moderators."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ExamBot
from bot.rendering import MESSAGE_MAX, truncate
from knowledge.loader import KnowledgeError

log = logging.getLogger(__name__)

UNANSWERED_LIMIT = 15
# ``default_permissions`` is only a default that server admins can override in the
# Integrations settings, so every command checks the permission again in code.
NOT_A_MODERATOR = "Only moderators (Manage Server) can use `/kb` commands."


class ModerationCog(commands.Cog):
    """Moderator tools for the knowledge base."""

    kb = app_commands.Group(
        name="kb",
        description="Moderators: maintain the knowledge base",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: ExamBot) -> None:
        self.bot = bot

    @kb.command(name="unanswered")
    async def unanswered(self, interaction: discord.Interaction) -> None:
        """The most frequent questions the bot could not answer."""
        if not interaction.permissions.manage_guild or interaction.guild is None:
            await interaction.response.send_message(NOT_A_MODERATOR, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        # Only this server's questions: other servers' and DMs' are not theirs to read.
        rows = await self.bot.db.unanswered.top(UNANSWERED_LIMIT, guild_id=interaction.guild_id)
        if not rows:
            await interaction.edit_original_response(
                content="No unanswered questions recorded yet."
            )
            return
        lines = [
            f"{i}. **{count}×** {discord.utils.escape_markdown(truncate(question, 150))}"
            for i, (question, count) in enumerate(rows, 1)
        ]
        text = "**Most frequent unanswered questions**\n" + "\n".join(lines)
        await interaction.edit_original_response(
            content=truncate(text, MESSAGE_MAX), allowed_mentions=discord.AllowedMentions.none()
        )

    @kb.command(name="reload")
    async def reload(self, interaction: discord.Interaction) -> None:
        """Reload and validate the knowledge files; keeps the old ones if invalid."""
        if not interaction.permissions.manage_guild or interaction.guild is None:
            await interaction.response.send_message(NOT_A_MODERATOR, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            # Parsing and validating every file is blocking work: keep the event loop free.
            state = await asyncio.to_thread(self.bot.reload_knowledge)
        except KnowledgeError as exc:
            log.warning("Knowledge reload refused: %d problem(s)", len(exc.problems))
            lines = [f"• {discord.utils.escape_markdown(str(p))}" for p in exc.problems[:15]]
            more = len(exc.problems) - len(lines)
            if more > 0:
                lines.append(f"… and {more} more (run `python -m bot kb check`).")
            text = (
                f"❌ The knowledge files have {len(exc.problems)} problem(s); "
                "I kept the previous version, so members see no change.\n" + "\n".join(lines)
            )
            await interaction.edit_original_response(content=truncate(text, MESSAGE_MAX))
            return
        kb = state.kb
        log.info("Knowledge reloaded by %s", interaction.user.id)
        await interaction.edit_original_response(
            content=(
                f"✅ Reloaded: {len(kb.entries)} entries, {len(kb.exams)} exams. "
                "New answers are live."
            )
        )


async def setup(bot: ExamBot) -> None:
    await bot.add_cog(ModerationCog(bot))
