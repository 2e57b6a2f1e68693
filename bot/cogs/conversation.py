"""Free text: every DM, and server messages that @mention the bot, get an answer.

No privileged intent is needed: Discord sends the content of DMs and of messages that
mention the bot anyway. Personal data (a member's own eligibility) is only ever written
into a DM; in a server the public reply is generic and carries a "Show mine" button that
answers whoever clicks it, ephemerally.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re

import discord
from discord.ext import commands

from bot.client import ExamBot
from bot.conversation import ConversationReply, ReplyKind, respond
from bot.cooldown import wait_text
from bot.errors import GENERIC_ERROR, ExamView, member_message
from bot.surfaces.discord import DISCORD
from bot.views.answers import answer_message
from bot.views.attempt_log import log_offer_view

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()


def strip_mention(text: str, bot_id: int) -> str:
    """The message without the bot's ``<@id>`` / ``<@!id>`` mentions."""
    return " ".join(re.sub(rf"<@!?{bot_id}>", " ", text).split())


def _merge_views(*views: discord.ui.View | None) -> discord.ui.View | None:
    """One view holding every item (a message carries a single view)."""
    present = [v for v in views if v is not None and v.children]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    merged = ExamView()
    for view in present:
        for item in list(view.children):
            view.remove_item(item)
            # Rows are re-laid out automatically when the original row is full.
            merged.add_item(item)
    return merged


class ConversationCog(commands.Cog):
    """Answers DMs and @mentions through :func:`bot.conversation.respond`."""

    def __init__(self, bot: ExamBot) -> None:
        self.bot = bot

    async def _cooling_down(self, message: discord.Message, *, in_dm: bool) -> bool:
        """``True`` when the member asked too soon (the cooldown is shared with /ask and
        the menu); the first message refused in a window is told when to ask again."""
        retry_at = self.bot.cooldown.acquire(message.author.id)
        if retry_at is None:
            return False
        log.debug("Question cooldown for %s", message.author.id)
        if self.bot.cooldown.first_refusal(message.author.id):
            text = wait_text(retry_at)
            try:
                if in_dm:
                    await message.channel.send(text, allowed_mentions=NO_PINGS)
                else:
                    reference = message.to_reference(fail_if_not_exists=False)
                    await message.channel.send(text, reference=reference, allowed_mentions=NO_PINGS)
            except discord.HTTPException as exc:
                log.warning("Could not ask %s to wait: %s", message.author.id, exc.status)
        return True

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.bot.user is None:
            return  # other bots, webhooks and ourselves
        in_dm = message.guild is None
        if not in_dm and not any(user.id == self.bot.user.id for user in message.mentions):
            return  # server messages that don't mention us are none of our business
        text = message.content if in_dm else strip_mention(message.content, self.bot.user.id)
        if await self._cooling_down(message, in_dm=in_dm):
            return
        now = self.bot.now()
        try:
            if in_dm:
                await self._answer_dm(message, text, now)
            else:
                await self._answer_mention(message, text, now)
        except discord.HTTPException as exc:
            log.warning("Could not answer message %s: %s", message.id, exc.status)
        except Exception as exc:
            # A bug or a database failure: say so rather than leave the member unanswered.
            # A busy database is no bug: member_message words it ("try again in a few s").
            known = member_message(exc)
            if known is None:
                log.exception("Answering message %s failed", message.id)
            with contextlib.suppress(discord.HTTPException):
                await message.channel.send(known or GENERIC_ERROR, allowed_mentions=NO_PINGS)

    async def _respond(
        self, message: discord.Message, text: str, now: dt.datetime, *, private: bool
    ) -> ConversationReply:
        return await respond(
            text,
            user_id=message.author.id,
            db=self.bot.db,
            knowledge=self.bot.knowledge,
            now=now,
            surface=DISCORD,
            memory=self.bot.memory,
            include_personal=private,
            guild_id=message.guild.id if message.guild else None,
        )

    async def _answer_dm(self, message: discord.Message, text: str, now: dt.datetime) -> None:
        """A DM is private: personal answers come from the sender's own log, and a stated
        attempt ("failed AI-103 yesterday") gets a one-click "Log it" button."""
        reply = await self._respond(message, text, now, private=True)
        if reply.kind is ReplyKind.INVALID:
            await message.channel.send(reply.text, allowed_mentions=NO_PINGS)
            return
        embed, view = answer_message(reply, show_personal=True)
        content = None
        offer = None
        if reply.statements:
            offer = log_offer_view(reply.statements)
            if reply.kind is not ReplyKind.STATEMENT:  # the embed already says it
                content = "It sounds like you took an exam. Want me to log it?"
        await message.channel.send(
            content,
            embed=embed,
            view=_merge_views(offer, view) or discord.utils.MISSING,
            allowed_mentions=NO_PINGS,
        )

    async def _answer_mention(self, message: discord.Message, text: str, now: dt.datetime) -> None:
        """In a server: answer in the channel, never with personal data."""
        reply = await self._respond(message, text, now, private=False)
        reference = message.to_reference(fail_if_not_exists=False)
        if reply.kind is ReplyKind.INVALID:
            await message.channel.send(reply.text, reference=reference, allowed_mentions=NO_PINGS)
            return
        embed, view = answer_message(reply, show_personal=False)
        await message.channel.send(
            embed=embed,
            view=view or discord.utils.MISSING,
            reference=reference,
            allowed_mentions=NO_PINGS,
        )


async def setup(bot: ExamBot) -> None:
    await bot.add_cog(ConversationCog(bot))
