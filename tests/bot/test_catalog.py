"""/exam: catalog cards, date-aware retirement, uncatalogued and malformed codes."""

from __future__ import annotations

from typing import Any

import pytest

from bot.client import ExamBot
from bot.cogs.catalog import exam_choices
from tests.bot.doubles import make_interaction


def cog(bot: ExamBot) -> Any:
    found = bot.get_cog("CatalogCog")
    assert found is not None
    return found


async def exam(bot: ExamBot, code: str) -> Any:
    interaction, recorder = make_interaction(bot)
    catalog = cog(bot)
    await catalog.exam.callback(catalog, interaction, code)
    return recorder


def fields(reply: Any) -> dict[str, str]:
    return {f.name: f.value for f in reply.embed.fields}


async def test_should_say_retired_with_timestamp_and_successor_when_exam_is_ai_102(bot):
    recorder = await exam(bot, "ai102")

    reply = recorder.last
    assert not reply.ephemeral
    assert reply.embed.title.startswith("AI-102: Designing and Implementing")
    card = fields(reply)
    assert card["Retirement"].startswith("Retired on <t:")
    assert ":F>" in card["Retirement"] and ":R>" in card["Retirement"]
    assert card["Successor"] == "AI-103"
    assert card["Duration"] == "100 minutes"
    assert card["Passing score"].startswith("700")
    assert "120" in card["Notes"]  # sources disagree on the duration: the card says so
    assert "learn.microsoft.com" in card["Sources"]
    assert reply.embed.footer.text.startswith("Verified on ")


async def test_should_say_retires_when_retirement_is_still_ahead(bot, clock):
    clock.now = clock.now.replace(year=2026, month=1, day=1)

    recorder = await exam(bot, "AI-102")

    assert fields(recorder.last)["Retirement"].startswith("Retires on <t:")
    assert "(retired)" not in recorder.last.embed.title


async def test_should_show_successor_card_with_predecessor_when_exam_is_ai_103(bot):
    recorder = await exam(bot, "AI-103")

    card = fields(recorder.last)
    assert recorder.last.embed.title.startswith("AI-103: Developing AI Apps")
    assert card["Retirement"] == "No retirement announced as of 1 December 2026"
    assert card["Replaces"] == "AI-102"
    assert card["Status"] == "Active"
    # Sources disagree (100 or 120 minutes): no single number, the notes explain.
    assert card["Duration"] == "not confirmed"
    assert "100" in card["Notes"] and "120" in card["Notes"]


async def test_should_say_general_policy_applies_when_code_is_not_catalogued(bot):
    recorder = await exam(bot, "AZ-220")

    reply = recorder.last
    assert "AZ-220 isn't in my catalog" in reply.embed.title
    assert "24 hours" in reply.embed.description
    assert "general retake policy" in reply.embed.description


@pytest.mark.parametrize("code", ["hello", "AI-10", "1234", "", "AI-102; DROP TABLE"])
async def test_should_reply_with_friendly_ephemeral_error_when_code_is_malformed(bot, code):
    recorder = await exam(bot, code)

    reply = recorder.last
    assert reply.ephemeral
    assert "isn't an exam code" in reply.content
    assert "AI-103" in reply.content


async def test_should_offer_matching_catalog_codes_when_autocompleting(bot):
    interaction, _ = make_interaction(bot)
    choices = await cog(bot).exam_autocomplete(interaction, "ai1")

    assert [c.value for c in choices][:2] == ["AI-102", "AI-103"]
    assert len(exam_choices(bot.knowledge.kb, "")) <= 25
    assert all(len(c.name) <= 100 for c in exam_choices(bot.knowledge.kb, ""))
    assert [c.value for c in exam_choices(bot.knowledge.kb, "power platform")] == [
        "PL-400",
        "PL-900",
    ]


async def test_should_offer_newly_catalogued_exams_when_autocompleting(bot):
    interaction, _ = make_interaction(bot)

    by_code = await cog(bot).exam_autocomplete(interaction, "az10")
    by_title = await cog(bot).exam_autocomplete(interaction, "fabric data engineer")

    assert [c.value for c in by_code] == ["AZ-104"]
    assert by_code[0].name == "AZ-104 — Microsoft Azure Administrator"
    assert [c.value for c in by_title] == ["DP-700"]


async def test_should_say_not_confirmed_when_a_field_is_unverified(bot):
    recorder = await exam(bot, "AZ-104")

    card = fields(recorder.last)
    assert recorder.last.embed.title == "AZ-104: Microsoft Azure Administrator"
    assert card["Level"] == "Associate"
    assert card["Status"] == "Active"
    assert card["Price"] == "USD 165 (US)"
    assert card["Passing score"].startswith("700")
    # Sources disagree on its length and none lists its languages: no guess.
    assert card["Duration"] == "not confirmed"
    assert card["Languages"] == "not confirmed"
    assert card["Retirement"].startswith("No retirement announced as of ")


async def test_should_show_every_sourced_field_when_exam_has_them(bot):
    recorder = await exam(bot, "DP-700")

    card = fields(recorder.last)
    assert card["Level"] == "Associate"
    assert "Portuguese (Brazil)" in card["Languages"]
    assert card["Price"] == "USD 165 (US)"


async def test_should_say_status_is_not_confirmed_when_no_source_says(bot):
    recorder = await exam(bot, "MS-700")

    card = fields(recorder.last)
    assert card["Status"] == "not confirmed"
    # Its only source is a list of every exam: no date can be claimed for this one.
    assert card["Retirement"].startswith("No retirement date in my sources, none of which is")


async def test_should_show_retired_status_when_exam_retired_before_today(bot):
    recorder = await exam(bot, "DP-203")

    card = fields(recorder.last)
    assert card["Status"] == "Retired"
    assert card["Successor"] == "DP-700"
    assert "(retired)" in recorder.last.embed.title


def test_a_generic_source_never_dates_an_exams_retirement_status(knowledge_state):
    """'No retirement announced as of <date>' takes the date from sources about that
    exam: a generic page (the duration table, checked recently) must not make it look
    fresher than its own sources are."""
    for exam in knowledge_state.kb.exams.values():
        day = exam.last_verified
        if day is None:
            continue
        compact = exam.code.replace("-", "").casefold()
        dated = [
            s for s in exam.sources
            if s.verified == day
            and compact in f"{s.url} {s.title or ''}".casefold().replace("-", "")
        ]  # fmt: skip
        assert dated, exam.code
