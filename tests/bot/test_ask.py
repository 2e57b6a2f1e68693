"""/ask, its autocomplete, the answer buttons and the "Ask the exam bot" message command."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest.mock import MagicMock

import discord
import pytest

from bot.client import ExamBot
from bot.member_log import log_attempt
from bot.views.answers import FeedbackButton, RelatedButton, ShowMineButton
from tests.bot.conftest import NOW
from tests.bot.doubles import make_interaction

IN_SCOPE = "how long do I have to wait after failing the first time"
UNSURE_CANDIDATES = ("exam", "retake", "certificate", "exam stuff", "test")


def cog(bot: ExamBot) -> Any:
    # load_extension imports the cog module afresh: compare by name, not by class.
    found = bot.get_cog("AskCog")
    assert found is not None
    return found


async def ask(bot: ExamBot, question: str, **kwargs: Any) -> Any:
    interaction, recorder = make_interaction(bot, **kwargs)
    ask_cog = cog(bot)
    await ask_cog.ask.callback(ask_cog, interaction, question)
    return recorder


def unsure_question(bot: ExamBot) -> tuple[str, list[str]]:
    for question in UNSURE_CANDIDATES:
        suggestions = bot.knowledge.matcher.match(question).suggestions
        if suggestions:
            return question, suggestions
    pytest.fail("no candidate question gives 'did you mean' suggestions any more")


async def test_should_answer_publicly_with_sources_related_and_feedback_when_in_scope(bot):
    recorder = await ask(bot, IN_SCOPE)

    reply = recorder.last
    assert not reply.ephemeral
    assert reply.embed is not None
    assert reply.embed.title == bot.knowledge.kb.entries["retake-first-wait"].question
    assert "24 hours" in (reply.embed.description or "")
    fields = {f.name: f.value for f in reply.embed.fields}
    assert "learn.microsoft.com/en-us/credentials/support/retake-policy" in fields["Sources"]
    assert (reply.embed.footer.text or "").startswith("Verified on ")
    assert "exambot:related:retake-later-waits" in reply.custom_ids
    assert "exambot:feedback:up:retake-first-wait" in reply.custom_ids
    assert "exambot:feedback:down:retake-first-wait" in reply.custom_ids
    assert "Helpful" in reply.button_labels
    assert await bot.db.unanswered.top(5, guild_id=5000) == []


async def test_should_defer_before_answering_when_question_is_valid(bot):
    recorder = await ask(bot, IN_SCOPE)

    assert [r.kind for r in recorder.replies] == ["defer", "edit"]


async def test_should_offer_did_you_mean_buttons_when_confidence_is_low(bot):
    question, suggestions = unsure_question(bot)

    recorder = await ask(bot, question)

    reply = recorder.last
    related_ids = [c for c in reply.custom_ids if c.startswith("exambot:related:")]
    expected = [f"exambot:related:{s}" for s in suggestions[:3]]
    assert set(expected) - set(related_ids) <= {
        f"exambot:related:{bot.knowledge.matcher.match(question).entry_id}"
    }
    assert 1 <= len(related_ids) <= 3
    labels = reply.button_labels
    assert any(bot.knowledge.kb.entries[s].question[:70] in " ".join(labels) for s in suggestions)


async def test_should_say_so_and_record_question_when_out_of_scope(bot):
    recorder = await ask(bot, "what is the capital of france")

    reply = recorder.last
    assert not reply.ephemeral
    assert "don't have an answer" in reply.text
    assert "/help" in reply.text
    assert reply.buttons == []
    # Recorded for this server's moderators only (the doubles run in guild 5000).
    assert await bot.db.unanswered.top(5, guild_id=5000) == [("what is the capital of france", 1)]
    assert await bot.db.unanswered.top(5) == []


@pytest.mark.parametrize("question", ["", "   ", "?!", "x" * 600])
async def test_should_reply_ephemerally_and_record_nothing_when_input_is_bad(bot, question):
    recorder = await ask(bot, question)

    reply = recorder.last
    assert reply.kind == "response"
    assert reply.ephemeral
    assert reply.embed is None and reply.content
    assert await bot.db.unanswered.top(5, guild_id=5000) == []


async def test_should_answer_personal_question_generically_with_show_mine_when_public(bot):
    await log_attempt(
        bot.db,
        bot.knowledge.kb,
        1001,
        exam="AI-103",
        date="2026-11-20",
        result="fail",
        time="10:00",
        score=None,
        now=NOW,
    )

    recorder = await ask(bot, "when can I retake", user_id=1001)

    reply = recorder.last
    assert not reply.ephemeral
    assert "exambot:mine" in reply.custom_ids
    assert "Show mine" in reply.button_labels
    assert "Status:" not in reply.text
    assert "attempt 2 of" not in reply.text


async def test_should_suggest_at_most_25_relevant_entries_when_autocompleting(bot):
    interaction, _ = make_interaction(bot)
    choices = await cog(bot).ask_autocomplete(interaction, "retake")

    assert 1 <= len(choices) <= 25
    assert all(len(c.name) <= 100 and len(c.value) <= 100 for c in choices)
    assert any("retake" in c.name.lower() for c in choices[:3])
    questions = {e.question[:100] for e in bot.knowledge.kb.entries.values()}
    assert {c.value for c in choices} <= questions


async def test_should_suggest_popular_entries_when_autocomplete_box_is_empty(bot):
    interaction, _ = make_interaction(bot)
    choices = await cog(bot).ask_autocomplete(interaction, "")

    assert 1 <= len(choices) <= 25


async def test_should_answer_canonical_question_exactly_when_chosen_from_autocomplete(bot):
    interaction, _ = make_interaction(bot)
    choice = (await cog(bot).ask_autocomplete(interaction, "pay again to retake"))[0]

    recorder = await ask(bot, choice.value)

    assert recorder.last.embed is not None
    assert recorder.last.embed.title == choice.value


# --- buttons -------------------------------------------------------------------------


async def test_should_answer_related_entry_ephemerally_when_related_button_clicked(bot):
    recorder = await ask(bot, IN_SCOPE)
    button = next(
        i
        for i in recorder.last.dynamic_items
        if i.custom_id == "exambot:related:retake-later-waits"
    )

    interaction, clicked = make_interaction(bot, user_id=2002)
    await button.callback(interaction)

    reply = clicked.last
    assert reply.ephemeral
    assert reply.embed is not None
    assert reply.embed.title == bot.knowledge.kb.entries["retake-later-waits"].question
    assert "exambot:feedback:up:retake-later-waits" in reply.custom_ids


async def test_should_rebuild_buttons_from_custom_id_when_bot_restarted(bot):
    """Persistent buttons: the library rebuilds them from the custom_id alone."""
    base = discord.ui.Button(label="x", custom_id="exambot:feedback:down:retake-cost")
    match = FeedbackButton.__discord_ui_compiled_template__.fullmatch(base.custom_id or "")
    interaction, _ = make_interaction(bot)

    rebuilt = await FeedbackButton.from_custom_id(interaction, base, match)

    assert rebuilt.vote == "down" and rebuilt.entry_id == "retake-cost"
    assert RelatedButton.__discord_ui_compiled_template__.fullmatch("exambot:related:retake-cost")
    assert ShowMineButton.__discord_ui_compiled_template__.fullmatch("exambot:mine")
    registered = set(bot._connection._view_store._dynamic_items.values())
    assert {RelatedButton, FeedbackButton, ShowMineButton} <= registered


async def test_should_record_feedback_when_feedback_button_clicked(bot):
    interaction, recorder = make_interaction(bot, user_id=3003)

    await FeedbackButton("up", "retake-first-wait").callback(interaction)
    await FeedbackButton("down", "retake-cost").callback(make_interaction(bot, user_id=3003)[0])

    assert recorder.last.ephemeral
    assert "Thanks" in (recorder.last.content or "")
    assert await bot.db.feedback.counts() == {"retake-cost": (0, 1), "retake-first-wait": (1, 0)}
    votes = await bot.db.feedback.list_for_user(3003)
    assert {v.question for v in votes} == {
        bot.knowledge.kb.entries["retake-first-wait"].question,
        bot.knowledge.kb.entries["retake-cost"].question,
    }


async def test_should_show_only_the_clickers_own_status_when_show_mine_clicked(bot):
    await log_attempt(
        bot.db,
        bot.knowledge.kb,
        1001,
        exam="AI-103",
        date="2026-11-25",
        result="fail",
        time="10:00",
        score=None,
        now=NOW,
    )
    owner, owner_rec = make_interaction(bot, user_id=1001)
    other, other_rec = make_interaction(bot, user_id=2002)

    await ShowMineButton().callback(owner)
    await ShowMineButton().callback(other)

    assert owner_rec.last.ephemeral and other_rec.last.ephemeral
    assert "AI-103" in owner_rec.last.text
    assert "<t:" in owner_rec.last.text  # Discord timestamps: each reader's own zone
    assert "AI-103" not in other_rec.last.text
    assert "haven't logged any attempts" in other_rec.last.text


async def test_should_tell_member_when_related_entry_no_longer_exists(bot):
    interaction, recorder = make_interaction(bot)

    await RelatedButton("no-such-entry").callback(interaction)

    assert recorder.last.ephemeral
    assert "isn't in my knowledge base" in (recorder.last.content or "")


# --- message context menu -----------------------------------------------------------


def message_with(text: str) -> Any:
    message = MagicMock(spec=discord.Message)
    message.content = text
    return message


async def test_should_answer_selected_message_privately_when_context_menu_used(bot):
    interaction, recorder = make_interaction(bot)

    await cog(bot).ask_message_menu.callback(interaction, message_with(IN_SCOPE))

    reply = recorder.last
    assert reply.ephemeral
    assert reply.embed is not None and "24 hours" in (reply.embed.description or "")


async def test_should_refuse_politely_when_selected_message_has_no_text(bot):
    interaction, recorder = make_interaction(bot)

    await cog(bot).ask_message_menu.callback(interaction, message_with(""))

    assert recorder.last.ephemeral
    assert "no text" in (recorder.last.content or "")


async def test_should_register_context_menu_and_remove_it_when_cog_unloads(bot):
    menu = bot.tree.get_command("Ask the exam bot", type=discord.AppCommandType.message)
    assert menu is not None

    await bot.unload_extension("bot.cogs.ask")

    assert bot.tree.get_command("Ask the exam bot", type=discord.AppCommandType.message) is None


# --- per-member cooldown --------------------------------------------------------------


def wait_reply(retry_at: dt.datetime) -> str:
    return f"Easy — you can ask again <t:{int(retry_at.timestamp())}:R>."


async def test_should_rate_limit_questions_per_member_across_ask_and_the_menu(bot, clock):
    """/ask answers publicly: one question per member per cooldown, shared with the menu
    (and DMs); every refused interaction is told, privately, when to ask again."""
    bot.settings.free_text_cooldown_seconds = 3
    ask_cog = cog(bot)

    async def menu(user_id: int = 7001) -> Any:
        interaction, recorder = make_interaction(bot, user_id=user_id)
        await ask_cog.ask_message_menu.callback(interaction, message_with(IN_SCOPE))
        return recorder

    first = await ask(bot, IN_SCOPE, user_id=7001)
    clock.now = NOW + dt.timedelta(seconds=1)
    again = await ask(bot, IN_SCOPE, user_id=7001)
    other = await ask(bot, IN_SCOPE, user_id=7002)
    clock.now = NOW + dt.timedelta(seconds=2)
    via_menu = await menu()
    clock.now = NOW + dt.timedelta(seconds=3)
    after = await menu()

    assert [r.kind for r in first.replies] == ["defer", "edit"]
    assert first.last.embed is not None and not first.last.ephemeral
    for refused in (again, via_menu):
        [reply] = refused.replies  # answered at once: no "thinking…", no embed
        assert reply.kind == "response" and reply.ephemeral and reply.embed is None
        assert reply.content == wait_reply(NOW + dt.timedelta(seconds=3))
    assert other.last.embed is not None
    assert after.last.embed is not None and after.last.ephemeral
    assert await bot.db.unanswered.top(5, guild_id=5000) == []


async def test_should_not_rate_limit_questions_when_the_cooldown_is_zero(bot):
    first = await ask(bot, IN_SCOPE, user_id=7003)
    second = await ask(bot, IN_SCOPE, user_id=7003)

    assert first.last.embed is not None and second.last.embed is not None
