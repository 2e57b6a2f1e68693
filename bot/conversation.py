"""The free-text core shared by DMs, @mentions, ``/ask`` and the console: no discord here.

:func:`respond` turns one message into a :class:`ConversationReply` (structured data);
each front end renders it its own way: an embed with buttons on Discord, plain text in
the terminal. Keeping one core means a DM and the console always agree.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.knowledge_state import KnowledgeState
from bot.personal import describe_status, discord_time, member_status
from bot.storage import Database
from knowledge.answers import SMALL_TALK, InvalidQuestionError, answer_question
from knowledge.models import KnowledgeBase, Source
from knowledge.statements import AttemptStatement, parse_attempt_statement
from knowledge.templating import render

log = logging.getLogger(__name__)

TimeFormat = Callable[[dt.datetime], str]

# "Did you mean…" offers at most this many questions (buttons on Discord).
MAX_SUGGESTIONS = 3
# Related topics offered under an answer.
MAX_RELATED = 4


class ReplyKind(StrEnum):
    """What sort of reply this is; front ends pick a layout from it."""

    ANSWER = "answer"  # an entry answered (maybe with "did you mean" alternatives)
    SUGGESTIONS = "suggestions"  # unsure: only "did you mean" candidates
    NO_MATCH = "no_match"  # honest "I don't know"; the question was recorded
    INVALID = "invalid"  # empty, too long, no words: ``text`` says why
    STATEMENT = "statement"  # no question, but a stated attempt worth logging


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
    statement: AttemptStatement | None = None


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


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


async def personal_status_text(
    db: Database, kb: KnowledgeBase, user_id: int, now: dt.datetime, fmt: TimeFormat
) -> str | None:
    """The member's own eligibility for every exam they logged, or ``None`` with no log."""
    statuses = await member_status(db, kb, user_id, None, now)
    if not statuses:
        return None
    return "\n\n".join(describe_status(status, fmt, now) for status in statuses)


def statement_text(statement: AttemptStatement) -> str:
    """What the member told us, read back, with the offer to log it."""
    verb = "passed" if statement.result == "pass" else "failed"
    when = statement.date.isoformat()
    if statement.time is not None:
        when += f" at {statement.time:%H:%M}"
    return (
        f"It sounds like you {verb} **{statement.exam_code}** on {when}. Want me to log it? "
        "Once it's logged, ask me “when can I retake?” for your exact dates."
    )


NO_LOG_TEXT = (
    "You haven't logged any attempts yet, so I can't work out your own dates. "
    "Log each attempt with `/attempt log` (exam, date, pass or fail), then ask again "
    "or run `/eligibility`."
)

GREETING_TEXT = (
    "Hi! 👋 I answer questions about Microsoft certification exam policies: passing "
    "scores, retake waits, attempt limits, refunds, retirements… Try asking "
    "“how long do I wait after failing?” or “when can I retake?”. `/help` lists everything."
)


async def respond(
    text: str,
    *,
    user_id: int,
    db: Database,
    knowledge: KnowledgeState,
    now: dt.datetime,
    timezone: str | None = None,
    time_format: TimeFormat | None = None,
    include_personal: bool = True,
    record_unanswered: bool = True,
    guild_id: int | None = None,
) -> ConversationReply:
    """Answer one free-text message from ``user_id``.

    - invalid input → :attr:`ReplyKind.INVALID` with a friendly ``text``, nothing stored;
    - no match → :attr:`ReplyKind.NO_MATCH`, the question recorded as unanswered for
      the moderators of ``guild_id`` (``None``: a DM or the console, seen by no server);
    - unsure → :attr:`ReplyKind.SUGGESTIONS` (up to three "did you mean" topics);
    - otherwise the rendered answer, with related topics and sources.

    For the personal entry (``my-eligibility``) ``personal_text`` holds the member's own
    status when ``include_personal`` (times through ``time_format``, Discord timestamps by
    default). A message stating an attempt ("failed AI-103 yesterday") is parsed into
    ``statement`` so the front end can offer to log it.
    """
    kb, matcher = knowledge.kb, knowledge.matcher
    try:
        answer = answer_question(kb, matcher, text, now)
    except InvalidQuestionError as exc:
        return ConversationReply(ReplyKind.INVALID, str(exc), question=text[:200])
    question = " ".join(text.split())
    if timezone is None:
        timezone = await db.settings.get_timezone(user_id)
    statement = parse_attempt_statement(question, now, _zone(timezone))
    suggestions = topics(
        kb, [s for s in answer.suggestions if s != answer.entry_id], MAX_SUGGESTIONS
    )

    if answer.entry is None:
        if statement is not None:
            # "failed AI-103 yesterday" is news, not a question: offer to log it.
            return ConversationReply(
                ReplyKind.STATEMENT,
                statement_text(statement),
                question,
                confidence=answer.confidence,
                statement=statement,
            )
        if suggestions:
            return ConversationReply(
                ReplyKind.SUGGESTIONS,
                "I'm not sure what you mean. Did you mean one of these?",
                question,
                confidence=answer.confidence,
                suggestions=suggestions,
                statement=statement,
            )
        if answer.reason == SMALL_TALK:
            # "hi" / "thanks" are not questions the maintainers should write answers for.
            return ConversationReply(
                ReplyKind.NO_MATCH,
                GREETING_TEXT,
                question,
                confidence=answer.confidence,
            )
        if record_unanswered:
            await db.unanswered.record(question, guild_id)
        return ConversationReply(
            ReplyKind.NO_MATCH,
            "I don't have an answer for that. I only know Microsoft certification exam "
            "policies (retakes, scoring, retirements…); I've noted your question so the "
            "maintainers can add an answer. Try `/help` to see what I can do.",
            question,
            confidence=answer.confidence,
            statement=statement,
        )

    entry = answer.entry
    personal_text = None
    if entry.personal and include_personal:
        personal_text = await personal_status_text(
            db, kb, user_id, now, time_format or discord_time
        )
        if personal_text is None:
            personal_text = NO_LOG_TEXT
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
        statement=statement,
    )


async def answer_entry(
    entry_id: str, *, knowledge: KnowledgeState, now: dt.datetime
) -> ConversationReply | None:
    """The reply for one known entry (a related-topic or "did you mean" click)."""
    kb = knowledge.kb
    entry = kb.entries.get(entry_id)
    if entry is None:
        return None
    return ConversationReply(
        ReplyKind.ANSWER,
        render(entry.answer, kb, now),
        entry.question,
        entry_id=entry.id,
        title=entry.question,
        confidence=1.0,
        related=topics(kb, [r for r in entry.related if r != entry.id], MAX_RELATED),
        sources=entry.sources,
        personal=entry.personal,
    )
