"""``/remind``: a DM when the member's retake wait ends, and the scheduler that sends it.

The scheduler (:mod:`bot.scheduler`) starts in ``cog_load`` and stops in
``cog_unload``; it is kept as ``self.scheduler`` so other features can wake it
(:func:`bot.scheduler.wake_reminders`) after setting or moving a reminder.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ExamBot
from bot.cogs.attempts import member_exam_choices
from bot.errors import UserFacingError
from bot.member_log import (
    PersonalInputError,
    canonical_code,
    disable_reminder,
    enable_reminder,
)
from bot.rendering import MESSAGE_MAX, truncate
from bot.scheduler import ReminderScheduler
from bot.surfaces.discord import DISCORD, discord_time
from bot.surfaces.personal import describe_reminder, describe_status

NONE = discord.AllowedMentions.none()


class RemindersCog(commands.Cog, name="Reminders"):
    """DM reminders when a retake wait ends."""

    def __init__(self, bot: ExamBot) -> None:
        self.bot = bot
        self.scheduler = ReminderScheduler(bot)

    async def cog_load(self) -> None:
        # Overdue reminders (the bot was down when they fell due) go out on the first pass.
        self.scheduler.start()

    async def cog_unload(self) -> None:
        await self.scheduler.stop()

    @app_commands.command(name="remind")
    @app_commands.describe(
        exam="Exam code, like AI-103",
        enabled="True: DM me when my wait ends. False: turn the reminder off.",
    )
    async def remind(self, interaction: discord.Interaction, exam: str, enabled: bool) -> None:
        """Get a DM when you can take an exam again (or turn that off)."""
        try:
            code = canonical_code(exam)
        except PersonalInputError as exc:
            raise UserFacingError(f"❌ {exc.message}") from exc
        await interaction.response.defer(ephemeral=True, thinking=True)
        db, kb, now = self.bot.db, self.bot.knowledge.kb, self.bot.now()
        if not enabled:
            was_on = await disable_reminder(db, interaction.user.id, code)
            content = (
                "🔕 Reminder turned off." if was_on else "You had no reminder on for that exam."
            )
        else:
            outcome = await enable_reminder(db, kb, interaction.user.id, code, now)
            if outcome.reminder is None:
                content = f"{describe_reminder(outcome, DISCORD)}\n\n" + describe_status(
                    outcome.status, DISCORD, now
                )
            else:
                self.scheduler.wake()
                content = (
                    f"{describe_reminder(outcome, DISCORD)} I'll DM you at "
                    f"{discord_time(outcome.reminder.due_at)} — keep DMs from server "
                    "members open so I can reach you. If you log another attempt, "
                    "the reminder moves with it."
                )
        await interaction.edit_original_response(
            content=truncate(content, MESSAGE_MAX), allowed_mentions=NONE
        )

    @remind.autocomplete("exam")
    async def remind_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        logged = await self.bot.db.attempts.exam_codes_for_user(interaction.user.id)
        return member_exam_choices(self.bot.knowledge.kb, current, logged)


async def setup(bot: ExamBot) -> None:
    await bot.add_cog(RemindersCog(bot))
