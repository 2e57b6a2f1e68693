"""``/eligibility``: when each member may take their exams again, from their own log.

Each exam gets an embed field with the status, the next chance as Discord timestamps
(every reader sees their own zone), the rule, the window and retirement warnings. Exams
with a future ``earliest`` get a "Remind me" button (``exambot:remind:<CODE>``), a
``DynamicItem``: it keeps working after restarts and acts for whoever presses it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ExamBot
from bot.cogs.attempts import member_exam_choices
from bot.errors import ExamView, UserFacingError, run_privately, send_ephemeral
from bot.member_log import (
    ExamStatus,
    PersonalInputError,
    canonical_code,
    enable_reminder,
    member_status,
    reminder_due,
)
from bot.rendering import EMBED_FIELD_MAX, EMBED_FIELD_NAME_MAX, truncate
from bot.scheduler import wake_reminders
from bot.surfaces.discord import DISCORD, discord_time
from bot.surfaces.personal import describe_reminder, describe_status
from knowledge.rules import Status

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
MAX_FIELDS = 25
# Discord allows 25 buttons per message (5 rows of 5).
MAX_BUTTONS = 25

COLOURS = {
    Status.ELIGIBLE: discord.Colour.green(),
    Status.WAITING: discord.Colour.gold(),
    Status.LIMIT_REACHED: discord.Colour.red(),
    Status.PASSED: discord.Colour.blurple(),
    Status.RETIRED: discord.Colour.dark_grey(),
    Status.RETIRES_FIRST: discord.Colour.dark_red(),
}


def eligibility_embed(statuses: list[ExamStatus], now: dt.datetime) -> discord.Embed:
    """One field per exam; the colour follows the most pressing status."""
    embed = discord.Embed(title="Your eligibility")
    for status in statuses[:MAX_FIELDS]:
        body = describe_status(status, DISCORD, now)
        heading, _, rest = body.partition("\n")
        embed.add_field(
            name=truncate(heading.replace("**", ""), EMBED_FIELD_NAME_MAX),
            value=truncate(rest, EMBED_FIELD_MAX),
        )
    if statuses:
        embed.colour = COLOURS.get(statuses[0].eligibility.status, discord.Colour.blurple())
    embed.set_footer(text="Times are shown in your own time zone. Based only on what you logged.")
    return embed


class RemindButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"exambot:remind:(?P<code>[A-Z]{2,3}-\d{3})",
):
    """Sets a reminder for the presser when their wait on ``code`` ends."""

    def __init__(self, exam_code: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Remind me ({exam_code})",
                emoji="🔔",
                style=discord.ButtonStyle.secondary,
                custom_id=f"exambot:remind:{exam_code}",
            )
        )
        self.exam_code = exam_code

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> RemindButton:
        return cls(match["code"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await run_privately(interaction, lambda: self._remind(interaction))

    async def _remind(self, interaction: discord.Interaction[Any]) -> None:
        bot = cast("ExamBot", interaction.client)
        now = bot.now()
        outcome = await enable_reminder(
            bot.db, bot.knowledge.kb, interaction.user.id, self.exam_code, now
        )
        content = describe_reminder(outcome, DISCORD)
        if outcome.reminder is not None:
            wake_reminders(bot)
            content += f" Due {discord_time(outcome.reminder.due_at)}."
        await send_ephemeral(interaction, content)


def remind_view(statuses: list[ExamStatus], now: dt.datetime) -> ExamView | None:
    """ "Remind me" buttons for exams with a future next chance and no pending reminder."""
    view = ExamView()
    for status in statuses:
        if reminder_due(status.eligibility, now) is None:
            continue
        reminder = status.reminder
        if (
            reminder is not None
            and reminder.enabled
            and reminder.sent_at is None
            and reminder.due_at == status.eligibility.earliest
        ):
            continue  # already set for that moment
        if len(view.children) < MAX_BUTTONS:
            view.add_item(RemindButton(status.exam.code))
    return view if view.children else None


class EligibilityCog(commands.Cog, name="Eligibility"):
    """When can I take my exams again?"""

    def __init__(self, bot: ExamBot) -> None:
        self.bot = bot

    @app_commands.command(name="eligibility")
    @app_commands.describe(exam="Only this exam (default: every exam you logged)")
    async def eligibility(self, interaction: discord.Interaction, exam: str | None = None) -> None:
        """When can you take your exams again? Computed from your own log."""
        try:
            code = None if exam is None else canonical_code(exam)
        except PersonalInputError as exc:
            raise UserFacingError(f"❌ {exc.message}") from exc
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.now()
        statuses = await member_status(
            self.bot.db, self.bot.knowledge.kb, interaction.user.id, code, now
        )
        if not statuses:
            await interaction.edit_original_response(
                content=(
                    "You haven't logged any attempts yet. Log one with `/attempt log` and "
                    "I'll compute when you can retake."
                ),
                allowed_mentions=NONE,
            )
            return
        kwargs: dict[str, Any] = {"embed": eligibility_embed(statuses, now)}
        view = remind_view(statuses, now)
        if view is not None:
            kwargs["view"] = view
        await interaction.edit_original_response(allowed_mentions=NONE, **kwargs)

    @eligibility.autocomplete("exam")
    async def eligibility_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        logged = await self.bot.db.attempts.exam_codes_for_user(interaction.user.id)
        return member_exam_choices(self.bot.knowledge.kb, current, logged)


async def setup(bot: ExamBot) -> None:
    bot.add_dynamic_items(RemindButton)
    await bot.add_cog(EligibilityCog(bot))


async def teardown(bot: ExamBot) -> None:
    bot.remove_dynamic_items(RemindButton)
