"""Teaching from Discord: what ``/kb teach``, the ``/kb unanswered`` menu and the "Move
it" button share (the commands themselves are in :mod:`bot.cogs.moderation`).

Every path checks Manage Server again in code (a menu or button could be pressed by
someone whose permission was taken away since), validates the question and the entry
before anything is stored, and answers ephemerally.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import ExamView
from bot.rendering import MESSAGE_MAX, truncate
from bot.storage.taught import TeachOutcome
from bot.taught import OFF_TOPIC, TaughtQuestionError, clean_taught_question

if TYPE_CHECKING:
    from bot.client import ExamBot
    from knowledge.models import KnowledgeBase

log = logging.getLogger(__name__)

NOT_A_MODERATOR = "Only moderators (Manage Server) can use `/kb` commands."
IN_DMS = "`/kb` commands work in a server (each server teaches its own answers), not in DMs."
# How long the menu and the "Move it" button stay usable (seconds).
VIEW_TIMEOUT = 600
# Entries the matcher suggests per unanswered question, and questions in the menu
# (Discord allows 25 options).
SUGGESTIONS_PER_QUESTION = 3
MENU_QUESTIONS = 8
OPTION_MAX = 100  # Discord's limit for an option's label, value and description
NO_PINGS = discord.AllowedMentions.none()


def refusal(interaction: discord.Interaction[Any]) -> str | None:
    """Why ``interaction`` may not use a teaching command, or None."""
    if interaction.guild is None or interaction.guild_id is None:
        return IN_DMS
    if not interaction.permissions.manage_guild:
        return NOT_A_MODERATOR
    return None


def entry_label(kb: KnowledgeBase, entry_id: str) -> str:
    """``**question** (`id`)``, or what ``off-topic`` means, or a removed entry."""
    if entry_id == OFF_TOPIC:
        return "`off-topic` (an honest “I don't know”)"
    entry = kb.entries.get(entry_id)
    if entry is None:
        return f"`{entry_id}` (no longer in the knowledge files: not used)"
    return f"**{discord.utils.escape_markdown(entry.question)}** (`{entry_id}`)"


def quoted(question: str, limit: int = 150) -> str:
    return f"“{discord.utils.escape_markdown(truncate(question, limit))}”"


def check_entry(kb: KnowledgeBase, entry: str) -> str:
    """The entry id ``entry`` names, or :class:`TaughtQuestionError` saying it is unknown."""
    wanted = entry.strip().lower()
    if wanted == OFF_TOPIC or wanted in kb.entries:
        return wanted
    shown = discord.utils.escape_markdown(truncate(entry.strip(), 60)) or "(empty)"
    raise TaughtQuestionError(
        f"There is no entry `{shown}`. Pick one from the list as you type (or "
        f"`{OFF_TOPIC}`); `python -m bot kb dump --json` lists every entry id."
    )


def suggested_entries(bot: ExamBot, question: str) -> list[str]:
    """The entries the shipped matcher would suggest for ``question``, best first."""
    result = bot.knowledge.matcher.match(question)
    ids = [result.entry_id] if result.entry_id else []
    if result.top is not None:
        ids.append(result.top.entry_id)
    ids += [c.entry_id for c in result.runners_up]
    known = bot.knowledge.kb.entries
    return [i for i in dict.fromkeys(ids) if i in known][:SUGGESTIONS_PER_QUESTION]


async def teach_and_reply(
    bot: ExamBot,
    interaction: discord.Interaction[Any],
    question: str,
    entry: str,
    *,
    move: bool = False,
) -> None:
    """Validate, store, and tell the moderator what happened: one ephemeral reply."""
    problem = refusal(interaction)
    kb = bot.knowledge.kb
    if problem is None:
        try:
            cleaned = clean_taught_question(question)
            entry_id = check_entry(kb, entry)
        except TaughtQuestionError as exc:
            problem = str(exc)
    if problem is not None:
        await _say(interaction, problem)
        return
    assert interaction.guild_id is not None
    if not interaction.response.is_done():
        # The write can wait on another writer past Discord's 3-second budget.
        await interaction.response.defer(ephemeral=True, thinking=True)
    result = await bot.db.taught.teach(
        interaction.guild_id, cleaned, entry_id, interaction.user.id, move=move
    )
    row = result.row
    view: discord.ui.View | None = None
    if result.outcome is TeachOutcome.CONFLICT:
        text = (
            f"{quoted(row.question)} is already taught to {entry_label(kb, row.entry_id)} "
            f"in this server (<t:{int(row.taught_at.timestamp())}:d>). Nothing changed. "
            f"Move it to {entry_label(kb, entry_id)}?"
        )
        view = MoveView(bot, cleaned, entry_id)
    elif result.outcome is TeachOutcome.UNCHANGED:
        text = f"{quoted(row.question)} is already taught to {entry_label(kb, entry_id)}."
    else:
        verb = "Moved" if result.outcome is TeachOutcome.MOVED else "Taught"
        text = (
            f"✅ {verb}: {quoted(row.question)} → {entry_label(kb, entry_id)}. From now on "
            "members asking it here, or a close rephrasing, get "
            + ("an honest “I don't know”." if entry_id == OFF_TOPIC else "that answer.")
        )
        if result.unanswered_removed:
            text += (
                f" Removed {result.unanswered_removed} question(s) it answers from the "
                "unanswered list."
            )
        log.info("Guild %s taught %r -> %s", interaction.guild_id, row.key, entry_id)
    kwargs: dict[str, Any] = {"content": truncate(text, MESSAGE_MAX), "allowed_mentions": NO_PINGS}
    if view is not None:
        kwargs["view"] = view
    await interaction.edit_original_response(**kwargs)


async def _say(interaction: discord.Interaction[Any], text: str) -> None:
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)


class MoveView(ExamView):
    """"Move it": the question taught to another entry, taught to this one instead."""

    def __init__(self, bot: ExamBot, question: str, entry_id: str) -> None:
        super().__init__(timeout=VIEW_TIMEOUT)
        self.bot = bot
        self.question = question
        self.entry_id = entry_id
        button: discord.ui.Button[MoveView] = discord.ui.Button(
            label="Move it", style=discord.ButtonStyle.primary
        )
        button.callback = self.move  # type: ignore[method-assign]
        self.add_item(button)

    async def move(self, interaction: discord.Interaction[Any]) -> None:
        await teach_and_reply(self.bot, interaction, self.question, self.entry_id, move=True)


class TeachMenuView(ExamView):
    """A select menu under ``/kb unanswered``: each option teaches one question to one
    of the entries the matcher suggests for it (two clicks)."""

    def __init__(self, bot: ExamBot, options: Sequence[tuple[str, str]]) -> None:
        super().__init__(timeout=VIEW_TIMEOUT)
        self.bot = bot
        self.choices = list(options)[:25]  # (question, entry id)
        kb = bot.knowledge.kb
        select: discord.ui.Select[TeachMenuView] = discord.ui.Select(
            placeholder="Teach one of these questions an answer…",
            options=[
                discord.SelectOption(
                    label=truncate(question, OPTION_MAX),
                    value=str(i),
                    description=truncate(f"→ {kb.entries[entry_id].question}", OPTION_MAX),
                )
                for i, (question, entry_id) in enumerate(self.choices)
            ],
        )
        select.callback = self.chosen  # type: ignore[method-assign]
        self.select = select
        self.add_item(select)

    async def chosen(self, interaction: discord.Interaction[Any]) -> None:
        values = self.select.values
        index = int(values[0]) if values and values[0].isdigit() else -1
        if not 0 <= index < len(self.choices):
            await _say(interaction, "That choice is gone; run `/kb unanswered` again.")
            return
        question, entry_id = self.choices[index]
        await teach_and_reply(self.bot, interaction, question, entry_id)


def menu_options(bot: ExamBot, questions: Sequence[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """For each question, a line naming the suggested entries, and the menu's options
    (question, entry id) for the first :data:`MENU_QUESTIONS` questions."""
    lines: list[str] = []
    options: list[tuple[str, str]] = []
    for position, question in enumerate(questions):
        suggested = suggested_entries(bot, question)
        lines.append(", ".join(f"`{s}`" for s in suggested) if suggested else "")
        if position < MENU_QUESTIONS:
            options += [(question, s) for s in suggested]
    return lines, options[:25]
