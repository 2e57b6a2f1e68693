"""Embeds for answers and exam cards: one look everywhere the bot answers.

Every answer embed carries its sources and a "verified on" date in the footer, so a
member can always check a fact and see how fresh it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import discord

from bot.surfaces.catalog import exam_card, format_date
from knowledge.help_pages import Pointer
from knowledge.models import Exam, KnowledgeBase, Source
from knowledge.templating import format_day

# Discord's own limits.
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_MAX = 1024
BUTTON_LABEL_MAX = 80
MESSAGE_MAX = 2000

ANSWER_COLOUR = discord.Colour.blurple()
UNSURE_COLOUR = discord.Colour.gold()
NO_MATCH_COLOUR = discord.Colour.light_grey()
RETIRED_COLOUR = discord.Colour.dark_red()
EXAM_COLOUR = discord.Colour.teal()

def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when something was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def verified_on(sources: Iterable[Source]) -> dt.date | None:
    """The oldest verification date: every listed source was checked on or after it."""
    dates = [source.verified for source in sources]
    return min(dates) if dates else None


def sources_text(sources: Sequence[Source], limit: int = EMBED_FIELD_MAX) -> str:
    """Markdown lines, one per source, with its verification date; unofficial ones flagged."""
    lines = []
    for source in sources:
        title = discord.utils.escape_markdown(source.title or source.url)
        flag = "" if source.official else " *(unofficial)*"
        lines.append(f"• [{title}]({source.url}){flag} · verified {format_date(source.verified)}")
    text = "\n".join(lines)
    while len(text) > limit and len(lines) > 1:
        lines.pop()
        text = "\n".join(lines) + "\n• …"
    return truncate(text, limit)


def _footer(sources: Sequence[Source], extra: str | None = None) -> str:
    parts = []
    day = verified_on(sources)
    if day is not None:
        parts.append(f"Verified on {format_date(day)}")
    if extra:
        parts.append(extra)
    return " · ".join(parts)


def answer_embed(
    title: str, text: str, sources: Sequence[Source], *, footer_extra: str | None = None
) -> discord.Embed:
    """A sourced answer: the entry's question as title, the rendered answer, the sources."""
    embed = discord.Embed(
        title=truncate(title, EMBED_TITLE_MAX),
        description=truncate(text, EMBED_DESCRIPTION_MAX),
        colour=ANSWER_COLOUR,
    )
    if sources:
        embed.add_field(name="Sources", value=sources_text(sources), inline=False)
    footer = _footer(sources, footer_extra)
    if footer:
        embed.set_footer(text=footer)
    return embed


def _pointer_line(pointer: Pointer | None) -> str:
    if pointer is None:
        return ""
    return f"The official page most likely to have it: [{pointer.title}]({pointer.url})\n\n"


def suggestions_embed(
    question: str, suggestions: Sequence[str], pointer: Pointer | None = None,
    *, note: str | None = None,
) -> discord.Embed:
    """ "Did you mean…": the candidate questions, answered by the buttons below; with a
    ``pointer`` the question looked on topic but unanswered, so the candidates are only
    "maybe one of these" and the page to look at comes first (after ``note``, why the
    entry on its topic did not answer)."""
    lines = "\n".join(
        f"{i}. {discord.utils.escape_markdown(s)}" for i, s in enumerate(suggestions, 1)
    )
    if pointer is not None:
        why = f"{note} " if note else ""
        intro = (
            f"I'm not sure I have an answer for “{_quote(question)}”. {why}"
            + _pointer_line(pointer)
            + f"Maybe one of these:\n\n{lines}"
        )
    else:
        intro = (
            f"I'm not sure which question you mean by “{_quote(question)}”. "
            f"Pick one below:\n\n{lines}"
        )
    return discord.Embed(
        title="Did you mean…" if pointer is None else "Maybe one of these…",
        description=truncate(intro, EMBED_DESCRIPTION_MAX),
        colour=UNSURE_COLOUR,
    )


def no_match_embed(
    question: str, reason: str | None = None, pointer: Pointer | None = None
) -> discord.Embed:
    """An honest "I don't know": the official page most likely to have the answer when
    the question looked on topic, else what the bot covers and ``/help``."""
    why = f" {reason}" if reason else ""
    if pointer is not None:
        body = (
            f"I don't have a sourced answer for “{_quote(question)}”.{why}\n\n"
            + _pointer_line(pointer)
            + "I've noted the question so the maintainers can add an answer."
        )
    else:
        body = (
            f"I couldn't match “{_quote(question)}” to anything I know.{why}\n\n"
            "I only answer questions about Microsoft certification exam policies "
            "(retakes, scoring, retirements…). I've noted the question so the maintainers "
            "can add an answer. Try `/help` to see what I can do."
        )
    return discord.Embed(
        title="I don't have an answer for that",
        description=truncate(body, EMBED_DESCRIPTION_MAX),
        colour=NO_MATCH_COLOUR,
    )


def _quote(text: str) -> str:
    return discord.utils.escape_markdown(truncate(" ".join(text.split()), 200))


def retirement_text(exam: Exam, now: dt.datetime) -> str | None:
    """ "Retired on …" / "Retires on …" with Discord timestamps (each member's own zone)."""
    if exam.retires_at is None:
        return None
    verb = "Retired" if exam.is_retired(now) else "Retires"
    absolute = discord.utils.format_dt(exam.retires_at, "F")
    relative = discord.utils.format_dt(exam.retires_at, "R")
    return f"{verb} on {absolute} ({relative})"


def exam_embed(exam: Exam, kb: KnowledgeBase, now: dt.datetime) -> discord.Embed:
    """The catalog card of one exam (:func:`bot.surfaces.catalog.exam_card`) as an embed."""
    card = exam_card(exam, kb, now, retirement=retirement_text(exam, now))
    embed = discord.Embed(
        title=truncate(card.title, EMBED_TITLE_MAX),
        colour=RETIRED_COLOUR if card.retired else EXAM_COLOUR,
    )
    for name, value, inline in card.fields:
        embed.add_field(name=name, value=truncate(value, EMBED_FIELD_MAX), inline=inline)
    if card.retired:
        successor = f" Its successor is **{exam.successor}**." if exam.successor else ""
        embed.description = (
            f"This exam can no longer be taken or booked.{successor} (It {_central_day(exam)}.)"
        )
    if exam.sources:
        embed.add_field(name="Sources", value=sources_text(exam.sources), inline=False)
    footer = _footer(exam.sources)
    if footer:
        embed.set_footer(text=footer)
    return embed


def _central_day(exam: Exam) -> str:
    assert exam.retires_at is not None
    return f"retired at the end of {format_day(exam.retires_at)}, US Central time"


def uncatalogued_embed(code: str, kb: KnowledgeBase) -> discord.Embed:
    """A well-formed code the catalog doesn't know: the general policy most likely applies.

    Not every Microsoft exam follows it (MCE, MOS via Certiport and Applied Skills labs
    have their own rules), so the text names the exams it covers rather than "every exam".
    """
    policy = kb.policy
    return discord.Embed(
        title=f"{code} isn't in my catalog",
        description=(
            f"I have no details (duration, retirement, successor) for **{code}**, so check "
            "its page on Microsoft Learn. If it's a role-based, specialty or Fundamentals "
            "exam, the general retake policy applies: wait "
            f"{policy.first_failure_wait_hours} hours after a first fail, "
            f"{policy.later_failure_wait_days} days after each later fail, and at most "
            f"{policy.max_attempts_per_window} attempts in {policy.attempt_window_months} "
            "months. Microsoft Certified Educator (MCE), MOS exams taken through Certiport "
            "and Applied Skills labs have their own rules."
        ),
        colour=NO_MATCH_COLOUR,
    ).set_footer(text=_footer(policy.sources) or None)


def plain_sources(sources: Sequence[Source]) -> list[str]:
    """Sources as plain text lines, for the console."""
    return [
        f"{source.title or source.url} <{source.url}>"
        f"{'' if source.official else ' (unofficial)'}, verified {format_date(source.verified)}"
        for source in sources
    ]
