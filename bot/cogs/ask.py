"""``/ask`` and the "Ask the exam bot" message command: sourced answers with buttons."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ExamBot
from bot.conversation import respond
from bot.cooldown import wait_text
from bot.rendering import truncate
from bot.views.answers import DYNAMIC_ITEMS, answer_message
from knowledge.answers import MAX_QUESTION_CHARS, InvalidQuestionError, clean_question

log = logging.getLogger(__name__)

CHOICE_MAX = 100  # Discord's limit for a choice's name and string value


class AskCog(commands.Cog):
    """Answers questions about exam policies, publicly, with sources."""

    def __init__(self, bot: ExamBot) -> None:
        self.bot = bot
        self.ask_message_menu = app_commands.ContextMenu(
            name="Ask the exam bot", callback=self.ask_message
        )

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.ask_message_menu)
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.ask_message_menu.name, type=self.ask_message_menu.type)
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    async def _cooling_down(self, interaction: discord.Interaction) -> bool:
        """``True`` (and the member told when to ask again, privately) when they asked too
        soon: ``/ask`` answers publicly, so a member must not be able to flood a channel.
        The cooldown is the bot's, shared with DMs and @mentions."""
        retry_at = self.bot.cooldown.acquire(interaction.user.id)
        if retry_at is None:
            return False
        await interaction.response.send_message(wait_text(retry_at), ephemeral=True)
        return True

    async def _answer(
        self, interaction: discord.Interaction, text: str, *, ephemeral: bool
    ) -> None:
        """Validate, defer, answer: exactly one visible reply."""
        if await self._cooling_down(interaction):
            return
        try:
            clean_question(text)
        except InvalidQuestionError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        # Public answers never include personal data: personal entries get the generic
        # text and a "Show mine" button that answers each clicker privately.
        reply = await respond(
            text,
            user_id=interaction.user.id,
            db=self.bot.db,
            knowledge=self.bot.knowledge,
            now=self.bot.now(),
            include_personal=False,
            guild_id=interaction.guild_id,
        )
        embed, view = answer_message(reply, show_personal=False)
        await interaction.edit_original_response(
            embed=embed,
            view=view,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @app_commands.command(name="ask")
    @app_commands.describe(question="Your question, e.g. 'how long must I wait after failing?'")
    async def ask(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, MAX_QUESTION_CHARS],
    ) -> None:
        """Ask about Microsoft exam policies: retakes, scoring, retirements…"""
        await self._answer(interaction, question, ephemeral=False)

    @ask.autocomplete("question")
    async def ask_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Matching entries' canonical questions (in memory, ≤ 25)."""
        knowledge = self.bot.knowledge
        choices = []
        for candidate in knowledge.matcher.autocomplete(current[:MAX_QUESTION_CHARS], limit=25):
            entry = knowledge.kb.entries.get(candidate.entry_id)
            if entry is None:
                continue
            text = truncate(entry.question, CHOICE_MAX)
            choices.append(app_commands.Choice(name=text, value=text))
        return choices[:25]

    async def ask_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Answer the selected message's text, privately to whoever asked.

        Ephemeral on purpose: a public reply would read as the bot correcting the author,
        and the invoker, not the author, asked for it.
        """
        text = message.content or ""
        if not text.strip():
            # Not a question: answered without taking the member's turn.
            await interaction.response.send_message(
                "That message has no text I can answer.", ephemeral=True
            )
            return
        await self._answer(interaction, text, ephemeral=True)


async def setup(bot: ExamBot) -> None:
    await bot.add_cog(AskCog(bot))
