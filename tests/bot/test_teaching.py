"""/kb teach, unteach, taught, feedback and the unanswered menu: moderators only, per server."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.client import ExamBot
from bot.conversation import ReplyKind, respond
from tests.bot.doubles import make_interaction
from tests.bot.test_moderation import GUILD, cog

MODERATOR = 1001


async def call(bot: ExamBot, name: str, *, manage_guild: bool = True,
               guild_id: int | None = GUILD, **options: Any) -> Any:  # fmt: skip
    interaction, recorder = make_interaction(
        bot, manage_guild=manage_guild, guild_id=guild_id, user_id=MODERATOR
    )
    moderation = cog(bot)
    await getattr(moderation, name).callback(moderation, interaction, **options)
    return recorder


async def ask(bot: ExamBot, question: str, guild_id: int | None = GUILD) -> Any:
    return await respond(
        question, user_id=2002, db=bot.db, knowledge=bot.knowledge, now=bot.now(),
        include_personal=guild_id is None, guild_id=guild_id,
    )  # fmt: skip


async def test_teach_should_answer_the_question_and_rephrasings_in_this_server_only(bot):
    before = await ask(bot, "what is the pearson thingy fee")
    assert before.entry_id != "vouchers"

    recorder = await call(bot, "teach_command", question="pearson thingy fee?", entry="vouchers")

    assert recorder.replies[0].kind == "defer" and recorder.last.ephemeral
    assert "Taught" in (recorder.last.content or "")
    after = await ask(bot, "what is the pearson thingy fee")
    assert after.kind is ReplyKind.ANSWER and after.entry_id == "vouchers"
    assert (await ask(bot, "what is the pearson thingy fee", guild_id=GUILD + 1)).entry_id == (
        before.entry_id
    )
    dm = await ask(bot, "what is the pearson thingy fee", guild_id=None)
    assert dm.entry_id == before.entry_id
    assert (await ask(bot, "when can I retake AI-102?")).entry_id != "vouchers"
    [row] = await bot.db.taught.list_for_guild(GUILD)
    assert row.taught_by == MODERATOR


async def test_off_topic_should_give_an_honest_no_answer_and_record_nothing(bot):
    await call(bot, "teach_command", question="what's the pass mark", entry="off-topic")

    reply = await ask(bot, "whats the pass mark?")

    assert reply.kind is ReplyKind.NO_MATCH and reply.entry_id is None
    assert "moderators marked it" in reply.text
    assert await bot.db.unanswered.top(guild_id=GUILD) == []


async def test_teach_should_remove_the_question_from_unanswered(bot):
    await bot.db.unanswered.record("is the exam open book", GUILD)
    await bot.db.unanswered.record("pearson thingy fee?", GUILD)

    recorder = await call(bot, "teach_command", question="pearson thingy fee?", entry="exam-price")

    assert "Removed 1 question" in (recorder.last.content or "")
    assert await bot.db.unanswered.top(guild_id=GUILD) == [("is the exam open book", 1)]


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"question": "", "entry": "exam-price"}, "type a question"),
        ({"question": "x " * 2500, "entry": "exam-price"}, "characters long"),
        ({"question": "pearson fee", "entry": "no-such-entry"}, "no entry `no-such-entry`"),
    ],
    ids=["empty", "5000-chars", "unknown-entry"],
)
async def test_bad_input_should_be_refused_ephemerally_and_store_nothing(bot, options, says):
    recorder = await call(bot, "teach_command", **options)

    assert recorder.last.ephemeral
    assert says in (recorder.last.content or "")
    assert await bot.db.taught.list_for_guild(GUILD) == []


@pytest.mark.parametrize(
    ("manage_guild", "guild_id", "says"),
    [(False, GUILD, "Only moderators"), (True, None, "not in DMs")],
    ids=["member", "dm"],
)
@pytest.mark.parametrize("name", ["teach_command", "unteach", "taught", "feedback"])
async def test_should_refuse_members_and_dms_and_store_nothing(
    bot, name, manage_guild, guild_id, says
):
    options: dict[str, Any] = {}
    if name == "teach_command":
        options = {"question": "pearson fee", "entry": "exam-price"}
    elif name == "unteach":
        options = {"question": "pearson fee"}

    recorder = await call(bot, name, manage_guild=manage_guild, guild_id=guild_id, **options)

    assert recorder.last.ephemeral and says in (recorder.last.content or "")
    assert await bot.db.taught.list_all() == []


async def test_a_question_taught_to_another_entry_should_offer_to_move_it(bot):
    await call(bot, "teach_command", question="pearson thingy fee?", entry="exam-price")

    recorder = await call(bot, "teach_command", question="Pearson thingy fee", entry="refund")

    reply = recorder.last
    assert reply.ephemeral and "already taught to" in (reply.content or "")
    assert [r.entry_id for r in await bot.db.taught.list_for_guild(GUILD)] == ["exam-price"]
    [button] = reply.buttons
    assert button.label == "Move it"

    clicker, clicked = make_interaction(bot, manage_guild=True, user_id=MODERATOR)
    await button.callback(clicker)

    assert "Moved" in (clicked.last.content or "") and clicked.last.ephemeral
    assert [r.entry_id for r in await bot.db.taught.list_for_guild(GUILD)] == ["refund"]


async def test_move_should_be_refused_to_someone_who_lost_manage_server(bot):
    await call(bot, "teach_command", question="pearson thingy fee?", entry="exam-price")
    recorder = await call(bot, "teach_command", question="pearson thingy fee", entry="refund")
    [button] = recorder.last.buttons

    clicker, clicked = make_interaction(bot, manage_guild=False, user_id=3003)
    await button.callback(clicker)

    assert "Only moderators" in (clicked.last.content or "")
    assert [r.entry_id for r in await bot.db.taught.list_for_guild(GUILD)] == ["exam-price"]


async def test_taught_should_list_and_unteach_should_take_back(bot):
    await call(bot, "teach_command", question="pearson thingy fee?", entry="vouchers")

    listed = await call(bot, "taught")
    assert "pearson thingy fee?" in (listed.last.content or "")
    assert "vouchers" in (listed.last.content or "")

    removed = await call(bot, "unteach", question="pearson thingy fee?")
    assert "Untaught" in (removed.last.content or "")
    assert await bot.db.taught.list_for_guild(GUILD) == []
    assert (await ask(bot, "what is the pearson thingy fee")).entry_id != "vouchers"
    missing = await call(bot, "unteach", question="pearson thingy fee?")
    assert "Nothing taught here" in (missing.last.content or "")


async def test_autocompletes_should_offer_unanswered_entries_and_taught_questions(bot):
    await bot.db.unanswered.record("pearson thingy fee?", GUILD)
    await bot.db.unanswered.record("asked elsewhere", GUILD + 1)
    moderation = cog(bot)
    interaction, _ = make_interaction(
        bot, manage_guild=True, namespace={"question": "how much does the exam cost"}
    )

    questions = await moderation.teach_question_autocomplete(interaction, "")
    entries = await moderation.teach_entry_autocomplete(interaction, "")

    assert [c.value for c in questions] == ["pearson thingy fee?"]
    values = [c.value for c in entries]
    assert values[0] == "exam-price" and values[-1] == "off-topic"
    await call(bot, "teach_command", question="pearson thingy fee?", entry="exam-price")
    taught = await moderation.unteach_autocomplete(interaction, "pear")
    assert [c.value for c in taught] == ["pearson thingy fee?"]
    member, _ = make_interaction(bot, manage_guild=False)
    assert await moderation.teach_question_autocomplete(member, "") == []


async def test_unanswered_should_offer_the_matchers_suggestions_in_a_menu(bot):
    await bot.db.unanswered.record("how much do I pay pearson for the exam thing", GUILD)

    recorder = await run_unanswered(bot)

    reply = recorder.last
    assert "maybe `" in (reply.content or "")
    [menu] = [i for i in reply.items if isinstance(i, discord.ui.Select)]
    assert menu.options
    menu._values = [menu.options[0].value]  # what Discord sends when one is picked
    entry_id = reply.view.choices[0][1]  # type: ignore[union-attr]

    clicker, clicked = make_interaction(bot, manage_guild=True, user_id=MODERATOR)
    await menu.callback(clicker)

    assert "Taught" in (clicked.last.content or "")
    [row] = await bot.db.taught.list_for_guild(GUILD)
    assert row.entry_id == entry_id
    assert await bot.db.unanswered.top(guild_id=GUILD) == []


async def run_unanswered(bot: ExamBot) -> Any:
    return await call(bot, "unanswered")


async def test_feedback_should_list_this_servers_unhelpful_answers(bot):
    await bot.db.feedback.record(1, "retake-cost", "How much is a retake?", False, GUILD)
    await bot.db.feedback.record(2, "retake-cost", "How much is a retake?", False, GUILD)
    await bot.db.feedback.record(3, "refund", "Refund?", False, GUILD + 1)

    recorder = await call(bot, "feedback")

    text = recorder.last.content or ""
    assert recorder.last.ephemeral
    assert "**2× 👎**" in text and "retake-cost" in text
    assert "refund" not in text
