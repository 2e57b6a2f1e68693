"""``/kb unanswered`` and ``/kb reload``: knowledge maintenance for moderators."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ExamBot
from bot.rendering import MESSAGE_MAX, truncate
from bot.taught import MAX_TAUGHT_CHARS, OFF_TOPIC
from bot.views import teach
from knowledge.loader import KnowledgeError

log = logging.getLogger(__name__)

UNANSWERED_LIMIT = 15
CHOICE_MAX = 100  # Discord's limit for a choice's name and string value
CHOICES_MAX = 25
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
        # With the entries the matcher would suggest for each, and a menu that teaches
        # one of them in two clicks (bot/views/teach.py).
        suggested, options = teach.menu_options(self.bot, [q for q, _ in rows])
        lines = [
            f"{i}. **{count}×** {discord.utils.escape_markdown(truncate(question, 120))}"
            + (f" — maybe {hint}" if hint else "")
            for i, ((question, count), hint) in enumerate(zip(rows, suggested, strict=True), 1)
        ]
        text = "**Most frequent unanswered questions**\n" + "\n".join(lines)
        if options:
            text += "\nTeach one with the menu below, or with `/kb teach`."
        kwargs: dict[str, Any] = {}
        if options:
            kwargs["view"] = teach.TeachMenuView(self.bot, options)
        await interaction.edit_original_response(
            content=truncate(text, MESSAGE_MAX),
            allowed_mentions=discord.AllowedMentions.none(),
            **kwargs,
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
        # The bot's other processes (shards) poll this number and reload within a minute.
        self.bot.knowledge_generation = await self.bot.db.knowledge.bump()
        log.info("Knowledge reloaded by %s", interaction.user.id)
        await interaction.edit_original_response(
            content=(
                f"✅ Reloaded: {len(kb.entries)} entries, {len(kb.exams)} exams. "
                "New answers are live."
            )
        )

    # -- teaching (issue 11): what the shared flow is lives in bot/views/teach.py -------

    @kb.command(name="teach")
    @app_commands.describe(
        question="The question, as members ask it (suggestions: this server's unanswered ones)",
        entry=f"The entry that answers it, or {OFF_TOPIC} for an honest “I don't know”",
    )
    async def teach_command(
        self, interaction: discord.Interaction, question: str, entry: str
    ) -> None:
        """Teach this server's bot the answer to a question (and close rephrasings)."""
        await teach.teach_and_reply(self.bot, interaction, question, entry)

    @teach_command.autocomplete("question")
    async def teach_question_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """This server's most frequent unanswered questions containing what was typed."""
        if teach.refusal(interaction) is not None:
            return []
        rows = await self.bot.db.unanswered.top(100, guild_id=interaction.guild_id)
        typed = current.casefold().strip()
        return [
            app_commands.Choice(name=truncate(q, CHOICE_MAX), value=q[:CHOICE_MAX])
            for q, _ in rows
            if typed in q.casefold()
        ][:CHOICES_MAX]

    @teach_command.autocomplete("entry")
    async def teach_entry_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Entries like what was typed (with nothing typed: those the matcher suggests for
        the question), and ``off-topic``."""
        if teach.refusal(interaction) is not None:
            return []
        knowledge = self.bot.knowledge
        question = getattr(interaction.namespace, "question", None)
        ids: list[str] = []
        if not current.strip() and isinstance(question, str) and question.strip():
            ids += teach.suggested_entries(self.bot, question[:MAX_TAUGHT_CHARS])
        ids += [c.entry_id for c in knowledge.matcher.autocomplete(current[:MAX_TAUGHT_CHARS])]
        choices = [
            app_commands.Choice(
                name=truncate(f"{knowledge.kb.entries[i].question} ({i})", CHOICE_MAX), value=i
            )
            for i in dict.fromkeys(ids)
            if i in knowledge.kb.entries
        ][: CHOICES_MAX - 1]
        if not current.strip() or current.strip().lower() in OFF_TOPIC:
            choices.append(
                app_commands.Choice(name=f"{OFF_TOPIC} (an honest “I don't know”)", value=OFF_TOPIC)
            )
        return choices

    @kb.command(name="unteach")
    @app_commands.describe(question="A question this server taught")
    async def unteach(self, interaction: discord.Interaction, question: str) -> None:
        """Take back a question this server taught: the shipped answers apply again."""
        problem = teach.refusal(interaction)
        if problem is not None:
            await interaction.response.send_message(problem, ephemeral=True)
            return
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        removed = await self.bot.db.taught.unteach(
            interaction.guild_id, question[: MAX_TAUGHT_CHARS * 2]
        )
        if removed is None:
            text = (
                f"Nothing taught here matches {teach.quoted(question)}: `/kb taught` lists "
                "what this server taught."
            )
        else:
            text = (
                f"✅ Untaught {teach.quoted(removed.question)} (was "
                f"{teach.entry_label(self.bot.knowledge.kb, removed.entry_id)}): the bot's "
                "own answers apply to it again."
            )
        await interaction.edit_original_response(
            content=truncate(text, MESSAGE_MAX), allowed_mentions=discord.AllowedMentions.none()
        )

    @unteach.autocomplete("question")
    async def unteach_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """What this server taught, containing what was typed."""
        if teach.refusal(interaction) is not None or interaction.guild_id is None:
            return []
        typed = current.casefold().strip()
        return [
            app_commands.Choice(
                name=truncate(f"{row.question} → {row.entry_id}", CHOICE_MAX),
                value=row.question[:CHOICE_MAX],
            )
            for row in await self.bot.db.taught.list_for_guild(interaction.guild_id)
            if typed in row.question.casefold()
        ][:CHOICES_MAX]

    @kb.command(name="taught")
    async def taught(self, interaction: discord.Interaction) -> None:
        """What this server taught (`/kb teach`), oldest first."""
        problem = teach.refusal(interaction)
        if problem is not None:
            await interaction.response.send_message(problem, ephemeral=True)
            return
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        rows = await self.bot.db.taught.list_for_guild(interaction.guild_id)
        if not rows:
            text = "Nothing taught in this server yet: `/kb teach` teaches a question its answer."
        else:
            kb = self.bot.knowledge.kb
            lines = [
                f"{i}. {teach.quoted(row.question, 100)} → {teach.entry_label(kb, row.entry_id)}"
                f" · <t:{int(row.taught_at.timestamp())}:d>"
                + (f" by <@{row.taught_by}>" if row.taught_by is not None else "")
                for i, row in enumerate(rows, 1)
            ]
            text = f"**Taught in this server ({len(rows)})**\n" + "\n".join(lines)
        await interaction.edit_original_response(
            content=truncate(text, MESSAGE_MAX), allowed_mentions=discord.AllowedMentions.none()
        )

    @kb.command(name="feedback")
    async def feedback(self, interaction: discord.Interaction) -> None:
        """The answers this server's members marked unhelpful (👎), most often first."""
        problem = teach.refusal(interaction)
        if problem is not None:
            await interaction.response.send_message(problem, ephemeral=True)
            return
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        rows = await self.bot.db.feedback.unhelpful(interaction.guild_id, UNANSWERED_LIMIT)
        if not rows:
            text = "No answer has been marked unhelpful (👎) in this server."
        else:
            kb = self.bot.knowledge.kb
            lines = [
                f"{i}. **{count}× 👎** {teach.entry_label(kb, entry_id)}"
                for i, (entry_id, count) in enumerate(rows, 1)
            ]
            text = (
                "**Answers members marked unhelpful**\n" + "\n".join(lines)
                + "\n`/kb teach` can send a question to a better entry."
            )
        await interaction.edit_original_response(
            content=truncate(text, MESSAGE_MAX), allowed_mentions=discord.AllowedMentions.none()
        )


async def setup(bot: ExamBot) -> None:
    await bot.add_cog(ModerationCog(bot))
