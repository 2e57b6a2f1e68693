"""``python -m bot console``: talk to the bot in a terminal, no Discord token needed.

The same handling as a DM (:func:`bot.conversation.respond`), for one local member,
rendered as plain text with times in the member's zone. Lines are read from stdin until
EOF or ``quit``, so it also works non-interactively: ``echo "when can I retake" | make
console``. Each line is decoded on its own: a line that is not UTF-8, a date past the
calendar's end or a zone that doesn't exist gets one line of explanation, and the next
line is read. Besides questions it understands a few commands (``help`` lists them)::

    log AI-103 fail 2026-11-20 [14:30] [score]    log an attempt
    eligibility [AI-103]                           your own status
    timezone Europe/Paris                          the zone your dates are in
    1 / 2 / 3                                      open a numbered suggestion
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import re
import sys
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.cli import EXIT_USAGE, InputLines
from bot.cli._instants import RANGE, parse_instant, shown, within_margins

if TYPE_CHECKING:
    from bot.conversation import ConversationReply, Topic
    from bot.knowledge_state import KnowledgeState
    from bot.storage import Database

EXIT_FAILURE = 1
DEFAULT_DATABASE = Path("data/console.db")
DEFAULT_USER_ID = 1
QUIT_WORDS = frozenset({"quit", "exit", "q", ":q"})

COMMANDS_HELP = """\
Ask any question about Microsoft exam policies, or use one of these commands:
  log CODE pass|fail YYYY-MM-DD [HH:MM] [SCORE]   log an attempt (e.g. log AI-103 fail 2026-11-20)
  eligibility [CODE]                              when you can take your exams again
  timezone NAME                                   your time zone (e.g. Europe/Paris)
  1, 2, 3 …                                       open a numbered topic from the last answer
  help                                            this text
  quit                                            leave (or Ctrl-D)"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "console", help="ask the bot in this terminal (same answers as DMs; no token needed)"
    )
    # --now is checked in run(), not by argparse, so that a bad instant is reported like
    # every other command's: one line, exit status 2.
    parser.add_argument("--now", default=None, help="pretend it is this ISO-8601 instant")
    parser.add_argument(
        "--user-id", type=int, default=DEFAULT_USER_ID, help="the local member's id"
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=DEFAULT_DATABASE,
        help=f"SQLite file for your attempts (default {DEFAULT_DATABASE})",
    )
    parser.add_argument("--data-dir", type=Path, default=None, help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def _parse_now(text: str) -> dt.datetime:
    """The ``--now`` instant in UTC; ``ValueError`` with a one-line reason."""
    return parse_instant(text, "--now").astimezone(dt.UTC)


def now_margins(reach: dt.timedelta) -> tuple[dt.timedelta, dt.timedelta]:
    """How far before and after ``--now`` the console must be able to go: a day either
    side to show any instant in any time zone, and after it the furthest the policy
    counts from an attempt (``reach``), since an attempt can be as late as now."""
    day = dt.timedelta(days=1)
    return day, reach + day


def policy_reach(knowledge: KnowledgeState) -> dt.timedelta:
    """An upper bound of how far after an attempt the rules engine computes."""
    policy = knowledge.kb.policy
    window = dt.timedelta(days=31 * policy.attempt_window_months)
    return max(window, policy.first_failure_wait, policy.later_failure_wait)


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    """Whether ``name`` is an IANA zone that loads. ``zoneinfo`` itself raises
    ``IsADirectoryError`` for a region alone ("America") and ``ValueError`` for
    "Asia/"; both are simply ``False`` here."""
    if name not in _known_zones():
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def plain(markdown: str) -> str:
    """Markdown as plain terminal text: emphasis and code marks removed, links spelled out."""
    text = re.sub(r"\[([^\]]+)\]\((\S+)\)", r"\1 <\2>", markdown)
    return text.replace("**", "").replace("__", "").replace("`", "")


@dataclass
class ConsoleSession:
    """One member's conversation: their numbered topics carry over between lines."""

    db: Database
    knowledge: KnowledgeState
    user_id: int
    clock: Callable[[], dt.datetime]
    out: TextIO
    timezone: str = "UTC"
    topics: list[Topic] = field(default_factory=list)

    def write(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def handle(self, line: str) -> bool:
        """Handle one line; ``False`` means quit."""
        try:
            return await self._handle(line)
        except OverflowError:
            # A date so near year 1 or 9999 that converting it between zones, or
            # counting the policy's waits from it, leaves the calendar.
            self.write(
                f"That date is out of range: I can only work with dates in the {RANGE} "
                "and in your time zone."
            )
            self.write()
            return True

    def invalid_line(self, number: int) -> None:
        self.write(f"Line {number} is not valid UTF-8 text, so I skipped it.")
        self.write()

    async def _handle(self, line: str) -> bool:
        text = line.strip()
        if not text:
            return True
        word, _, rest = text.partition(" ")
        command = word.casefold()
        if command in QUIT_WORDS:
            return False
        if command == "help" and not rest:
            self.write(COMMANDS_HELP)
        elif text.isdigit() and self.topics:
            await self._open_topic(int(text))
        elif command == "log" and rest:
            await self._log(rest.split())
        elif command == "eligibility" and len(rest.split()) <= 1:
            await self._eligibility(rest.strip() or None)
        elif command == "timezone" and len(rest.split()) == 1:
            await self._set_timezone(rest.strip())
        else:
            await self._ask(text)
        self.write()
        return True

    async def _ask(self, text: str) -> None:
        from bot.conversation import respond
        from bot.personal import local_time

        reply = await respond(
            text,
            user_id=self.user_id,
            db=self.db,
            knowledge=self.knowledge,
            now=self.clock(),
            timezone=self.timezone,
            time_format=local_time(self.timezone),
        )
        self.show(reply)

    def show(self, reply: ConversationReply) -> None:
        from bot.conversation import ReplyKind
        from bot.rendering import plain_sources

        if reply.kind is ReplyKind.INVALID:
            self.write(reply.text)
            return
        if reply.kind is ReplyKind.ANSWER:
            if reply.personal and reply.personal_text:
                self.write("== Your retake eligibility ==")
                self.write(plain(self._console_wording(reply.personal_text)))
            else:
                self.write(f"== {reply.title} ==")
                self.write(plain(reply.text))
            if reply.sources:
                self.write("\nSources:")
                for line in plain_sources(reply.sources):
                    self.write(f"  - {line}")
        else:
            self.write(plain(reply.text))
        offered = list(reply.suggestions) or list(reply.related)
        self.topics = offered
        if offered:
            heading = "Did you mean:" if reply.suggestions else "Related:"
            self.write(f"\n{heading}")
            for number, topic in enumerate(offered, 1):
                self.write(f"  {number}. {topic.question}")
            self.write("(type a number to open one)")
        if reply.statement is not None:
            statement = reply.statement
            when = statement.date.isoformat()
            if statement.time is not None:
                when += f" {statement.time:%H:%M}"
            self.write(
                f"\nIt sounds like you took {statement.exam_code} ({statement.result}, {when}). "
                f"To log it, type: log {statement.exam_code} {statement.result} {when}"
            )

    @staticmethod
    def _console_wording(text: str) -> str:
        from bot.conversation import NO_LOG_TEXT

        if text != NO_LOG_TEXT:
            return text
        return (
            "You haven't logged any attempts yet, so I can't work out your own dates. "
            "Log each attempt with, for example: log AI-103 fail 2026-11-20 "
            "(then ask again, or type: eligibility)."
        )

    async def _open_topic(self, number: int) -> None:
        from bot.conversation import answer_entry, personal_status_text
        from bot.personal import local_time

        if not 1 <= number <= len(self.topics):
            self.write(f"Pick a number between 1 and {len(self.topics)}.")
            return
        now = self.clock()
        reply = await answer_entry(
            self.topics[number - 1].entry_id, knowledge=self.knowledge, now=now
        )
        if reply is None:
            self.write("That topic isn't in the knowledge base any more.")
            return
        if reply.personal:
            from dataclasses import replace

            text = await personal_status_text(
                self.db, self.knowledge.kb, self.user_id, now, local_time(self.timezone)
            )
            reply = replace(reply, personal_text=text)
        self.show(reply)

    async def _log(self, parts: list[str]) -> None:
        from bot.personal import PersonalInputError, describe_logged, local_time, log_attempt

        usage = (
            "Usage: log CODE pass|fail YYYY-MM-DD [HH:MM] [SCORE], e.g. log AI-103 fail 2026-11-20"
        )
        if not 3 <= len(parts) <= 5:
            self.write(usage)
            return
        exam, result, date, *extra = parts
        time = next((p for p in extra if ":" in p), None)
        score_text = next((p for p in extra if ":" not in p), None)
        if score_text is not None and not score_text.isdigit():
            self.write(f"'{score_text}' is not a score. {usage}")
            return
        now = self.clock()
        try:
            logged = await log_attempt(
                self.db,
                self.knowledge.kb,
                self.user_id,
                exam=exam,
                date=date,
                result=result,
                time=time,
                score=int(score_text) if score_text else None,
                now=now,
                timezone=self.timezone,
            )
        except PersonalInputError as exc:
            self.write(exc.message)
            return
        self.write(plain(describe_logged(logged, local_time(self.timezone), now)))

    async def _eligibility(self, code: str | None) -> None:
        from bot.personal import PersonalInputError, describe_status, local_time, member_status

        now = self.clock()
        try:
            statuses = await member_status(self.db, self.knowledge.kb, self.user_id, code, now)
        except PersonalInputError as exc:
            self.write(exc.message)
            return
        if not statuses:
            self.write(
                "You haven't logged any attempts yet. Log one with, for example: "
                "log AI-103 fail 2026-11-20"
            )
            return
        fmt = local_time(self.timezone)
        self.write("\n\n".join(plain(describe_status(s, fmt, now)) for s in statuses))

    async def _set_timezone(self, name: str) -> None:
        unknown = f"Unknown time zone '{shown(name)}': use an IANA name like Europe/Paris."
        if not is_timezone(name):
            self.write(unknown)
            return
        try:
            await self.db.settings.set_timezone(self.user_id, name)
        except ValueError:
            self.write(unknown)
            return
        self.timezone = await self.db.settings.get_timezone(self.user_id)
        self.write(f"Time zone set to {self.timezone}.")


def run(args: argparse.Namespace) -> int:
    try:
        now = None if args.now is None else _parse_now(args.now)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        return EXIT_USAGE
    return asyncio.run(
        console(
            now=now,
            user_id=args.user_id,
            database=args.database,
            data_dir=args.data_dir,
            stdin=sys.stdin,
            stdout=sys.stdout,
        )
    )


async def console(
    *,
    now: dt.datetime | None,
    user_id: int,
    database: Path,
    data_dir: Path | None,
    stdin: TextIO | None,
    stdout: TextIO,
) -> int:
    """The prompt loop; returns the exit status."""
    from bot.knowledge_state import KnowledgeState
    from bot.storage import Database
    from knowledge.loader import KnowledgeError

    try:
        knowledge = KnowledgeState.load(data_dir)
    except KnowledgeError as exc:
        print(f"The knowledge files are invalid ({len(exc.problems)} problem(s)):", file=sys.stderr)  # noqa: T201
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)  # noqa: T201
        return EXIT_FAILURE
    if now is not None:
        before, after = now_margins(policy_reach(knowledge))
        bounds = within_margins(now, before=before, after=after)
        if bounds is not None:
            first, last = (moment.isoformat(timespec="seconds") for moment in bounds)
            print(  # noqa: T201
                f"error: --now {now.isoformat()} is too close to the ends of the calendar "
                f"for the console: use an instant from {first} to {last}",
                file=sys.stderr,
            )
            return EXIT_USAGE

    def clock() -> dt.datetime:
        return now if now is not None else dt.datetime.now(dt.UTC)

    database.parent.mkdir(parents=True, exist_ok=True)
    interactive = stdin is not None and stdin.isatty()
    lines = InputLines(stdin)
    async with await Database.open(database) as db:
        session = ConsoleSession(
            db=db,
            knowledge=knowledge,
            user_id=user_id,
            clock=clock,
            out=stdout,
            timezone=await db.settings.get_timezone(user_id),
        )
        if interactive:
            session.write(
                "Exam policy assistant — the same answers as the Discord bot.\n"
                "Type a question, 'help' for commands, 'quit' to leave.\n"
            )
        while True:
            if interactive:
                stdout.write("you> ")
                stdout.flush()
            # Reading in a thread keeps the event loop (and aiosqlite) responsive.
            line = await asyncio.to_thread(lines.readline)
            if line is None:  # EOF
                break
            if line.text is None:
                session.invalid_line(line.number)
            elif not await session.handle(line.text):
                break
    return 0
