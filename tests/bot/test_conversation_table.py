"""Multi-turn conversations, turn by turn: what the member says, what is answered, what
is stored. Every conversation runs on two surfaces (a DM and the console), through the
same core (:func:`bot.conversation.respond`) with a real database and the real
knowledge files; "confirm" is the member pressing "Log it"/"Log all" (typing ``yes`` in
the console), which goes through :func:`bot.member_log.log_many` like the buttons do.

Dates in expectations are written ``{t:2026-11-27T10:00Z}`` and rendered per surface
(a Discord timestamp in a DM, local time in the console), so one table checks both.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.conversation import ConversationReply, ReplyKind, respond
from bot.conversation_memory import RecentExams
from bot.knowledge_state import KnowledgeState
from bot.member_log import edit_attempt, log_attempt, log_many
from bot.storage import Database
from bot.surfaces import Surface
from bot.surfaces.console import console_surface
from bot.surfaces.discord import DISCORD
from knowledge.attempt_input import validate_attempt_input

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)  # a Thursday
USER = 4242
_T_RE = re.compile(r"\{t:([^}]+)\}")


@dataclass(frozen=True)
class Turn:
    say: str
    kind: ReplyKind | None = None
    has: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()
    stored: int | None = None  # attempts in the member's log after this turn
    confirm: bool = False  # the member accepts the offer to log what they said
    later: dt.timedelta = dt.timedelta(0)  # how long after the previous turn


@dataclass(frozen=True)
class Conversation:
    name: str
    turns: tuple[Turn, ...]
    # (exam, date, result, time) logged before the conversation starts
    log: tuple[tuple[str, str, str, str | None], ...] = ()
    timezone: str = "UTC"
    edit_after_turn: dict[int, dict[str, str]] = field(default_factory=dict)


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _expect(text: str, surface: Surface) -> str:
    return _T_RE.sub(lambda m: surface.time(_instant(m.group(1))), text)


def _shown(reply: ConversationReply) -> str:
    return "\n".join(p for p in (reply.text, reply.personal_text or "") if p)


C = Conversation
T = Turn
W, S, A, BAD = ReplyKind.WHAT_IF, ReplyKind.STATEMENT, ReplyKind.ANSWER, ReplyKind.INVALID
FAIL_AI103_TODAY_9AM = (("AI-103", "2026-11-26", "fail", "09:00"),)
FAIL_AI103_TWICE = (
    ("AI-103", "2026-11-02", "fail", "10:00"),
    ("AI-103", "2026-11-20", "fail", "10:00"),
)

CONVERSATIONS: tuple[Conversation, ...] = (
    # --- hypotheticals: answered from the member's own log, labelled, nothing stored
    C("what-if on a named day after one failure", (
        T("what if I fail again on 20 December?", W,
          ("Hypothetical", "nothing is logged", "{t:2027-01-03T23:59Z}"), stored=1),
    ), FAIL_AI103_TODAY_9AM),
    C("what-if tomorrow with the exam named", (
        T("if I fail AZ-104 tomorrow, when's my next chance", W,
          ("Hypothetical", "AZ-104", "{t:2026-11-28T23:59Z}"), stored=0),
    )),
    C("what-if without a day: at the next chance", (
        T("what if I fail again?", W, ("Hypothetical", "{t:2026-12-11T09:00Z}"), stored=1),
    ), FAIL_AI103_TODAY_9AM),
    C("what-if after two failures: 14 days", (
        T("what if I fail AI-103 on 10 December", W,
          ("Hypothetical", "{t:2026-12-24T23:59Z}", "3rd attempt"), stored=2),
    ), FAIL_AI103_TWICE),
    C("what-if too soon: not allowed then", (
        T("what if I fail AI-103 on 1 December", W,
          ("couldn't sit it then", "{t:2026-12-04T10:00Z}"), stored=2),
    ), FAIL_AI103_TWICE),
    C("what-if in the past is refused", (
        T("what if I failed AI-103 on 2026-11-01", BAD, ("in the past",), stored=0),
    )),
    C("what-if more than two years ahead is refused", (
        T("what if I fail AI-103 on 2029-06-01", BAD, ("more than two years",), stored=0),
    )),
    C("what-if with several logged exams and none named asks which", (
        T("what if I fail next week", W, ("Which exam?",), stored=2),
    ), (("AI-103", "2026-11-20", "fail", "10:00"), ("AZ-104", "2026-11-21", "fail", "10:00"))),
    C("what-if uses the exam of the conversation", (
        T("when can I retake AZ-104?", A, ("AZ-104",)),
        T("what if I fail it on Monday", W, ("AZ-104", "{t:2026-12-01T23:59Z}"), stored=0),
    )),
    C("what-if about a retired exam leads with the retirement", (
        T("what if I fail AI-102 tomorrow", W,
          ("AI-102 retired on", "successor is **AI-103**"), stored=0),
    )),
    # --- stated attempts: offered, confirmed once for all, then counted
    C("two dated failures and a question: one offer for both", (
        T("I failed AI-103 on 3 November and again on 20 November, when can I retake?", S,
          ("failed **AI-103** on Tue 3 Nov 2026", "failed **AI-103** on Fri 20 Nov 2026",
           "log all 2", "If you log them", "{t:2026-12-04T23:59Z}"), stored=0),
        T("yes", confirm=True, stored=2),
    )),
    C("passed last Friday", (
        T("passed az-104 last Friday", S, ("passed **AZ-104** on Fri 20 Nov 2026",), stored=0),
        T("yes", confirm=True, stored=1),
        T("when can I retake AZ-104?", A, ("Passed",), stored=1),
    )),
    C("'it' and 'again' are the exam we were talking about", (
        T("when can I retake AI-103?", A, ("AI-103",)),
        T("failed it again today", S, ("failed **AI-103** on Thu 26 Nov 2026",), stored=0),
        T("yes", confirm=True, stored=1),
    )),
    C("'it' is forgotten after thirty minutes", (
        T("when can I retake AI-103?", A, ("AI-103",)),
        T("failed it again today", later=dt.timedelta(minutes=31),
          lacks=("failed **AI-103**",), stored=0),
    )),
    C("one statement, nothing stored until confirmed", (
        T("failed AI-103 yesterday", S, ("Want me to log it?", "Nothing is stored"), stored=0),
        T("when can I retake?", A, ("haven't logged any attempts",), stored=0),
    )),
    C("an impossible date is refused, nothing changed", (
        T("failed AI-103 on 31 Feb", BAD, ("31 feb", "isn't a real date"), stored=0),
    )),
    C("a statement in the future is not offered", (
        T("failed AI-103 on 2026-12-24", lacks=("Want me to log",), stored=0),
    )),
    C("two exams in one clause: not guessed", (
        T("failed AI-103 and AZ-104 yesterday", lacks=("Want me to log",), stored=0),
    )),
    C("statements for two exams in two sentences", (
        T("I failed AI-103 on 3 Nov. I passed AZ-104 on 5 Nov.", S,
          ("failed **AI-103**", "passed **AZ-104**"), stored=0),
        T("yes", confirm=True, stored=2),
    )),
    C("confirming what is already logged stores nothing twice", (
        T("failed AI-103 on 2026-11-20 at 10:00", S, ("failed **AI-103**",), stored=2),
        T("yes", confirm=True, stored=2, has=("already logged",)),
    ), FAIL_AI103_TWICE),
    # --- a question naming an exam answers about that exam only
    C("named exam with nothing logged: the general rule and how to log", (
        T("when can I retake AZ-104?", A,
          ("haven't logged any **AZ-104** attempts", "`/attempt log`"),
          lacks=("**AI-103**",), stored=1),
    ), FAIL_AI103_TODAY_9AM),
    C("named exam among several logged: only that one", (
        T("when can I retake AZ-104?", A, ("AZ-104",), lacks=("**AI-103**",)),
    ), (("AI-103", "2026-11-20", "fail", "10:00"), ("AZ-104", "2026-11-21", "fail", "10:00"))),
    C("no exam named: every logged exam", (
        T("when can I retake?", A, ("AI-103", "AZ-104")),
    ), (("AI-103", "2026-11-20", "fail", "10:00"), ("AZ-104", "2026-11-21", "fail", "10:00"))),
    C("a retired exam leads with retirement and successor", (
        T("can I still take AI-102 next week?", A,
          ("AI-102 retired on", "successor is **AI-103**"),
          lacks=("haven't logged any attempts yet",)),
    )),
    C("retired exam with attempts logged", (
        T("when can I retake AI-102?", A, ("AI-102 retired on", "Retired")),
    ), (("AI-102", "2026-06-01", "fail", "10:00"),)),
    C("'that exam' after naming one", (
        T("when can I retake AZ-104?", A, ("AZ-104",)),
        T("when can I retake that exam?", A, ("AZ-104",), lacks=("**AI-103**",)),
    ), FAIL_AI103_TODAY_9AM),
    C("full-width digits are the same exam", (
        T("when can I retake AI-１０３?", A, ("AI-103", "{t:2026-11-27T09:00Z}")),
    ), FAIL_AI103_TODAY_9AM),
    C("Arabic-Indic digits are the same exam", (
        T("when can I retake AI-١٠٣?", A, ("AI-103", "{t:2026-11-27T09:00Z}")),
    ), FAIL_AI103_TODAY_9AM),
    # --- the member's own log, read back exactly
    C("first failure: 24 hours", (
        T("when can I retake?", A, ("{t:2026-11-27T09:00Z}",), stored=1),
    ), FAIL_AI103_TODAY_9AM),
    C("second failure: 14 days", (
        T("when can I retake?", A, ("{t:2026-12-04T10:00Z}",)),
    ), FAIL_AI103_TWICE),
    C("no attempts logged at all", (
        T("when can I retake?", A, ("haven't logged any attempts yet",), stored=0),
    )),
    C("a member in another zone sees the same instant", (
        T("when can I retake?", A, ("{t:2026-11-27T00:00Z}",)),
    ), FAIL_AI103_TODAY_9AM, "Asia/Tokyo"),
    # --- correct instead of re-log
    C("an assumed time never makes a real attempt 'too soon'", (
        T("failed AI-103 yesterday", S, stored=0),
        T("yes", confirm=True, stored=1),
        T("failed AI-103 today at 11:00", S, ("failed **AI-103**",), stored=1,
          lacks=("too soon",)),
        T("yes", confirm=True, stored=2, lacks=("too soon",)),
    )),
    C("setting the time corrects in place: still one attempt", (
        T("failed AI-103 yesterday", S, stored=0),
        T("yes", confirm=True, stored=1),
        T("when can I retake?", A, ("You can take it now",), stored=1),
    ), edit_after_turn={1: {"time": "08:00"}}),
    C("after the edit the wait starts from the real time", (
        T("failed AI-103 yesterday", S, stored=0),
        T("yes", confirm=True, stored=1),
        T("when can I retake?", A, ("{t:2026-11-26T08:00Z}",), stored=1),
    ), edit_after_turn={1: {"time": "08:00"}}),
    C("two failures the same day are flagged for merging", (
        T("failed AI-103 today at 10:00", S, stored=1),
        T("yes", confirm=True, stored=2, has=("same day", "merge")),
    ), FAIL_AI103_TODAY_9AM),
    # --- ordinary questions keep working in the conversation
    C("a policy question in between keeps the exam in mind", (
        T("when can I retake AZ-104?", A, ("AZ-104",)),
        T("what is the passing score?", A, ("700",)),
        T("failed it again today", S, ("failed **AZ-104**",), stored=0),
    )),
    C("small talk gets a greeting", (
        T("hi", ReplyKind.NO_MATCH, ("I answer questions",), stored=0),
    )),
    C("the answer names commands for its surface", (
        T("when can I retake?", A, ("{cmd:log}",)),
    )),
    C("a statement with a time keeps it", (
        T("failed AI-103 on 2026-11-20 at 14:30", S, ("Fri 20 Nov 2026 at 14:30",), stored=0),
        T("yes", confirm=True, stored=1),
        T("when can I retake?", A, ("{t:2026-11-21T14:30Z}",)),
    )),
    C("a statement in the member's zone", (
        T("failed AI-103 today at 10:00", S, stored=0),
        T("yes", confirm=True, stored=1),
        T("when can I retake?", A, ("{t:2026-11-27T01:00Z}",)),
    ), timezone="Asia/Tokyo"),
    C("what-if after the limit is reached", (
        T("what if I fail AI-103 tomorrow", W, ("couldn't sit it then",), stored=5),
    ), tuple(("AI-103", d, "fail", "10:00") for d in
             ("2026-01-05", "2026-02-05", "2026-03-05", "2026-04-05", "2026-05-05"))),
)


class DmAndConsole:
    """Drives one conversation through :func:`respond` on one surface."""

    def __init__(self, db: Database, knowledge: KnowledgeState, surface: Surface) -> None:
        self.db, self.knowledge, self.surface = db, knowledge, surface
        self.memory = RecentExams()
        self.offered: ConversationReply | None = None

    async def say(self, text: str, now: dt.datetime, timezone: str) -> str:
        reply = await respond(
            text, user_id=USER, db=self.db, knowledge=self.knowledge, now=now,
            timezone=timezone, surface=self.surface, memory=self.memory,
        )  # fmt: skip
        self.offered = reply if reply.statements else None
        self.reply = reply
        return _shown(reply)

    async def confirm(self, now: dt.datetime, timezone: str) -> str:
        assert self.offered is not None, "nothing was offered to log"
        kb = self.knowledge.kb
        checked = [
            validate_attempt_input(
                kb, exam=s.exam_code, date=s.date.isoformat(), result=s.result,
                time=None if s.time is None else f"{s.time:%H:%M}", score=None,
            )
            for s in self.offered.statements
        ]  # fmt: skip
        try:
            logged = await log_many(self.db, kb, USER, checked, now=now, timezone=timezone)
        except ValueError as exc:
            return str(exc)
        from bot.surfaces.personal import describe_logged

        return "\n".join(describe_logged(item, self.surface, now) for item in logged)


SURFACES = {"dm": lambda tz: DISCORD, "console": console_surface}


@pytest.mark.parametrize("surface_name", sorted(SURFACES))
@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=lambda c: c.name)
async def test_conversation(
    conversation: Conversation, surface_name: str, tmp_path: Path, knowledge_state
):
    surface = SURFACES[surface_name](conversation.timezone)
    async with await Database.open(tmp_path / "bot.db") as db:
        for exam, date, result, time in conversation.log:
            await log_attempt(
                db, knowledge_state.kb, USER, exam=exam, date=date, result=result, time=time,
                score=None, now=NOW, timezone=conversation.timezone,
            )  # fmt: skip
        driver = DmAndConsole(db, knowledge_state, surface)
        now = NOW
        for number, turn in enumerate(conversation.turns):
            now += turn.later
            if turn.confirm:
                shown = await driver.confirm(now, conversation.timezone)
            else:
                shown = await driver.say(turn.say, now, conversation.timezone)
                if turn.kind is not None:
                    assert driver.reply.kind is turn.kind, (turn.say, shown)
            for expected in turn.has:
                wanted = _expect(expected, surface).replace(
                    "{cmd:log}", surface.command("log")
                )
                if surface_name == "console":
                    wanted = wanted.replace("`/attempt log`", surface.command("log"))
                assert wanted.lower() in shown.lower(), (turn.say, wanted, shown)
            for unexpected in turn.lacks:
                assert _expect(unexpected, surface).lower() not in shown.lower(), (turn.say, shown)
            if surface_name == "console":
                assert "/attempt" not in shown and "/eligibility" not in shown, shown
            if turn.stored is not None:
                stored = await db.attempts.list_for_user(USER)
                assert len(stored) == turn.stored, (turn.say, stored)
            for field_name, value in conversation.edit_after_turn.get(number, {}).items():
                [attempt] = await db.attempts.list_for_user(USER)
                await edit_attempt(
                    db, knowledge_state.kb, USER, attempt.id, now=now,
                    timezone=conversation.timezone, **{field_name: value},
                )  # fmt: skip


def test_the_table_is_large_enough():
    assert len(CONVERSATIONS) >= 40
