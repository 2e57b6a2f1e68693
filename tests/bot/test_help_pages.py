"""On-topic questions no entry answers: say so and point to the one official page most
likely to have the answer; neighbouring entries are only "maybe one of these"."""

from __future__ import annotations

import shutil

import pytest

from bot.conversation import ReplyKind, respond
from bot.rendering import no_match_embed
from bot.views.answers import answer_message
from knowledge.help_pages import help_page_for
from knowledge.loader import DATA_DIR, KnowledgeError, load_knowledge
from tests.bot.conftest import NOW

PEARSON = "https://www.pearsonvue.com/us/en/test-takers/customer-service.html"
CREDENTIALS = "https://learn.microsoft.com/credentials/support/help"


@pytest.mark.parametrize(
    ("question", "url"),
    [
        ("does the test centre have parking for candidates", PEARSON),
        ("the onvue app froze before my exam started", PEARSON),
        ("my credly badge shows the wrong middle name", CREDENTIALS),
        ("how do I merge two transcripts", CREDENTIALS),
        ("what topics does AZ-104 cover",
         "https://learn.microsoft.com/en-us/credentials/certifications/resources/study-guides/az-104"),
        ("can i pay for az-900 with paypal", PEARSON),
        ("is a calculator allowed during the exam", PEARSON),
        ("how do i become a microsoft certified trainer", CREDENTIALS),
        ("what topics are covered", None),  # a study guide needs an exam to point to
        ("is there a discord server for prep", None),
    ],
)  # fmt: skip
def test_the_page_follows_the_words_of_the_question(knowledge_state, question, url):
    pointer = help_page_for(knowledge_state.kb, question)
    assert (pointer.url if pointer else None) == url


async def test_an_unanswered_on_topic_question_points_to_the_page_and_is_recorded(bot):
    question = "what colour is the pearson logo on the webcam sticker"
    reply = await respond(
        question, user_id=1, db=bot.db, knowledge=bot.knowledge, now=NOW, guild_id=77
    )
    assert reply.kind in {ReplyKind.NO_MATCH, ReplyKind.SUGGESTIONS}
    assert reply.entry_id is None, "no neighbouring entry's answer given as if it answered"
    assert reply.pointer is not None and reply.pointer.url == PEARSON
    assert PEARSON in reply.text
    recorded = [text for text, _ in await bot.db.unanswered.top(10, guild_id=77)]
    assert any("pearson logo" in text for text in recorded), recorded
    embed = no_match_embed(reply.question, pointer=reply.pointer)
    assert PEARSON in (embed.description or "")


async def test_a_question_in_a_known_gap_points_to_the_page_and_is_recorded(bot):
    question = "is there parking at the pearson vue test centre in leeds"
    reply = await respond(
        question, user_id=1, db=bot.db, knowledge=bot.knowledge, now=NOW, guild_id=78
    )
    assert reply.kind in {ReplyKind.NO_MATCH, ReplyKind.SUGGESTIONS}
    assert reply.entry_id is None
    assert reply.pointer is not None and reply.pointer.url == PEARSON
    recorded = [text for text, _ in await bot.db.unanswered.top(10, guild_id=78)]
    assert question in recorded


async def test_a_topic_known_only_for_other_exams_says_so_and_points_to_the_study_guide(bot):
    question = "az-104 skills measured?"
    reply = await respond(
        question, user_id=1, db=bot.db, knowledge=bot.knowledge, now=NOW, guild_id=79
    )
    assert reply.entry_id is None, "AI-103's outline is not AZ-104's"
    assert reply.text.startswith("I have that only for AI-102 and AI-103, not for AZ-104.")
    assert reply.pointer is not None
    assert reply.pointer.url.endswith("/study-guides/az-104")
    assert reply.pointer.url in reply.text
    recorded = [text for text, _ in await bot.db.unanswered.top(10, guild_id=79)]
    assert question in recorded
    embed, _view = answer_message(reply, show_personal=False)  # what /ask shows
    assert "I have that only for AI-102 and AI-103, not for AZ-104." in (embed.description or "")
    assert reply.pointer.url in (embed.description or "")


async def test_off_topic_and_small_talk_get_no_pointer(bot):
    for text in ("how do i refund a game on steam", "thanks bro 🙏"):
        reply = await respond(text, user_id=1, db=bot.db, knowledge=bot.knowledge, now=NOW)
        assert reply.pointer is None and reply.entry_id is None, text


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ('words = ["test cent(er|re)"]', "words"),
        ('needs_exam_code = false', None),
        ('url = "http://example.com"', "url"),
        ('entries = ["no-such-entry"]', "entries"),
        ('entries = ["passing-score"]', "entries"),  # it answers for every exam
    ],
)
def test_kb_check_names_the_page_and_field_of_a_broken_help_page(tmp_path, bad, field):
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    path = copy / "help_pages.toml"
    text = path.read_text(encoding="utf-8")
    key = bad.split(" = ")[0]
    lines = text.split("\n")
    start = lines.index('name = "study-guide"')
    for i in range(start, len(lines)):
        if lines[i].startswith(f"{key} = "):
            lines[i] = bad
            break
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(copy)
    [problem] = [p for p in caught.value.problems if p.file == "help_pages.toml"]
    assert problem.entry == "study-guide"
    if field:
        assert problem.field == field
