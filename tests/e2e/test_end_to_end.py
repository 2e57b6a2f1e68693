"""The whole bot, unmodified, talking to a fake Discord over real sockets on 127.0.0.1."""

from __future__ import annotations

from typing import Any

from bot.client import ExamBot
from tests.e2e.fake_discord import FakeDiscord, Sent

MEMBER = 424242


def _sent_after(fake: FakeDiscord, count: int, route_prefix: str) -> list[Sent]:
    return [s for s in fake.sent[count:] if s.route.startswith(route_prefix)]


async def _slash(
    fake: FakeDiscord, name: str, options: list[dict[str, Any]] | None = None, **kwargs: Any
) -> list[Sent]:
    """Send ``/name`` and return everything the bot sent until its reply was complete."""
    before = len(fake.sent)
    await fake.dispatch("INTERACTION_CREATE", fake.slash_interaction(name, options, **kwargs))

    def answered() -> list[Sent] | None:
        new = fake.sent[before:]
        # A deferred reply (type 5) is complete once the original response is edited.
        if any(s.route == "callback:4" for s in new) or any(
            s.route.startswith("webhook:") for s in new
        ):
            return new
        return None

    return await fake.wait_for(answered)


async def test_should_log_in_and_sync_the_contracted_commands(
    running_bot: ExamBot, fake_discord: FakeDiscord
) -> None:
    names = {c["name"] for c in fake_discord.synced_commands}
    assert {
        "ask",
        "attempt",
        "eligibility",
        "remind",
        "exam",
        "settings",
        "mydata",
        "help",
        "kb",
    } <= names
    assert "Ask the exam bot" in names
    assert fake_discord.identifies == 1


async def test_should_answer_help_and_ask_through_real_interactions(
    running_bot: ExamBot, fake_discord: FakeDiscord
) -> None:
    help_reply = await _slash(fake_discord, "help", user_id=MEMBER, guild_id=77)
    assert "/attempt" in "\n".join(s.text for s in help_reply)

    ask_reply = await _slash(
        fake_discord,
        "ask",
        [{"name": "question", "type": 3, "value": "whats the pass mark for ai102"}],
        user_id=MEMBER,
        guild_id=77,
    )
    final = ask_reply[-1]
    assert "700" in final.text
    assert not final.ephemeral, "a policy answer is public"


async def test_should_keep_personal_answers_private_end_to_end(
    running_bot: ExamBot, fake_discord: FakeDiscord
) -> None:
    log_reply = await _slash(
        fake_discord,
        "attempt",
        [
            {
                "name": "log",
                "type": 1,
                "options": [
                    {"name": "exam", "type": 3, "value": "ai103"},
                    {"name": "date", "type": 3, "value": "2026-11-20"},
                    {"name": "result", "type": 3, "value": "fail"},
                ],
            }
        ],
        user_id=MEMBER,
        guild_id=77,
    )
    assert all(s.ephemeral or s.route.startswith("webhook:PATCH") for s in log_reply)
    assert "AI-103" in "\n".join(s.text for s in log_reply)

    stored = await running_bot.db.attempts.list_for_user(MEMBER)
    assert [a.exam_code for a in stored] == ["AI-103"]

    status = await _slash(fake_discord, "eligibility", user_id=MEMBER, guild_id=77)
    text = "\n".join(s.text for s in status)
    assert "<t:" in text, "times are Discord timestamps, shown in each member's zone"


async def test_should_answer_a_direct_message_and_ignore_its_own(
    running_bot: ExamBot, fake_discord: FakeDiscord
) -> None:
    before = len(fake_discord.sent)
    await fake_discord.dispatch(
        "MESSAGE_CREATE", fake_discord.dm_message("is there a refund if i fail?", user_id=MEMBER)
    )
    replies = await fake_discord.wait_for(lambda: _sent_after(fake_discord, before, "message:"))
    assert replies[0].route == f"message:{MEMBER + 1}"
    assert replies[0].payload.get("allowed_mentions", {}).get("parse") == []

    own = fake_discord.dm_message("hello", user_id=MEMBER)
    own["author"]["id"] = str(running_bot.user.id if running_bot.user else 0)
    own["author"]["bot"] = True
    count = len(fake_discord.sent)
    await fake_discord.dispatch("MESSAGE_CREATE", own)
    # A later event proves the first was processed (events are handled in order).
    await _slash(fake_discord, "help", user_id=MEMBER)
    assert not _sent_after(fake_discord, count, "message:")


async def test_should_survive_a_gateway_disconnect_by_resuming(
    running_bot: ExamBot, fake_discord: FakeDiscord
) -> None:
    await fake_discord.drop_connection()
    await fake_discord.wait_for(lambda: fake_discord.resumes >= 1, timeout=20)
    reply = await _slash(fake_discord, "help", user_id=MEMBER, guild_id=77)
    assert reply, "the bot answers after reconnecting"


async def test_should_answer_a_persistent_button_privately_after_deferring(
    running_bot: ExamBot, fake_discord: FakeDiscord
) -> None:
    """A 👍 under an answer: acknowledged first (ephemeral defer), then a private reply."""
    before = len(fake_discord.sent)
    await fake_discord.dispatch(
        "INTERACTION_CREATE",
        fake_discord.button_interaction(
            "exambot:feedback:up:retake-cost", user_id=MEMBER, guild_id=77
        ),
    )

    replies = await fake_discord.wait_for(lambda: _sent_after(fake_discord, before, "webhook:"))
    new = fake_discord.sent[before:]
    assert new[0].route == "callback:5" and new[0].ephemeral
    assert replies[0].ephemeral and "Thanks" in replies[0].text
    [vote] = await running_bot.db.feedback.list_for_user(MEMBER)
    assert vote.entry_id == "retake-cost" and vote.helpful


async def test_should_correct_an_attempt_in_place_end_to_end(
    running_bot: ExamBot, fake_discord: FakeDiscord
) -> None:
    """Log without a time, then /attempt edit it: one attempt, now with its real time."""
    await _slash(
        fake_discord,
        "attempt",
        [{"name": "log", "type": 1, "options": [
            {"name": "exam", "type": 3, "value": "AI-103"},
            {"name": "date", "type": 3, "value": "2026-11-20"},
            {"name": "result", "type": 3, "value": "fail"},
        ]}],
        user_id=MEMBER,
        guild_id=77,
    )  # fmt: skip
    [logged] = await running_bot.db.attempts.list_for_user(MEMBER)
    assert not logged.time_given

    edited = await _slash(
        fake_discord,
        "attempt",
        [{"name": "edit", "type": 1, "options": [
            {"name": "attempt", "type": 4, "value": logged.id},
            {"name": "time", "type": 3, "value": "09:30"},
        ]}],
        user_id=MEMBER,
        guild_id=77,
    )  # fmt: skip
    text = "\n".join(s.text for s in edited)
    assert "Updated your 1st attempt at **AI-103**" in text
    assert all(s.ephemeral or s.route.startswith("webhook:PATCH") for s in edited)
    [after] = await running_bot.db.attempts.list_for_user(MEMBER)
    assert after.id == logged.id and after.time_given
    assert (after.taken_at.hour, after.taken_at.minute) == (9, 30)
