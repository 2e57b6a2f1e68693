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
from bot.member_log import PersonalInputError, log_attempt, log_many
from bot.rendering import MESSAGE_MAX, truncate
from bot.scheduler import wake_reminders
from bot.surfaces.discord import DISCORD
from bot.surfaces.personal import describe_logged
from bot.views.attempt_edit import logged_view
from knowledge.attempt_input import validate_attempt_input
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
            interaction,
            truncate(describe_logged(logged, DISCORD, now), MESSAGE_MAX),
            view=logged_view(logged),
        )

    await run_privately(interaction, work)


# Several attempts in one button: ``exambot:logs:<item>;<item>…`` with each item
# ``CODE,p|f,YYYYMMDD[,HHMM]`` (a custom_id holds at most 100 characters).
LOGS_TEMPLATE = r"exambot:logs:(?P<items>[A-Z0-9,;\-]{1,87})"
_ITEM_RE = re.compile(
    r"^(?P<code>[A-Z]{2,3}-\d{3}),(?P<r>[pf]),(?P<date>\d{8})(?:,(?P<time>\d{4}))?$"
)
CUSTOM_ID_MAX = 100


def logs_custom_id(statements: tuple[AttemptStatement, ...]) -> str | None:
    """The custom_id of a "Log all" button, or ``None`` when they don't fit in one."""
    items = []
    for s in statements:
        item = f"{s.exam_code},{s.result[0]},{s.date:%Y%m%d}"
        if s.time is not None:
            item += f",{s.time:%H%M}"
        items.append(item)
    custom_id = "exambot:logs:" + ";".join(items)
    return custom_id if len(custom_id) <= CUSTOM_ID_MAX else None


def statements_from_items(items: str) -> tuple[AttemptStatement, ...]:
    found = []
    for item in items.split(";"):
        m = _ITEM_RE.match(item)
        if m is None:
            continue
        day = dt.datetime.strptime(m["date"], "%Y%m%d").date()  # noqa: DTZ007 - a date
        moment = dt.time(int(m["time"][:2]), int(m["time"][2:])) if m["time"] else None
        result: Result = "pass" if m["r"] == "p" else "fail"
        found.append(AttemptStatement(m["code"], result, day, moment))
    return tuple(found)


class LogAllButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=LOGS_TEMPLATE):
    """Logs every attempt of a message at once ("failed on 3 Nov and again on 20 Nov"):
    all of them, or none if one can't be logged."""

    def __init__(self, statements: tuple[AttemptStatement, ...], custom_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Log all {len(statements)} attempts",
                style=discord.ButtonStyle.primary,
                emoji="📝",
                custom_id=custom_id,
            )
        )
        self.statements = statements

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> LogAllButton:
        return cls(statements_from_items(match["items"]), match.group(0))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = cast("ExamBot", interaction.client)

        async def work() -> None:
            now = bot.now()
            kb = bot.knowledge.kb
            try:
                checked = [
                    validate_attempt_input(
                        kb, exam=s.exam_code, date=s.date.isoformat(), result=s.result,
                        time=None if s.time is None else f"{s.time:%H:%M}", score=None,
                    )
                    for s in self.statements
                ]
                logged = await log_many(bot.db, kb, interaction.user.id, checked, now=now)
            except PersonalInputError as exc:
                raise UserFacingError(f"❌ {exc.message}") from exc
            wake_reminders(bot)
            text = "\n\n".join(describe_logged(item, DISCORD, now) for item in logged[-1:])
            summary = f"📝 Logged {len(logged)} attempts.\n\n"
            await send_ephemeral(interaction, truncate(summary + text, MESSAGE_MAX))

        await run_privately(interaction, work)


def log_offer_view(statements: AttemptStatement | tuple[AttemptStatement, ...]) -> ExamView:
    """A "Log it" button per statement, or one "Log all" for several (no timeout: the
    buttons are dynamic)."""
    items = (statements,) if isinstance(statements, AttemptStatement) else statements
    view = ExamView()
    custom_id = logs_custom_id(items) if len(items) > 1 else None
    if custom_id is not None:
        view.add_item(LogAllButton(items, custom_id))
        return view
    for statement in items[:5]:
        view.add_item(LogAttemptButton(statement))
    return view
