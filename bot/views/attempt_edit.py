"""Buttons under a logged attempt: "Set the time" (a modal) and "Merge" (same sitting).

Both are ``DynamicItem``s whose state is in the ``custom_id``
(``exambot:settime:<id>``, ``exambot:merge:<keep>:<drop>``), so they work on old
messages after a restart. They act only on the presser's own attempts: the service
refuses anyone else's id, so a forwarded button can't touch another member's log.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.errors import ExamView, UserFacingError, report_error, run_privately, send_ephemeral
from bot.member_log import LoggedAttempt, PersonalInputError, edit_attempt, merge_attempts
from bot.rendering import MESSAGE_MAX, truncate
from bot.scheduler import wake_reminders
from bot.surfaces.discord import DISCORD
from bot.surfaces.personal import describe_logged

if TYPE_CHECKING:
    from bot.client import ExamBot

MAX_MERGE_BUTTONS = 3


def _bot(interaction: discord.Interaction[Any]) -> ExamBot:
    return cast("ExamBot", interaction.client)


class SetTimeModal(discord.ui.Modal, title="When did the exam start?"):
    """One field, HH:MM in the member's zone; submitting edits the attempt in place."""

    start = discord.ui.TextInput[Any](
        label="Start time (24 h, your time zone)",
        placeholder="14:30",
        min_length=4,
        max_length=5,
    )

    def __init__(self, attempt_id: int) -> None:
        super().__init__()
        self.attempt_id = attempt_id

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot(interaction)
        now = bot.now()
        try:
            logged = await edit_attempt(
                bot.db, bot.knowledge.kb, interaction.user.id, self.attempt_id,
                time=str(self.start.value), now=now,
            )  # fmt: skip
        except PersonalInputError as exc:
            raise UserFacingError(f"❌ {exc.message} Nothing was changed.") from exc
        wake_reminders(bot)
        await send_ephemeral(
            interaction,
            truncate(describe_logged(logged, DISCORD, now), MESSAGE_MAX),
            view=logged_view(logged),
        )

    async def on_error(  # type: ignore[override]  # Modal's own signature has no item
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_error(interaction, error, "set-time modal")


class SetTimeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"exambot:settime:(?P<id>\d{1,18})"
):
    """Opens :class:`SetTimeModal` for one attempt (a modal must be the first reply,
    so this button is not deferred)."""

    def __init__(self, attempt_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Set the time",
                emoji="🕑",
                style=discord.ButtonStyle.secondary,
                custom_id=f"exambot:settime:{attempt_id}",
            )
        )
        self.attempt_id = attempt_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> SetTimeButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(SetTimeModal(self.attempt_id))


class MergeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"exambot:merge:(?P<keep>\d{1,18}):(?P<drop>\d{1,18})",
):
    """Keeps one attempt and deletes the other: two failures logged for one sitting."""

    def __init__(self, keep_id: int, drop_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Merge: same sitting (remove id {drop_id})"[:80],
                emoji="🔗",
                style=discord.ButtonStyle.danger,
                custom_id=f"exambot:merge:{keep_id}:{drop_id}",
            )
        )
        self.keep_id, self.drop_id = keep_id, drop_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> MergeButton:
        return cls(int(match["keep"]), int(match["drop"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await run_privately(interaction, lambda: self._merge(interaction))

    async def _merge(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot(interaction)
        try:
            kept = await merge_attempts(
                bot.db, bot.knowledge.kb, interaction.user.id, self.keep_id, self.drop_id,
                bot.now(),
            )  # fmt: skip
        except PersonalInputError as exc:
            raise UserFacingError(f"❌ {exc.message} Nothing was changed.") from exc
        wake_reminders(bot)
        await send_ephemeral(
            interaction,
            f"🔗 Merged: kept your {kept.exam_code} attempt (id {kept.id}) and removed id "
            f"{self.drop_id}. Your eligibility and reminder were recomputed (`/eligibility`).",
        )


def logged_view(logged: LoggedAttempt) -> ExamView | None:
    """"Set the time" when it was assumed, "Merge" for a same-day duplicate failure."""
    view = ExamView()
    if logged.time_assumed:
        view.add_item(SetTimeButton(logged.attempt.id))
    for other in logged.same_day[:MAX_MERGE_BUTTONS]:
        # Keep the one with a real time; otherwise the newest entry.
        keep, drop = logged.attempt, other
        if other.time_given and not logged.attempt.time_given:
            keep, drop = other, logged.attempt
        view.add_item(MergeButton(keep.id, drop.id))
    return view if view.children else None


DYNAMIC_ITEMS = (SetTimeButton, MergeButton)
