"""Embeds: sources, "verified on", truncation, date-aware exam cards."""

from __future__ import annotations

import datetime as dt

import discord

from bot.rendering import (
    answer_embed,
    exam_embed,
    format_date,
    no_match_embed,
    retirement_text,
    sources_text,
    suggestions_embed,
    truncate,
    verified_on,
)
from knowledge.models import Exam, Source

OLD = Source(url="https://learn.microsoft.com/a", title="Policy", verified=dt.date(2026, 9, 26))
NEW = Source(
    url="https://example.com/b", title="Blog *post*", verified=dt.date(2026, 11, 2), official=False
)


def test_should_cut_with_ellipsis_when_text_is_too_long():
    assert truncate("abc", 3) == "abc"
    assert truncate("abcdef", 4) == "abc…"
    assert len(truncate("x" * 5000, 4096)) == 4096


def test_should_use_oldest_verification_date_when_sources_differ():
    assert verified_on([NEW, OLD]) == dt.date(2026, 9, 26)
    assert verified_on([]) is None
    assert format_date(dt.date(2026, 9, 6)) == "6 September 2026"


def test_should_link_every_source_and_flag_unofficial_ones():
    text = sources_text([OLD, NEW])

    assert "[Policy](https://learn.microsoft.com/a)" in text
    assert "Blog \\*post\\*" in text  # titles can't inject formatting
    assert "*(unofficial)*" in text
    assert "verified 26 September 2026" in text


def test_should_keep_sources_field_within_discord_limit_when_there_are_many():
    many = [OLD] * 40
    assert len(sources_text(many)) <= 1024


def test_should_show_sources_and_verified_footer_when_rendering_an_answer():
    embed = answer_embed("Q?", "A.", [OLD, NEW])

    assert embed.title == "Q?"
    assert embed.description == "A."
    assert embed.fields[0].name == "Sources"
    assert embed.footer.text == "Verified on 26 September 2026"


def test_should_escape_member_text_when_echoing_a_question():
    embed = no_match_embed("**bold** <@123>")
    assert "\\*\\*bold\\*\\*" in (embed.description or "")
    assert "/help" in (embed.description or "")
    suggestions = suggestions_embed("x", ["First?", "Second?"])
    assert "1. First?" in (suggestions.description or "")


def test_should_switch_from_retires_to_retired_at_the_retirement_instant():
    retires = dt.datetime(2026, 7, 1, 4, 59, tzinfo=dt.UTC)
    exam = Exam(code="AI-102", retires_at=retires, sources=(OLD,))
    stamp = int(retires.timestamp())

    before = retirement_text(exam, retires - dt.timedelta(seconds=1))
    after = retirement_text(exam, retires)

    assert before == f"Retires on <t:{stamp}:F> (<t:{stamp}:R>)"
    assert after == f"Retired on <t:{stamp}:F> (<t:{stamp}:R>)"
    assert retirement_text(Exam(code="AI-103"), retires) is None


def test_should_mark_card_retired_with_successor_when_exam_has_retired(knowledge_state):
    kb = knowledge_state.kb
    now = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)

    embed = exam_embed(kb.exams["AI-102"], kb, now)

    assert embed.title is not None and embed.title.endswith("(retired)")
    assert embed.colour == discord.Colour.dark_red()
    assert "AI-103" in (embed.description or "")
    assert all(len(f.value) <= 1024 for f in embed.fields)
