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
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.cli import EXIT_USAGE, InputLines
from bot.cli._instants import RANGE, parse_instant, shown, within_margins

if TYPE_CHECKING:
    from bot.conversation import ConversationReply, Topic
    from bot.conversation_memory import RecentExams
    from bot.knowledge_state import KnowledgeState
    from bot.member_log import LoggedAttempt
    from bot.storage import Database
    from bot.surfaces import Surface
    from knowledge.statements import AttemptStatement

EXIT_FAILURE = 1
DEFAULT_DATABASE = Path("data/console.db")
DEFAULT_USER_ID = 1
QUIT_WORDS = frozenset({"quit", "exit", "q", ":q"})

COMMANDS_HELP = """\
Ask any question about Microsoft exam policies in your own words, or type a command:
  log CODE pass|fail YYYY-MM-DD [HH:MM] [SCORE]   log an attempt (log AI-103 fail 2026-11-20)
  list                                            your attempts, numbered, with their ids
  edit ID [date YYYY-MM-DD] [time HH:MM] [pass|fail] [score N]
                                                  correct an attempt in place
  delete ID                                       remove an attempt
  merge KEEP DROP                                 two entries for one sitting: keep one
  eligibility [CODE]                              when you can take your exams again
  remind CODE on|off                              a reminder when your wait ends
  timezone NAME                                   your time zone (e.g. Europe/Paris)
  export [FILE]                                   everything stored about you, as JSON
  forget                                          erase everything stored about you
  yes                                             accept what I just offered
  1, 2, 3 …                                       open a numbered topic from the last answer
  help                                            this text
  quit                                            leave (or Ctrl-D)"""
REMINDER_NOTE = (
    "Reminders are sent as Discord DMs by the bot (make run), from this same database; "
    "the console itself sends nothing."
)


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


def is_timezone(name: str) -> bool:
    """Whether ``name`` is an IANA zone, spelt canonically ("America" alone, "Asia/" and
    "posixrules" are not)."""
    from knowledge.zones import InvalidTimezoneError, resolve_timezone

    try:
        return resolve_timezone(name) == name
    except InvalidTimezoneError:
        return False


@dataclass
class ConsoleSession:
    """One member's conversation: numbered topics, the exam being discussed and any
    pending offer ("log these?", "erase everything?") carry over between lines."""

    db: Database
    knowledge: KnowledgeState
    user_id: int
    clock: Callable[[], dt.datetime]
    out: TextIO
    timezone: str = "UTC"
    topics: list[Topic] = field(default_factory=list)
    memory: RecentExams = field(default_factory=lambda: _recent_exams())
    offered: tuple[AttemptStatement, ...] = ()
    forget_pending: bool = False

    @property
    def surface(self) -> Surface:
        from bot.surfaces.console import console_surface

        return console_surface(self.timezone)

    def write(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def show_markdown(self, markdown: str) -> None:
        from bot.surfaces.console import render_markdown, terminal_width, wants_colour

        self.write(
            render_markdown(
                markdown, width=terminal_width(self.out), colour=wants_colour(self.out)
            )
        )

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
        command, args = word.casefold(), rest.split()
        if command in QUIT_WORDS:
            return False
        forget_pending, self.forget_pending = self.forget_pending, False
        handlers: dict[str, Callable[[], Awaitable[None]]] = {
            "log": lambda: self._log(args),
            "list": self._list,
            "edit": lambda: self._edit(args),
            "delete": lambda: self._delete(args),
            "merge": lambda: self._merge(args),
            "eligibility": lambda: self._eligibility(rest.strip() or None),
            "remind": lambda: self._remind(args),
            "timezone": lambda: self._set_timezone(rest.strip()),
            "export": lambda: self._export(rest.strip() or None),
            "forget": self._ask_to_forget,
            "exam": lambda: self._exam(rest.strip()),
        }
        takes_args = {"log", "edit", "delete", "merge", "remind", "timezone", "exam"}
        if command == "help" and not rest:
            self.write(COMMANDS_HELP)
        elif command in {"yes", "y"} and not rest and (forget_pending or self.offered):
            await (self._forget() if forget_pending else self._log_offered())
        elif text.isdigit() and self.topics:
            await self._open_topic(int(text))
        elif command in handlers and (bool(args) or command not in takes_args):
            await handlers[command]()
        elif forget_pending:
            self.write("Nothing was erased.")
        else:
            await self._ask(text)
        self.write()
        return True

    async def _ask(self, text: str) -> None:
        from bot.conversation import respond

        reply = await respond(
            text,
            user_id=self.user_id,
            db=self.db,
            knowledge=self.knowledge,
            now=self.clock(),
            timezone=self.timezone,
            surface=self.surface,
            memory=self.memory,
        )
        self.show(reply)

    def show(self, reply: ConversationReply) -> None:
        from bot.conversation import ReplyKind
        from bot.surfaces.console import source_lines

        self.offered = reply.statements
        if reply.kind is ReplyKind.INVALID:
            self.write(reply.text)
            return
        if reply.kind is ReplyKind.ANSWER:
            if reply.personal and reply.personal_text:
                self.write("== Your retake eligibility ==")
                self.show_markdown(reply.personal_text)
            else:
                self.write(f"== {reply.title} ==")
                self.show_markdown(reply.text)
            if reply.sources:
                self.write("\nSources:")
                for line in source_lines(reply.sources):
                    self.write(f"  {line}")
        elif reply.kind is ReplyKind.STATEMENT:
            self.show_markdown(
                re.sub(r"Want me to log (it|all \d+)\?", r"Type yes to log \1.", reply.text)
            )
            if reply.personal_text:
                self.write()
                self.show_markdown(reply.personal_text)
        else:
            self.show_markdown(reply.text)
        offered = list(reply.suggestions) or list(reply.related)
        self.topics = offered
        if offered:
            heading = "Did you mean:" if reply.suggestions else "Related:"
            self.write(f"\n{heading}")
            for number, topic in enumerate(offered, 1):
                self.write(f"  {number}. {topic.question}")
            self.write("(type a number to open one)")

    async def _open_topic(self, number: int) -> None:
        from bot.conversation import answer_entry, no_log_text, personal_status_text

        if not 1 <= number <= len(self.topics):
            self.write(f"Pick a number between 1 and {len(self.topics)}.")
            return
        now = self.clock()
        surface = self.surface
        reply = await answer_entry(
            self.topics[number - 1].entry_id,
            knowledge=self.knowledge,
            now=now,
            commands=surface.commands,
        )
        if reply is None:
            self.write("That topic isn't in the knowledge base any more.")
            return
        if reply.personal:
            from dataclasses import replace

            text = await personal_status_text(
                self.db, self.knowledge.kb, self.user_id, now, surface
            )
            reply = replace(reply, personal_text=text or no_log_text(surface))
        self.show(reply)

    async def _log(self, parts: list[str]) -> None:
        from bot.member_log import PersonalInputError, log_attempt

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
            self.write(f"'{shown(score_text)}' is not a score. {usage}")
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
        self.memory.remember(self.user_id, logged.exam.code, now)
        self._show_logged([logged], now)

    def _show_logged(self, logged: list[LoggedAttempt], now: dt.datetime) -> None:
        from bot.surfaces.personal import describe_logged

        for item in logged:
            text = describe_logged(item, self.surface, now)
            text = text.replace("set it (Set the time)", f"type: edit {item.attempt.id} time HH:MM")
            self.show_markdown(text)
            for other in item.same_day:
                self.write(f"To merge them, type: merge {item.attempt.id} {other.id}")

    async def _log_offered(self) -> None:
        from bot.member_log import PersonalInputError, log_many
        from knowledge.attempt_input import validate_attempt_input

        offered, self.offered = self.offered, ()
        now, kb = self.clock(), self.knowledge.kb
        try:
            checked = [
                validate_attempt_input(
                    kb,
                    exam=s.exam_code,
                    date=s.date.isoformat(),
                    result=s.result,
                    time=None if s.time is None else f"{s.time:%H:%M}",
                    score=None,
                )
                for s in offered
            ]
            logged = await log_many(
                self.db, kb, self.user_id, checked, now=now, timezone=self.timezone
            )
        except PersonalInputError as exc:
            self.write(exc.message)
            return
        self._show_logged(logged, now)

    async def _list(self) -> None:
        from bot.member_log import numbered_attempts
        from bot.surfaces.personal import describe_attempts

        attempts = await self.db.attempts.list_for_user(self.user_id)
        numbers = numbered_attempts(attempts, self.knowledge.kb.policy)
        self.show_markdown(describe_attempts(attempts, numbers, self.surface))

    async def _edit(self, args: list[str]) -> None:
        from bot.member_log import PersonalInputError, edit_attempt

        usage = "Usage: edit ID [date YYYY-MM-DD] [time HH:MM] [pass|fail] [score N]"
        if not args or not args[0].isdigit():
            self.write(usage)
            return
        changes: dict[str, str | int] = {}
        rest = args[1:]
        while rest:
            key = rest.pop(0).casefold()
            if key in {"pass", "fail", "passed", "failed"}:
                changes["result"] = key
            elif key in {"date", "time", "score"} and rest:
                value = rest.pop(0)
                if key == "score":
                    if not value.isdigit():
                        self.write(f"'{shown(value)}' is not a score. {usage}")
                        return
                    changes[key] = int(value)
                else:
                    changes[key] = value
            else:
                self.write(usage)
                return
        if not changes:
            self.write(usage)
            return
        now = self.clock()
        try:
            logged = await edit_attempt(
                self.db, self.knowledge.kb, self.user_id, int(args[0]), now=now,
                timezone=self.timezone, **changes,  # type: ignore[arg-type]
            )  # fmt: skip
        except PersonalInputError as exc:
            self.write(f"{exc.message} Nothing was changed.")
            return
        self._show_logged([logged], now)

    async def _delete(self, args: list[str]) -> None:
        from bot.member_log import delete_attempt

        if len(args) != 1 or not args[0].isdigit():
            self.write("Usage: delete ID (the id shown by list)")
            return
        deleted = await delete_attempt(
            self.db, self.knowledge.kb, self.user_id, int(args[0]), self.clock()
        )
        if deleted is None:
            self.write(f"Attempt id {args[0]} isn't one of your attempts (see: list).")
            return
        fmt = self.surface.time
        self.write(
            f"Deleted your {deleted.exam_code} {deleted.result} attempt of "
            f"{fmt(deleted.taken_at)} (id {deleted.id}). Your eligibility was recomputed."
        )

    async def _merge(self, args: list[str]) -> None:
        from bot.member_log import PersonalInputError, merge_attempts

        if len(args) != 2 or not all(a.isdigit() for a in args):
            self.write("Usage: merge KEEP DROP (two ids shown by list)")
            return
        try:
            kept = await merge_attempts(
                self.db, self.knowledge.kb, self.user_id, int(args[0]), int(args[1]),
                self.clock(), timezone=self.timezone,
            )  # fmt: skip
        except PersonalInputError as exc:
            self.write(f"{exc.message} Nothing was changed.")
            return
        self.write(f"Merged: kept id {kept.id}, removed id {args[1]}.")

    async def _eligibility(self, code: str | None) -> None:
        from bot.member_log import PersonalInputError, member_status
        from bot.surfaces.personal import describe_status

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
        self.show_markdown("\n\n".join(describe_status(s, self.surface, now) for s in statuses))

    async def _remind(self, args: list[str]) -> None:
        from bot.member_log import (
            PersonalInputError,
            canonical_code,
            disable_reminder,
            enable_reminder,
        )
        from bot.surfaces.personal import describe_reminder

        if len(args) != 2 or args[1].casefold() not in {"on", "off"}:
            self.write("Usage: remind CODE on|off")
            return
        try:
            code = canonical_code(args[0])
        except PersonalInputError as exc:
            self.write(exc.message)
            return
        if args[1].casefold() == "off":
            was_on = await disable_reminder(self.db, self.user_id, code)
            self.write("Reminder turned off." if was_on else f"You had no reminder on for {code}.")
            return
        now = self.clock()
        outcome = await enable_reminder(self.db, self.knowledge.kb, self.user_id, code, now)
        text = describe_reminder(outcome, self.surface).replace("DM you", "remind you")
        if outcome.reminder is not None:
            text += f" Due {self.surface.time(outcome.reminder.due_at)}. {REMINDER_NOTE}"
        self.show_markdown(text)

    async def _export(self, target: str | None) -> None:
        import json

        document = await self.db.export_user(self.user_id)
        text = json.dumps(document, indent=2, ensure_ascii=False)
        if target is None:
            self.write(text)
            return
        try:
            Path(target).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            self.write(f"Couldn't write {shown(target)}: {exc.strerror or exc}. Nothing was saved.")
            return
        self.write(f"Saved everything stored about you to {shown(target)}.")

    async def _exam(self, code_text: str) -> None:
        from bot.surfaces.catalog import exam_card
        from knowledge.codes import InvalidExamCodeError, normalize_exam_code

        try:
            code = normalize_exam_code(code_text)
        except InvalidExamCodeError as exc:
            self.write(str(exc))
            return
        exam = self.knowledge.kb.exams.get(code)
        if exam is None:
            self.write(
                f"{code} isn't in my catalog: check its page on Microsoft Learn. The general "
                "retake policy applies to role-based, specialty and Fundamentals exams."
            )
            return
        card = exam_card(exam, self.knowledge.kb, self.clock())
        lines = [f"== {card.title} =="] + [f"**{name}:** {value}" for name, value, _ in card.fields]
        self.show_markdown("\n".join(lines))
        from bot.surfaces.console import source_lines

        if exam.sources:
            self.write("\nSources:")
            for line in source_lines(exam.sources):
                self.write(f"  {line}")

    async def _ask_to_forget(self) -> None:
        self.forget_pending = True
        self.show_markdown(
            "This erases every attempt, setting and reminder stored about you, for good. "
            "Type yes to erase them; anything else keeps them."
        )

    async def _forget(self) -> None:
        counts = await self.db.forget_user(self.user_id)
        self.memory.forget(self.user_id)
        self.offered = ()
        total = sum(counts.values())
        self.write(f"Done: everything stored about you is erased ({total} records).")

    async def _set_timezone(self, name: str) -> None:
        from knowledge.zones import InvalidTimezoneError, resolve_timezone

        try:
            canonical = resolve_timezone(name)
            await self.db.settings.set_timezone(self.user_id, canonical)
        except InvalidTimezoneError as exc:
            self.write(exc.message)
            return
        except ValueError:
            self.write(f"Unknown time zone '{shown(name)}': use an IANA name like Europe/Paris.")
            return
        self.timezone = await self.db.settings.get_timezone(self.user_id)
        self.write(f"Time zone set to {self.timezone}.")


def _recent_exams() -> RecentExams:
    from bot.conversation_memory import RecentExams

    return RecentExams()


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
