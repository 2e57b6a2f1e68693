"""``/attempt log|list|delete``: the member's own exam log, the rules engine's input."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ExamBot
from bot.cogs.catalog import MAX_CHOICES, exam_choices
from bot.errors import UserFacingError
from bot.member_log import (
    LoggedAttempt,
    PersonalInputError,
    delete_attempt,
    edit_attempt,
    log_checked,
    numbered_attempts,
)
from bot.rendering import MESSAGE_MAX, truncate
from bot.scheduler import wake_reminders
from bot.surfaces.discord import DISCORD
from bot.surfaces.personal import describe_attempts, describe_logged, ordinal
from bot.views.attempt_edit import DYNAMIC_ITEMS as EDIT_ITEMS
from bot.views.attempt_edit import logged_view
from bot.views.attempt_log import LogAllButton, LogAttemptButton
from knowledge.attempt_input import validate_attempt_input
from knowledge.codes import try_normalize_exam_code
from knowledge.models import KnowledgeBase

# Scores as Discord validates them; the policy's own bounds are checked again in code.
SCORE_MIN = 1
SCORE_MAX = 1000

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()


def attempt_exam_choices(kb: KnowledgeBase, current: str) -> list[app_commands.Choice[str]]:
    """Catalog exams like ``/exam``'s, plus what was typed when it is a well-formed code
    the catalog doesn't know: any Microsoft exam can be logged."""
    choices = exam_choices(kb, current)
    typed = try_normalize_exam_code(current)
    if typed is not None and all(c.value != typed for c in choices):
        choices.insert(0, app_commands.Choice(name=f"{typed} (not in the catalog)", value=typed))
    return choices[:MAX_CHOICES]


def member_exam_choices(
    kb: KnowledgeBase, current: str, logged: list[str]
) -> list[app_commands.Choice[str]]:
    """The exams the member has logged first (those are what ``/eligibility`` and
    ``/remind`` are about), then the catalog as for ``/attempt log``."""
    needle = "".join(ch for ch in current.casefold() if ch.isalnum())
    mine = [code for code in logged if needle in code.replace("-", "").casefold()]
    choices = [app_commands.Choice(name=f"{code} (in your log)", value=code) for code in mine]
    choices += [c for c in attempt_exam_choices(kb, current) if c.value not in mine]
    return choices[:MAX_CHOICES]


class AttemptsCog(commands.Cog, name="Attempts"):
    """Log, list, correct and delete your own exam attempts."""

    attempt = app_commands.Group(
        name="attempt", description="Your exam attempts: log, list, edit, delete"
    )

    def __init__(self, bot: ExamBot) -> None:
        self.bot = bot

    async def _show_logged(
        self, interaction: discord.Interaction, logged: LoggedAttempt, now: dt.datetime
    ) -> None:
        """The private reply after logging or editing, with "Set the time" / "Merge"."""
        if logged.reminder is not None or logged.edited:
            wake_reminders(self.bot)  # a new or moved wait may move the reminder
        await interaction.edit_original_response(
            content=truncate(describe_logged(logged, DISCORD, now), MESSAGE_MAX),
            allowed_mentions=NONE,
            view=logged_view(logged),
        )

    @attempt.command(name="log")
    @app_commands.describe(
        exam="Exam code, like AI-103 (any Microsoft exam code works)",
        date="The day you took it, YYYY-MM-DD, in your time zone (/settings timezone)",
        result="Did you pass or fail?",
        time="Start time HH:MM (24 h), in your time zone; without it I assume 23:59",
        score="Your scaled score, 1-1000 (optional)",
    )
    async def log_command(
        self,
        interaction: discord.Interaction,
        exam: str,
        date: str,
        result: Literal["pass", "fail"],
        time: str | None = None,
        score: app_commands.Range[int, SCORE_MIN, SCORE_MAX] | None = None,
    ) -> None:
        """Log an exam attempt you took, to get your retake dates."""
        kb = self.bot.knowledge.kb
        try:
            # Everything checkable without the database, before spending the response.
            checked = validate_attempt_input(
                kb, exam=exam, date=date, result=result, time=time, score=score
            )
        except PersonalInputError as exc:
            raise UserFacingError(f"❌ {exc.message} Nothing was logged.") from exc
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.now()
        try:
            logged = await log_checked(self.bot.db, kb, interaction.user.id, checked, now=now)
        except PersonalInputError as exc:
            raise UserFacingError(f"❌ {exc.message} Nothing was logged.") from exc
        await self._show_logged(interaction, logged, now)

    @log_command.autocomplete("exam")
    async def log_exam_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return attempt_exam_choices(self.bot.knowledge.kb, current)

    @attempt.command(name="list")
    async def list_command(self, interaction: discord.Interaction) -> None:
        """List the exam attempts you logged."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        attempts = await self.bot.db.attempts.list_for_user(interaction.user.id)
        numbers = numbered_attempts(attempts, self.bot.knowledge.kb.policy)
        content = describe_attempts(attempts, numbers, DISCORD)
        if len(content) > MESSAGE_MAX:
            # Newest matter most when the log is long: keep the tail.
            kept = list(attempts)
            while kept and len(describe_attempts(kept, numbers, DISCORD)) > MESSAGE_MAX - 40:
                kept.pop(0)
            content = (
                f"… {len(attempts) - len(kept)} older attempts not shown.\n"
                + describe_attempts(kept, numbers, DISCORD)
            )
        await interaction.edit_original_response(content=content, allowed_mentions=NONE)

    @attempt.command(name="edit")
    @app_commands.describe(
        attempt="The attempt to correct (its id from /attempt list)",
        date="The right day, YYYY-MM-DD, in your time zone",
        time="The right start time HH:MM (24 h), in your time zone",
        result="pass or fail",
        score="Your scaled score, 1-1000",
    )
    async def edit_command(
        self,
        interaction: discord.Interaction,
        attempt: int,
        date: str | None = None,
        time: str | None = None,
        result: Literal["pass", "fail"] | None = None,
        score: app_commands.Range[int, SCORE_MIN, SCORE_MAX] | None = None,
    ) -> None:
        """Correct one of your logged attempts in place (no need to log it again)."""
        if date is None and time is None and result is None and score is None:
            raise UserFacingError(
                "❌ Tell me what to change: `date`, `time`, `result` or `score`. Nothing was "
                "changed."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.now()
        try:
            logged = await edit_attempt(
                self.bot.db, self.bot.knowledge.kb, interaction.user.id, attempt,
                date=date, time=time, result=result, score=score, now=now,
            )  # fmt: skip
        except PersonalInputError as exc:
            raise UserFacingError(f"❌ {exc.message} Nothing was changed.") from exc
        await self._show_logged(interaction, logged, now)

    @edit_command.autocomplete("attempt")
    async def edit_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await self._own_attempt_choices(interaction, current)

    @attempt.command(name="delete")
    @app_commands.describe(attempt="The attempt to delete (its id from /attempt list)")
    async def delete_command(self, interaction: discord.Interaction, attempt: int) -> None:
        """Delete one of your logged attempts."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.now()
        deleted = await delete_attempt(
            self.bot.db, self.bot.knowledge.kb, interaction.user.id, attempt, now
        )
        if deleted is None:
            raise UserFacingError(
                f"❌ Attempt id {attempt} isn't one of your attempts. See `/attempt list`."
            )
        wake_reminders(self.bot)
        await interaction.edit_original_response(
            content=(
                f"🗑️ Deleted your **{deleted.exam_code}** {deleted.result} attempt of "
                f"{discord.utils.format_dt(deleted.taken_at, 'F')} (id {deleted.id}). "
                "Your eligibility and reminder were recomputed (`/eligibility`)."
            ),
            allowed_mentions=NONE,
        )

    @delete_command.autocomplete("attempt")
    async def delete_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await self._own_attempt_choices(interaction, current)

    async def _own_attempt_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        """The member's own attempts, newest first, as they count them ("2nd AZ-104"),
        filtered by id, code or date text; the value is the stable id."""
        attempts = await self.bot.db.attempts.list_for_user(interaction.user.id)
        numbers = numbered_attempts(attempts, self.bot.knowledge.kb.policy)
        needle = current.strip().lstrip("#").casefold().replace("-", "")
        choices = []
        for a in reversed(attempts):
            nth = ordinal(numbers[a.id][1])
            label = (
                f"{nth} {a.exam_code} {a.result} {a.taken_at:%Y-%m-%d %H:%M} UTC (id {a.id})"
            )
            haystack = label.casefold().replace("-", "")
            if needle and needle not in haystack:
                continue
            choices.append(app_commands.Choice(name=label, value=a.id))
            if len(choices) == MAX_CHOICES:
                break
        return choices


async def setup(bot: ExamBot) -> None:
    bot.add_dynamic_items(LogAttemptButton, LogAllButton, *EDIT_ITEMS)
    await bot.add_cog(AttemptsCog(bot))


async def teardown(bot: ExamBot) -> None:
    bot.remove_dynamic_items(LogAttemptButton, LogAllButton, *EDIT_ITEMS)
