"""Buttons under answers: related topics, "did you mean", 👍/👎 feedback and "Show mine".

Every button is a :class:`discord.ui.DynamicItem` whose state lives in its ``custom_id``
(``exambot:related:<entry_id>``, ``exambot:feedback:<up|down>:<entry_id>``,
``exambot:mine``), registered with ``bot.add_dynamic_items`` by the ask cog: they keep
working on old messages after a restart, with no view stored anywhere.

Each callback runs through :func:`bot.errors.run_privately`: the press is acknowledged
before any database work, and a failure is told to the member instead of only logged.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.conversation import (
    NO_LOG_TEXT,
    ConversationReply,
    ReplyKind,
    answer_entry,
    personal_status_text,
)
from bot.errors import ExamView, UserFacingError, run_privately, send_ephemeral
from bot.rendering import (
    BUTTON_LABEL_MAX,
    answer_embed,
    no_match_embed,
    suggestions_embed,
    truncate,
)
from bot.surfaces.discord import discord_time

if TYPE_CHECKING:
    from bot.client import ExamBot

log = logging.getLogger(__name__)

ENTRY_ID_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"
PUBLIC_PERSONAL_TEXT = (
    "That depends on your own attempts, so I answer it privately: DM me the same question."
)
PUBLIC_STATEMENT_TEXT = (
    "If you'd like me to track that attempt, log it privately with `/attempt log` (or DM "
    "me); then `/eligibility` shows exactly when you can take the exam again."
)


def _bot(interaction: discord.Interaction[Any]) -> ExamBot:
    return cast("ExamBot", interaction.client)


class RelatedButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"exambot:related:(?P<entry_id>{ENTRY_ID_PATTERN})",
):
    """Answers one entry for whoever clicks, ephemerally: clicking a topic under someone
    else's public answer shouldn't post in the channel. Used for related topics and for
    "did you mean" alike."""

    def __init__(
        self,
        entry_id: str,
        label: str | None = None,
        *,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        row: int | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=truncate(label or entry_id, BUTTON_LABEL_MAX),
                style=style,
                custom_id=f"exambot:related:{entry_id}",
            ),
            row=row,
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
        /,
    ) -> RelatedButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match["entry_id"], label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await run_privately(interaction, lambda: self._answer(interaction))

    async def _answer(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot(interaction)
        reply = await answer_entry(self.entry_id, knowledge=bot.knowledge, now=bot.now())
        if reply is None:
            raise UserFacingError(
                "That topic isn't in my knowledge base any more. Try `/ask` with your question."
            )
        if reply.personal:
            # The answer is ephemeral, so the clicker's own status may be shown in it.
            text = await personal_status_text(
                bot.db, bot.knowledge.kb, interaction.user.id, bot.now(), discord_time
            )
            reply = replace(reply, personal_text=text or NO_LOG_TEXT)
        embed, view = answer_message(reply, show_personal=True)
        await send_ephemeral(interaction, embed=embed, view=view)


class FeedbackButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"exambot:feedback:(?P<vote>up|down):(?P<entry_id>{ENTRY_ID_PATTERN})",
):
    """👍/👎 on an answer, recorded with ``db.feedback.record``."""

    def __init__(self, vote: str, entry_id: str, *, row: int | None = None) -> None:
        helpful = vote == "up"
        super().__init__(
            discord.ui.Button(
                label="Helpful" if helpful else "Not helpful",
                emoji="👍" if helpful else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=f"exambot:feedback:{vote}:{entry_id}",
            ),
            row=row,
        )
        self.vote = vote
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
        /,
    ) -> FeedbackButton:
        return cls(match["vote"], match["entry_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await run_privately(interaction, lambda: self._record(interaction))

    async def _record(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot(interaction)
        entry = bot.knowledge.kb.entries.get(self.entry_id)
        # Only the canonical question is stored, never the member's own wording.
        question = entry.question if entry else self.entry_id
        helpful = self.vote == "up"
        await bot.db.feedback.record(
            interaction.user.id, self.entry_id, question, helpful, interaction.guild_id
        )
        thanks = (
            "Thanks! Glad it helped."
            if helpful
            else "Thanks for telling me. The maintainers review unhelpful answers; "
            "`/help` lists other ways to ask."
        )
        await send_ephemeral(interaction, thanks)


class ShowMineButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"exambot:mine"):
    """Shows the clicker (never the asker) their own eligibility, ephemerally."""

    def __init__(self, *, row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label="Show mine",
                emoji="🔒",
                style=discord.ButtonStyle.primary,
                custom_id="exambot:mine",
            ),
            row=row,
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
        /,
    ) -> ShowMineButton:
        return cls()

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await run_privately(interaction, lambda: self._show(interaction))

    async def _show(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot(interaction)
        text = await personal_status_text(
            bot.db, bot.knowledge.kb, interaction.user.id, bot.now(), discord_time
        )
        embed = discord.Embed(
            title="Your retake eligibility",
            description=truncate(text or NO_LOG_TEXT, 4096),
            colour=discord.Colour.green(),
        )
        embed.set_footer(text="Only you can see this.")
        await send_ephemeral(interaction, embed=embed)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    RelatedButton,
    FeedbackButton,
    ShowMineButton,
)


def answer_view(reply: ConversationReply, *, show_personal: bool) -> ExamView | None:
    """Buttons for a reply: "did you mean" (or related topics), feedback, "Show mine"."""
    view = ExamView()
    if reply.suggestions:
        for topic in reply.suggestions:
            view.add_item(
                RelatedButton(
                    topic.entry_id, topic.question, style=discord.ButtonStyle.primary, row=0
                )
            )
    elif reply.kind is ReplyKind.ANSWER:
        for topic in reply.related:
            view.add_item(RelatedButton(topic.entry_id, topic.question, row=0))
    if reply.kind is ReplyKind.ANSWER and reply.entry_id:
        if reply.personal and not show_personal:
            view.add_item(ShowMineButton(row=1))
        view.add_item(FeedbackButton("up", reply.entry_id, row=1))
        view.add_item(FeedbackButton("down", reply.entry_id, row=1))
    return view if view.children else None


def answer_message(
    reply: ConversationReply, *, show_personal: bool
) -> tuple[discord.Embed, ExamView | None]:
    """The embed and buttons for a reply.

    ``show_personal`` says whether the member's own status may appear: only in DMs and
    ephemeral replies. Public replies to a personal question get the generic answer and a
    "Show mine" button that answers each clicker privately.
    """
    if reply.kind is ReplyKind.SUGGESTIONS:
        embed = suggestions_embed(
            reply.question, [t.question for t in reply.suggestions], reply.pointer,
            note=reply.note,
        )
    elif reply.kind is ReplyKind.NO_MATCH:
        embed = no_match_embed(reply.question, reply.note, pointer=reply.pointer)
    elif reply.kind is ReplyKind.STATEMENT and not show_personal:
        # Public: don't read someone's result back to the channel; point to private logging.
        embed = discord.Embed(description=PUBLIC_STATEMENT_TEXT, colour=discord.Colour.light_grey())
    elif reply.kind is ReplyKind.WHAT_IF and not show_personal:
        # A what-if is computed from the member's own log: never in a public channel.
        embed = discord.Embed(description=PUBLIC_PERSONAL_TEXT, colour=discord.Colour.light_grey())
    elif reply.kind is ReplyKind.WHAT_IF:
        embed = discord.Embed(
            title="What if…", description=truncate(reply.text, 4096),
            colour=discord.Colour.purple(),
        )  # fmt: skip
    elif reply.kind is ReplyKind.STATEMENT and reply.personal_text:
        body = f"{reply.text}\n\n{reply.personal_text}"
        embed = discord.Embed(description=truncate(body, 4096), colour=discord.Colour.light_grey())
    elif reply.kind in {ReplyKind.INVALID, ReplyKind.STATEMENT}:
        embed = discord.Embed(description=reply.text, colour=discord.Colour.light_grey())
    elif reply.personal and show_personal and reply.personal_text:
        embed = answer_embed("Your retake eligibility", reply.personal_text, reply.sources)
    else:
        extra = "Not sure I got it right: see the suggestions below" if reply.suggestions else None
        embed = answer_embed(
            reply.title or reply.question, reply.text, reply.sources, footer_extra=extra
        )
    return embed, answer_view(reply, show_personal=show_personal)
