"""The free-text core shared by DMs, @mentions, ``/ask`` and the console: no discord here.

:func:`respond` turns one message into a :class:`ConversationReply` (structured data);
each front end renders it its own way: an embed with buttons on Discord, plain text in
the terminal. Keeping one core means a DM and the console always agree.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from bot.conversation_memory import RecentExams
from bot.knowledge_state import KnowledgeState
from bot.member_log import (
    PersonalInputError,
    engine_attempts,
    exam_status,
    member_status,
    what_if_failure,
)
from bot.storage import Database
from bot.surfaces import Surface
from bot.surfaces.personal import (
    describe_general_rule,
    describe_status,
    describe_what_if,
    retirement_lead,
)
from bot.taught import OFF_TOPIC
from knowledge.answers import (
    SMALL_TALK,
    Answer,
    InvalidQuestionError,
    answer_question,
    clean_question,
    exam_notes,
)
from knowledge.attempt_input import place_attempt
from knowledge.help_pages import Pointer, help_page_for
from knowledge.intents import (
    impossible_days,
    named_codes,
    parse_statements,
    parse_what_if,
    refers_to_context,
)
from knowledge.matcher import NOT_COVERED
from knowledge.models import KnowledgeBase, Source
from knowledge.normalize import exam_codes, normalize
from knowledge.rules import Attempt, AttemptResult, Eligibility, evaluate
from knowledge.statements import AttemptStatement
from knowledge.templating import DEFAULT_COMMANDS, render
from knowledge.zones import load_zone

log = logging.getLogger(__name__)

TimeFormat = Callable[[dt.datetime], str]

# "Did you mean…" offers at most this many questions (buttons on Discord).
MAX_SUGGESTIONS = 3
# Related topics offered under an answer.
MAX_RELATED = 4
# Why the matcher abstained when the question looked on topic: unsure, or no reason.
_UNANSWERED_REASONS = frozenset({None, "unsure", NOT_COVERED})
# The reason of an answer withheld because the server's moderators taught the question
# as off-topic (/kb teach … entry:off-topic).
TAUGHT_OFF_TOPIC = "taught off-topic"


class ReplyKind(StrEnum):
    """What sort of reply this is; front ends pick a layout from it."""

    ANSWER = "answer"  # an entry answered (maybe with "did you mean" alternatives)
    SUGGESTIONS = "suggestions"  # unsure: only "did you mean" candidates
    NO_MATCH = "no_match"  # honest "I don't know"; the question was recorded
    INVALID = "invalid"  # empty, too long, no words: ``text`` says why
    STATEMENT = "statement"  # stated attempts worth logging (``statements``)
    WHAT_IF = "what_if"  # a hypothetical on the member's own log; nothing stored


class Topic(NamedTuple):
    """An entry offered as a button or a numbered choice."""

    entry_id: str
    question: str


@dataclass(frozen=True)
class ConversationReply:
    """Everything a front end needs to show one answer.

    ``text`` is always safe to show publicly. For a personal entry (``personal=True``)
    the member's own status is in ``personal_text`` (Markdown), only when it was asked
    for with ``include_personal=True``: the caller decides where it may be shown.
    ``statements`` are attempts the member stated, offered for logging (one confirm
    for all); ``statement`` is the only one when there is exactly one. ``exam_code`` is
    the exam the reply is about, remembered for "it" and "again".
    """

    kind: ReplyKind
    text: str
    question: str
    entry_id: str | None = None
    title: str | None = None
    confidence: float = 0.0
    suggestions: tuple[Topic, ...] = ()
    related: tuple[Topic, ...] = ()
    sources: tuple[Source, ...] = ()
    personal: bool = False
    personal_text: str | None = None
    statements: tuple[AttemptStatement, ...] = ()
    exam_code: str | None = None
    # The official page to look at when no entry answers (NO_MATCH, SUGGESTIONS).
    pointer: Pointer | None = None
    # Why the entry on the question's topic did not answer ("I have that only for
    # AI-102 and AI-103, not for AZ-104."), for the embeds, which word their own text.
    note: str | None = None

    @property
    def statement(self) -> AttemptStatement | None:
        return self.statements[0] if len(self.statements) == 1 else None


def topics(
    kb: KnowledgeBase, entry_ids: list[str] | tuple[str, ...], limit: int
) -> tuple[Topic, ...]:
    """Known entries among ``entry_ids`` as topics, in order, without duplicates."""
    seen: set[str] = set()
    found: list[Topic] = []
    for entry_id in entry_ids:
        entry = kb.entries.get(entry_id)
        if entry is None or entry_id in seen:
            continue
        seen.add(entry_id)
        found.append(Topic(entry_id, entry.question))
    return tuple(found[:limit])


def _default_surface(time_format: TimeFormat | None) -> Surface:
    """Discord's surface (imported only when needed: the console never loads discord)."""
    from bot.surfaces.discord import DISCORD

    if time_format is None:
        return DISCORD
    return Surface("custom", time_format, DEFAULT_COMMANDS, DISCORD.small)


async def personal_status_text(
    db: Database,
    kb: KnowledgeBase,
    user_id: int,
    now: dt.datetime,
    fmt: TimeFormat | Surface,
    exam_code: str | None = None,
) -> str | None:
    """The member's own eligibility for every exam they logged (or only ``exam_code``,
    with the general rule when they logged nothing for it), or ``None`` with no log."""
    surface = fmt if isinstance(fmt, Surface) else _default_surface(fmt)
    if exam_code is not None:
        status = await exam_status(db, kb, user_id, exam_code, now)
        if not status.attempts:
            lead = retirement_lead(status.exam, surface, now)
            if status.exam.is_retired(now):
                assert lead is not None
                return lead  # nothing to compute: nobody can sit it any more
            body = describe_general_rule(status.exam, status.eligibility, surface)
            return f"{lead}\n{body}" if lead else body
        return describe_status(status, surface, now)
    statuses = await member_status(db, kb, user_id, None, now)
    if not statuses:
        return None
    return "\n\n".join(describe_status(status, surface, now) for status in statuses)


def _when(statement: AttemptStatement) -> str:
    when = f"{statement.date:%a} {statement.date.day} {statement.date:%b %Y}"
    if statement.time is not None:
        when += f" at {statement.time:%H:%M}"
    return when


def statement_text(statements: tuple[AttemptStatement, ...] | AttemptStatement) -> str:
    """What the member told us, read back, with the offer to log it."""
    items = (statements,) if isinstance(statements, AttemptStatement) else statements
    lines = []
    for statement in items:
        verb = "passed" if statement.result == "pass" else "failed"
        lines.append(f"- you {verb} **{statement.exam_code}** on {_when(statement)}")
    ask = "Want me to log it?" if len(items) == 1 else f"Want me to log all {len(items)}?"
    return "It sounds like:\n" + "\n".join(lines) + f"\n{ask} Nothing is stored until you say so."


def no_log_text(surface: Surface) -> str:
    return (
        "You haven't logged any attempts yet, so I can't work out your own dates. "
        f"Log each attempt with {surface.command('log')} (exam, date, pass or fail), then "
        f"ask again or use {surface.command('eligibility')}."
    )


def _only_for_text(only_for: tuple[str, ...], question: str) -> str | None:
    """"I have that only for AI-103 and AI-102, not for AZ-104.": why an entry on the
    question's topic did not answer (its facts are about other exams)."""
    if not only_for:
        return None
    asked = [c for c in dict.fromkeys(exam_codes(normalize(question))) if c not in only_for]
    others = f", not for {' or '.join(asked)}" if asked else ""
    return f"I have that only for {' and '.join(only_for)}{others}."


def greeting_text(surface: Surface) -> str:
    return (
        "Hi! 👋 I answer questions about Microsoft certification exam policies: passing "
        "scores, retake waits, attempt limits, refunds, retirements… Try asking "
        f"“how long do I wait after failing?” or “when can I retake?”. {surface.command('help')} "
        "lists everything."
    )


NO_LOG_TEXT = no_log_text(Surface("discord", str, DEFAULT_COMMANDS, str))
GREETING_TEXT = greeting_text(Surface("discord", str, DEFAULT_COMMANDS, str))


async def _preview(
    db: Database,
    kb: KnowledgeBase,
    user_id: int,
    statements: tuple[AttemptStatement, ...],
    now: dt.datetime,
    timezone: str,
    surface: Surface,
) -> str:
    """The eligibility the stated attempts would give, computed without storing them."""
    zone = load_zone(timezone)
    texts = []
    for code in dict.fromkeys(s.exam_code for s in statements):
        exam = kb.exam(code)
        stored = await db.attempts.list_for_user(user_id, code)
        log_ = engine_attempts(stored)
        for s in statements:
            if s.exam_code != code:
                continue
            try:
                placed = place_attempt(s.date, s.time, zone, now)
            except PersonalInputError:
                continue
            log_.append(Attempt(placed.taken_at, AttemptResult(s.result)))
        verdict: Eligibility = evaluate(log_, exam, now, kb.policy)
        from bot.member_log import ExamStatus

        status = ExamStatus(exam, [], verdict, None, kb.policy)
        heading = "If you log it" if len(statements) == 1 else "If you log them"
        texts.append(f"**{heading}:**\n" + describe_status(status, surface, now))
    return "\n\n".join(texts)


async def _what_if_reply(
    request_code: str | None,
    day: dt.date | None,
    moment: dt.time | None,
    *,
    question: str,
    user_id: int,
    db: Database,
    kb: KnowledgeBase,
    now: dt.datetime,
    timezone: str,
    surface: Surface,
) -> ConversationReply:
    code = request_code
    if code is None:
        logged = await db.attempts.exam_codes_for_user(user_id)
        if len(logged) == 1:
            code = logged[0]
    if code is None:
        return ConversationReply(
            ReplyKind.WHAT_IF,
            "Which exam? Ask like “what if I fail AZ-104 on 20 December?” and I'll work it "
            "out from your own log (nothing is stored).",
            question,
        )
    zone = load_zone(timezone)
    if day is None:
        # "What if I fail again?": at the next chance the member has.
        status = await exam_status(db, kb, user_id, code, now)
        at = status.eligibility.earliest if status.eligibility.earliest else now
        at = max(at, now).astimezone(zone)
        day, moment = at.date(), at.time().replace(second=0, microsecond=0)
    try:
        result = await what_if_failure(
            db, kb, user_id, code, day, moment, now=now, timezone=timezone
        )
    except PersonalInputError as exc:
        return ConversationReply(ReplyKind.INVALID, exc.message, question, exam_code=code)
    text = describe_what_if(result, surface, now)
    return ConversationReply(
        ReplyKind.WHAT_IF, text, question, personal=True, personal_text=text,
        exam_code=result.exam.code,
    )  # fmt: skip


async def respond(
    text: str,
    *,
    user_id: int,
    db: Database,
    knowledge: KnowledgeState,
    now: dt.datetime,
    timezone: str | None = None,
    time_format: TimeFormat | None = None,
    surface: Surface | None = None,
    memory: RecentExams | None = None,
    include_personal: bool = True,
    record_unanswered: bool = True,
    guild_id: int | None = None,
) -> ConversationReply:
    """Answer one free-text message from ``user_id``.

    - invalid input → :attr:`ReplyKind.INVALID` with a friendly ``text``, nothing stored;
    - with ``include_personal`` (a DM, the console): a what-if ("what if I fail on 20
      Dec?") is answered from the member's own log, labelled hypothetical; stated
      attempts ("failed AI-103 on 3 Nov and again on 20 Nov") are offered for logging,
      with the eligibility they would give; "it"/"again" mean the exam of the recent
      conversation (``memory``), and a personal question naming an exam is about that
      exam only;
    - no match → :attr:`ReplyKind.NO_MATCH`, recorded as unanswered for the moderators
      of ``guild_id`` (``None``: a DM or the console, seen by no server);
    - unsure → :attr:`ReplyKind.SUGGESTIONS`; otherwise the rendered answer.

    Times and command names follow ``surface`` (Discord's by default).
    """
    surface = surface or _default_surface(time_format)
    kb, matcher = knowledge.kb, knowledge.matcher
    try:
        answer = None
        if guild_id is not None:
            answer = await _taught_answer(text, guild_id, db, kb, now, surface)
        if answer is None:
            answer = answer_question(kb, matcher, text, now, surface.commands)
    except InvalidQuestionError as exc:
        return ConversationReply(ReplyKind.INVALID, str(exc), question=text[:200])
    question = " ".join(text.split())
    if timezone is None:
        timezone = await db.settings.get_timezone(user_id)
    zone = load_zone(timezone)
    codes = named_codes(question)
    recent = memory.recall(user_id, now) if memory is not None else None
    pointing_back = refers_to_context(question)
    topic = codes[0] if len(codes) == 1 else (recent if not codes and pointing_back else None)

    reply = await _personal_reply(
        question, answer, codes, topic, recent, pointing_back,
        user_id=user_id, db=db, kb=kb, now=now, timezone=timezone, zone=zone,
        surface=surface, include_personal=include_personal,
    ) if include_personal else None  # fmt: skip
    if reply is None:
        reply = await _faq_reply(
            question, answer, topic,
            user_id=user_id, db=db, kb=kb, now=now, surface=surface,
            include_personal=include_personal, record_unanswered=record_unanswered,
            guild_id=guild_id,
        )  # fmt: skip
    if memory is not None and reply.exam_code is not None:
        memory.remember(user_id, reply.exam_code, now)
    return reply


async def _taught_answer(
    text: str,
    guild_id: int,
    db: Database,
    kb: KnowledgeBase,
    now: dt.datetime,
    surface: Surface,
) -> Answer | None:
    """The answer this server's moderators taught for ``text`` (or a close rephrasing
    of it), or None: then the shipped matcher decides. Raises
    :class:`InvalidQuestionError` as :func:`answer_question` does."""
    cleaned = clean_question(text)
    taught = (await db.taught.index(guild_id)).match(cleaned, kb.entries)
    if taught is None:
        return None
    if taught.entry_id == OFF_TOPIC:
        return Answer(None, 1.0, None, [], TAUGHT_OFF_TOPIC)
    entry = kb.entries[taught.entry_id]
    rendered = render(entry.answer, kb, now, surface.commands)
    notes = exam_notes(kb, cleaned, entry, rendered, now)
    return Answer(entry, 1.0, f"{notes}\n\n{rendered}" if notes else rendered, [])


async def _personal_reply(
    question: str,
    answer: Any,
    codes: list[str],
    topic: str | None,
    recent: str | None,
    pointing_back: bool,
    *,
    user_id: int,
    db: Database,
    kb: KnowledgeBase,
    now: dt.datetime,
    timezone: str,
    zone: ZoneInfo,
    surface: Surface,
    include_personal: bool,
) -> ConversationReply | None:
    """What-ifs and stated attempts, which only make sense in private; ``None`` when
    the message is neither."""
    request = parse_what_if(question, now, zone)
    if request is not None:
        code = request.exam_code or (recent if request.refers_to_context or not codes else None)
        return await _what_if_reply(
            code, request.date, request.time,
            question=question, user_id=user_id, db=db, kb=kb, now=now,
            timezone=timezone, surface=surface,
        )  # fmt: skip
    bad_days = impossible_days(question)
    context = recent if pointing_back else None
    statements = tuple(parse_statements(question, now, zone, context=context))
    if not statements and bad_days and named_codes(question) + ([recent] if recent else []):
        return ConversationReply(
            ReplyKind.INVALID,
            f"{bad_days[0]} isn't a real date, so I didn't log anything: check the day "
            "and tell me again.",
            question,
        )
    if not statements:
        return None
    preview = await _preview(db, kb, user_id, statements, now, timezone, surface)
    text = statement_text(statements)
    return ConversationReply(
        ReplyKind.STATEMENT, text, question, confidence=answer.confidence,
        personal=True, personal_text=preview or None, statements=statements,
        exam_code=statements[-1].exam_code,
    )  # fmt: skip


async def _faq_reply(
    question: str,
    answer: Any,
    topic: str | None,
    *,
    user_id: int,
    db: Database,
    kb: KnowledgeBase,
    now: dt.datetime,
    surface: Surface,
    include_personal: bool,
    record_unanswered: bool,
    guild_id: int | None,
) -> ConversationReply:
    suggestions = topics(
        kb, [s for s in answer.suggestions if s != answer.entry_id], MAX_SUGGESTIONS
    )
    if answer.entry is None:
        # An on-topic question no entry answers: say so and point to the page most
        # likely to have it, never a neighbouring entry's answer (off-topic families
        # and small talk carry their own reason and get no pointer).
        pointer = (help_page_for(kb, question, answer.uncovered_topic)
                   if answer.reason in _UNANSWERED_REASONS else None)
        lead = _only_for_text(answer.only_for, question)
        where = (
            f" The official page most likely to have it: [{pointer.title}]({pointer.url})."
            if pointer
            else ""
        )
        if suggestions:
            if record_unanswered and pointer is not None:
                await db.unanswered.record(question, guild_id)
            return ConversationReply(
                ReplyKind.SUGGESTIONS,
                (lead or "I'm not sure I have an answer for that.") + where
                + " Maybe one of these?",
                question,
                confidence=answer.confidence,
                suggestions=suggestions,
                exam_code=topic,
                pointer=pointer,
                note=lead,
            )
        if answer.reason == TAUGHT_OFF_TOPIC:
            # The moderators said so: not for the bot, and no question to write up.
            return ConversationReply(
                ReplyKind.NO_MATCH,
                "I don't have an answer for that: this server's moderators marked it as "
                "outside what I cover (Microsoft certification exam policies: retakes, "
                f"scoring, retirements…). Try {surface.command('help')} to see what I can do.",
                question,
                confidence=answer.confidence,
                exam_code=topic,
            )
        if answer.reason == SMALL_TALK:
            # "hi" / "thanks" are not questions the maintainers should write answers for.
            return ConversationReply(
                ReplyKind.NO_MATCH, greeting_text(surface), question,
                confidence=answer.confidence,
            )  # fmt: skip
        if record_unanswered:
            await db.unanswered.record(question, guild_id)
        if pointer is not None:
            text = (
                (lead or "I don't have a sourced answer for that.") + where + " I've noted your "
                "question so the maintainers can add an answer."
            )
        else:
            text = (
                "I don't have an answer for that. I only know Microsoft certification exam "
                "policies (retakes, scoring, retirements…); I've noted your question so the "
                f"maintainers can add an answer. Try {surface.command('help')} to see what I "
                "can do."
            )
        return ConversationReply(
            ReplyKind.NO_MATCH,
            text,
            question,
            confidence=answer.confidence,
            exam_code=topic,
            pointer=pointer,
            note=lead,
        )

    entry = answer.entry
    personal_text = None
    if entry.personal and include_personal:
        personal_text = await personal_status_text(
            db, kb, user_id, now, surface, exam_code=topic
        )
        if personal_text is None:
            personal_text = no_log_text(surface)
    return ConversationReply(
        ReplyKind.ANSWER,
        answer.text or "",
        question,
        entry_id=entry.id,
        title=entry.question,
        confidence=answer.confidence,
        suggestions=suggestions,
        related=topics(kb, [r for r in entry.related if r != entry.id], MAX_RELATED),
        sources=entry.sources,
        personal=entry.personal,
        personal_text=personal_text,
        exam_code=topic,
    )


async def answer_entry(
    entry_id: str,
    *,
    knowledge: KnowledgeState,
    now: dt.datetime,
    commands: Mapping[str, str] | None = None,
) -> ConversationReply | None:
    """The reply for one known entry (a related-topic or "did you mean" click)."""
    kb = knowledge.kb
    entry = kb.entries.get(entry_id)
    if entry is None:
        return None
    return ConversationReply(
        ReplyKind.ANSWER,
        render(entry.answer, kb, now, commands),
        entry.question,
        entry_id=entry.id,
        title=entry.question,
        confidence=1.0,
        related=topics(kb, [r for r in entry.related if r != entry.id], MAX_RELATED),
        sources=entry.sources,
        personal=entry.personal,
    )
