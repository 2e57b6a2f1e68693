"""Free text: the shared ``respond`` core, and the DM / @mention listener."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest.mock import MagicMock

import discord
import pytest

from bot.client import ExamBot
from bot.conversation import NO_LOG_TEXT, ReplyKind, respond
from bot.errors import GENERIC_ERROR
from bot.member_log import log_attempt
from bot.surfaces.console import local_time
from knowledge.matcher import MatchResult
from tests.bot.conftest import NOW
from tests.bot.doubles import make_interaction, make_message

BOT_ID = 9999
IN_SCOPE = "how long do I have to wait after failing the first time"


@pytest.fixture
def online_bot(bot: ExamBot) -> ExamBot:
    """The bot as if logged in: ``bot.user`` is set, as after READY."""
    bot._connection.user = MagicMock(spec=discord.ClientUser, id=BOT_ID, bot=True)
    return bot


async def deliver(bot: ExamBot, content: str, **kwargs: Any) -> list[Any]:
    message, sent = make_message(bot, content, **kwargs)
    await bot.get_cog("ConversationCog").on_message(message)
    return sent


def no_pings(sent: Any) -> bool:
    mentions = sent.allowed_mentions
    return (
        mentions is not None
        and not mentions.everyone
        and not mentions.users
        and not mentions.roles
        and not mentions.replied_user
    )


async def log_fail(bot: ExamBot, user_id: int = 1001, date: str = "2026-11-25") -> None:
    await log_attempt(
        bot.db,
        bot.knowledge.kb,
        user_id,
        exam="AI-103",
        date=date,
        result="fail",
        time="10:00",
        score=None,
        now=NOW,
    )


# --- respond(): the core ---------------------------------------------------------------


async def test_should_return_answer_with_related_and_sources_when_question_is_in_scope(bot):
    reply = await respond(IN_SCOPE, user_id=1, db=bot.db, knowledge=bot.knowledge, now=NOW)

    assert reply.kind is ReplyKind.ANSWER
    assert reply.entry_id == "retake-first-wait"
    assert "24 hours" in reply.text
    assert reply.sources and reply.related
    assert all(t.entry_id in bot.knowledge.kb.entries for t in reply.related)
    assert not reply.personal and reply.personal_text is None


async def test_should_explain_and_store_nothing_when_question_is_invalid(bot):
    reply = await respond("   ", user_id=1, db=bot.db, knowledge=bot.knowledge, now=NOW)

    assert reply.kind is ReplyKind.INVALID
    assert "question" in reply.text
    assert await bot.db.unanswered.top(5) == []


async def test_should_record_unanswered_question_when_nothing_matches(bot):
    reply = await respond(
        "what is the capital of france", user_id=1, db=bot.db, knowledge=bot.knowledge, now=NOW
    )

    assert reply.kind is ReplyKind.NO_MATCH
    assert "/help" in reply.text
    assert await bot.db.unanswered.top(5) == [("what is the capital of france", 1)]


async def test_should_answer_from_own_log_when_personal_question_is_private(bot):
    await log_fail(bot, user_id=1001)

    mine = await respond(
        "when can I retake", user_id=1001, db=bot.db, knowledge=bot.knowledge, now=NOW
    )
    theirs = await respond(
        "when can I retake", user_id=2002, db=bot.db, knowledge=bot.knowledge, now=NOW
    )

    assert mine.personal and mine.entry_id == "my-eligibility"
    assert mine.personal_text is not None and "AI-103" in mine.personal_text
    assert "<t:" in mine.personal_text
    assert theirs.personal_text == NO_LOG_TEXT


async def test_should_leave_out_personal_data_when_not_asked_to_include_it(bot):
    await log_fail(bot)

    reply = await respond(
        "when can I retake",
        user_id=1001,
        db=bot.db,
        knowledge=bot.knowledge,
        now=NOW,
        include_personal=False,
    )

    assert reply.personal and reply.personal_text is None
    assert "AI-103 — " not in reply.text


async def test_should_use_given_time_format_when_rendering_personal_status(bot):
    await log_fail(bot)

    reply = await respond(
        "when can I retake",
        user_id=1001,
        db=bot.db,
        knowledge=bot.knowledge,
        now=NOW,
        timezone="Europe/Paris",
        time_format=local_time("Europe/Paris"),
    )

    assert reply.personal_text is not None
    assert "<t:" not in reply.personal_text
    assert "CET" in reply.personal_text


async def test_should_parse_stated_attempt_when_message_states_one(bot):
    reply = await respond(
        "failed AI-103 yesterday", user_id=1, db=bot.db, knowledge=bot.knowledge, now=NOW
    )

    assert reply.statement is not None
    assert reply.statement.exam_code == "AI-103"
    assert reply.statement.date == dt.date(2026, 11, 25)


# --- on_message: DMs -------------------------------------------------------------------


async def test_should_answer_every_dm_with_an_embed_when_question_is_in_scope(online_bot):
    sent = await deliver(online_bot, IN_SCOPE, guild_id=None)

    assert len(sent) == 1
    assert "24 hours" in sent[0].reply.text
    assert "exambot:feedback:up:retake-first-wait" in sent[0].reply.custom_ids
    assert no_pings(sent[0])


async def test_should_answer_when_can_i_retake_from_own_log_when_asked_by_dm(online_bot):
    await log_fail(online_bot, user_id=1001)

    sent = await deliver(online_bot, "When can I retake?", guild_id=None, author_id=1001)

    text = sent[0].reply.text
    assert "AI-103" in text and "<t:" in text
    assert "exambot:mine" not in sent[0].reply.custom_ids  # already private: shown directly


async def test_should_offer_log_it_button_when_dm_states_an_attempt(online_bot):
    sent = await deliver(online_bot, "failed AI-103 yesterday", guild_id=None)

    assert "log it" in sent[0].reply.text.lower()
    assert any(c.startswith("exambot:log:AI-103:fail:") for c in sent[0].reply.custom_ids)


async def test_should_reply_with_friendly_message_when_dm_is_too_long(online_bot):
    sent = await deliver(online_bot, "why " * 200, guild_id=None)

    assert len(sent) == 1
    assert "500 characters" in (sent[0].content or "")
    assert sent[0].embeds == []
    assert await online_bot.db.unanswered.top(5) == []


async def test_should_ignore_messages_from_bots_including_itself(online_bot):
    assert await deliver(online_bot, IN_SCOPE, guild_id=None, author_bot=True) == []
    assert (
        await deliver(online_bot, IN_SCOPE, guild_id=None, author_id=BOT_ID, author_bot=True) == []
    )


# --- on_message: servers ---------------------------------------------------------------


async def test_should_ignore_server_messages_when_bot_is_not_mentioned(online_bot):
    assert await deliver(online_bot, IN_SCOPE, guild_id=5000) == []


@pytest.mark.parametrize("mention", [f"<@{BOT_ID}>", f"<@!{BOT_ID}>"])
async def test_should_strip_mention_and_answer_in_channel_when_mentioned(online_bot, mention):
    sent = await deliver(
        online_bot, f"{mention} {IN_SCOPE}", guild_id=5000, mentions=[online_bot.user]
    )

    assert len(sent) == 1
    assert "24 hours" in sent[0].reply.text
    assert str(BOT_ID) not in sent[0].reply.text
    assert sent[0].reference is not None
    assert no_pings(sent[0])


async def test_should_never_post_personal_data_publicly_when_asked_in_a_server(online_bot):
    await log_fail(online_bot, user_id=1001)

    sent = await deliver(
        online_bot,
        f"<@{BOT_ID}> when can I retake?",
        guild_id=5000,
        author_id=1001,
        mentions=[online_bot.user],
    )

    reply = sent[0].reply
    assert "Status:" not in reply.text
    assert "<t:" not in reply.text
    assert "attempt 2 of" not in reply.text
    assert "exambot:mine" in reply.custom_ids


async def test_should_not_ping_anyone_when_message_contains_everyone(online_bot):
    sent = await deliver(
        online_bot,
        f"<@{BOT_ID}> @everyone how long must I wait after failing the first time",
        guild_id=5000,
        mentions=[online_bot.user],
    )

    assert len(sent) == 1
    assert no_pings(sent[0])
    assert sent[0].allowed_mentions == discord.AllowedMentions.none() or no_pings(sent[0])


async def test_should_ask_for_a_question_when_mention_has_no_text(online_bot):
    sent = await deliver(online_bot, f"<@{BOT_ID}>", guild_id=5000, mentions=[online_bot.user])

    assert "type a question" in (sent[0].content or "")
    assert no_pings(sent[0])


def wait_reply(retry_at: dt.datetime) -> str:
    return f"Easy — you can ask again <t:{int(retry_at.timestamp())}:R>."


async def test_should_answer_once_per_cooldown_when_member_sends_quickly(online_bot, clock):
    """Never silence: the first message refused in a window says when to ask again; the
    rest of that window stays quiet, and the next window starts afresh."""
    online_bot.settings.free_text_cooldown_seconds = 10

    first = await deliver(online_bot, IN_SCOPE, guild_id=None)
    second = await deliver(online_bot, IN_SCOPE, guild_id=None)
    third = await deliver(online_bot, IN_SCOPE, guild_id=None)
    other = await deliver(online_bot, IN_SCOPE, guild_id=None, author_id=2002)
    clock.now = NOW + dt.timedelta(seconds=11)
    later = await deliver(online_bot, IN_SCOPE, guild_id=None)
    clock.now = NOW + dt.timedelta(seconds=12)
    refused_again = await deliver(online_bot, IN_SCOPE, guild_id=None)

    assert (len(first), len(second), len(third), len(other), len(later)) == (1, 1, 0, 1, 1)
    assert first[0].embeds and other[0].embeds and later[0].embeds
    assert second[0].content == wait_reply(NOW + dt.timedelta(seconds=10))
    assert second[0].embeds == [] and second[0].view is None and no_pings(second[0])
    [notice] = refused_again
    assert notice.content == wait_reply(NOW + dt.timedelta(seconds=21))


@pytest.mark.parametrize("guild_id", [None, 5000], ids=["dm", "mention"])
async def test_should_share_one_cooldown_with_ask_when_member_then_messages(
    online_bot, clock, guild_id
):
    """/ask, then a DM (or an @mention) inside the window: told once when to ask again,
    silence for the rest of the window, answered after it."""
    online_bot.settings.free_text_cooldown_seconds = 3
    ask_cog: Any = online_bot.get_cog("AskCog")
    interaction, asked = make_interaction(online_bot, user_id=1001)
    await ask_cog.ask.callback(ask_cog, interaction, IN_SCOPE)
    mentions = [] if guild_id is None else [online_bot.user]
    text = IN_SCOPE if guild_id is None else f"<@{BOT_ID}> {IN_SCOPE}"

    async def message_at(seconds: float) -> list[Any]:
        clock.now = NOW + dt.timedelta(seconds=seconds)
        return await deliver(online_bot, text, guild_id=guild_id, mentions=mentions)

    during = await message_at(1)
    again = await message_at(2.5)
    after = await message_at(3)

    assert asked.last.embed is not None  # /ask was answered and started the window
    [notice] = during
    assert notice.content == wait_reply(NOW + dt.timedelta(seconds=3))
    assert notice.embeds == [] and no_pings(notice)
    assert (notice.reference is not None) == (guild_id is not None)  # replies to a mention
    assert again == []
    [answer] = after
    assert answer.embeds and "24 hours" in (answer.embeds[0].description or "")


async def test_should_tell_ask_to_wait_when_a_dm_started_the_window(online_bot, clock):
    online_bot.settings.free_text_cooldown_seconds = 3
    ask_cog: Any = online_bot.get_cog("AskCog")

    [answered] = await deliver(online_bot, IN_SCOPE, guild_id=None)
    clock.now = NOW + dt.timedelta(seconds=2)
    interaction, asked = make_interaction(online_bot, user_id=1001)
    await ask_cog.ask.callback(ask_cog, interaction, IN_SCOPE)

    assert answered.embeds
    [reply] = asked.replies
    assert reply.ephemeral and reply.content == wait_reply(NOW + dt.timedelta(seconds=3))


async def test_should_offer_to_log_instead_of_no_match_when_message_only_states_attempt(
    bot, monkeypatch
):
    # Whatever the matcher makes of the sentence today, when it abstains the statement
    # must turn into a log offer rather than an "I don't know".
    monkeypatch.setattr(
        type(bot.knowledge.matcher),
        "match",
        lambda self, question: MatchResult(entry_id=None, confidence=0.0, runners_up=()),
    )
    reply = await respond(
        "passed az-104 on 3 March", user_id=1, db=bot.db, knowledge=bot.knowledge, now=NOW
    )

    assert reply.kind is ReplyKind.STATEMENT
    assert "passed **AZ-104** on Tue 3 Mar 2026" in reply.text
    assert reply.suggestions == ()
    assert await bot.db.unanswered.top(5) == []


async def test_should_not_read_a_stated_result_back_publicly_when_mentioned_in_a_server(
    online_bot,
):
    sent = await deliver(
        online_bot,
        f"<@{BOT_ID}> passed az-104 on 3 March",
        guild_id=5000,
        mentions=[online_bot.user],
    )

    text = sent[0].reply.text
    assert "AZ-104" not in text
    assert not any(c.startswith("exambot:log:") for c in sent[0].reply.custom_ids)


@pytest.mark.parametrize("guild_id", [None, 5000], ids=["dm", "mention"])
async def test_should_apologise_instead_of_staying_silent_when_answering_fails(
    online_bot, monkeypatch, caplog, guild_id
):
    async def broken(user_id: int) -> str:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(online_bot.db.settings, "get_timezone", broken)
    mentions = [] if guild_id is None else [online_bot.user]
    text = IN_SCOPE if guild_id is None else f"<@{BOT_ID}> {IN_SCOPE}"

    sent = await deliver(online_bot, text, guild_id=guild_id, mentions=mentions)

    [reply] = sent
    assert reply.content == GENERIC_ERROR
    assert no_pings(reply)
    assert "database is locked" in caplog.text


@pytest.mark.parametrize("text", ["hi", "hello there", "thanks bot"])
async def test_should_greet_small_talk_without_recording_it(bot, text):
    reply = await respond(text, user_id=1, db=bot.db, knowledge=bot.knowledge, now=NOW)

    assert reply.kind is ReplyKind.NO_MATCH
    assert reply.text.startswith("Hi!") and "/help" in reply.text
    assert "don't have an answer" not in reply.text
    assert await bot.db.unanswered.top(5) == []
