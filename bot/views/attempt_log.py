"""The one-click "Log it" button offered under "failed AI-103 yesterday".

The statement lives in the button's ``custom_id``
(``exambot:log:<CODE>:<pass|fail>:<YYYYMMDD>[:<HHMM>]``), so the button works on old
messages after a restart with nothing stored. Pressing it logs the attempt for whoever
presses it (in their own log and time zone) through the same validation as
``/attempt log``, and answers ephemerally. Registered with ``bot.add_dynamic_items``
by the attempts cog.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.errors import ExamView, UserFacingError, run_privately, send_ephemeral
from bot.personal import PersonalInputError, describe_logged, discord_time, log_attempt
from bot.rendering import MESSAGE_MAX, truncate
from bot.scheduler import wake_reminders
from knowledge.statements import AttemptStatement, Result

if TYPE_CHECKING:
    from bot.client import ExamBot

log = logging.getLogger(__name__)

LOG_TEMPLATE = (
    r"exambot:log:(?P<code>[A-Z]{2,3}-\d{3}):(?P<result>pass|fail)"
    r":(?P<date>\d{8})(?::(?P<time>\d{4}))?"
)


def log_custom_id(statement: AttemptStatement) -> str:
    custom_id = f"exambot:log:{statement.exam_code}:{statement.result}:{statement.date:%Y%m%d}"
    if statement.time is not None:
        custom_id += f":{statement.time:%H%M}"
    return custom_id


def _label(statement: AttemptStatement) -> str:
    when = f"{statement.date.day} {statement.date:%b %Y}"
    if statement.time is not None:
        when += f" {statement.time:%H:%M}"
    return f"Log it: {statement.exam_code} {statement.result}, {when}"[:80]


class LogAttemptButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=LOG_TEMPLATE):
    """Logs the attempt in its ``custom_id`` for the member who clicks it."""

    def __init__(self, statement: AttemptStatement) -> None:
        super().__init__(
            discord.ui.Button(
                label=_label(statement),
                style=discord.ButtonStyle.primary,
                emoji="📝",
                custom_id=log_custom_id(statement),
            )
        )
        self.statement = statement

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> LogAttemptButton:
        return cls(statement_from_match(match))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await log_from_button(interaction, self.statement)


def statement_from_match(match: re.Match[str]) -> AttemptStatement:
    day = dt.datetime.strptime(match["date"], "%Y%m%d").date()  # noqa: DTZ007 - a date
    moment = None
    if match["time"]:
        moment = dt.time(int(match["time"][:2]), int(match["time"][2:]))
    result: Result = "pass" if match["result"] == "pass" else "fail"
    return AttemptStatement(exam_code=match["code"], result=result, date=day, time=moment)


async def log_from_button(
    interaction: discord.Interaction[Any], statement: AttemptStatement
) -> None:
    """Log ``statement`` for the clicker; every outcome is one ephemeral message."""
    bot = cast("ExamBot", interaction.client)

    async def work() -> None:
        now = bot.now()
        try:
            logged = await log_attempt(
                bot.db,
                bot.knowledge.kb,
                interaction.user.id,
                exam=statement.exam_code,
                date=statement.date.isoformat(),
                result=statement.result,
                time=None if statement.time is None else f"{statement.time:%H:%M}",
                score=None,
                now=now,
            )
        except PersonalInputError as exc:
            raise UserFacingError(f"❌ {exc.message}") from exc
        if logged.reminder is not None:
            wake_reminders(bot)
        await send_ephemeral(
            interaction, truncate(describe_logged(logged, discord_time, now), MESSAGE_MAX)
        )

    await run_privately(interaction, work)


def log_offer_view(statement: AttemptStatement) -> ExamView:
    """A view with one "Log it" button for ``statement`` (no timeout: the button is dynamic)."""
    view = ExamView()
    view.add_item(LogAttemptButton(statement))
    return view
