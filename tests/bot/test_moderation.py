"""/kb unanswered and /kb reload: moderators only, and a bad reload changes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import discord
import pytest

import knowledge.loader
from bot.client import ExamBot
from tests.bot.doubles import make_interaction

# The guild the interaction doubles run in by default.
GUILD = 5000


def cog(bot: ExamBot) -> Any:
    found = bot.get_cog("ModerationCog")
    assert found is not None
    return found


async def run(bot: ExamBot, name: str, **kwargs: Any) -> Any:
    interaction, recorder = make_interaction(bot, **kwargs)
    moderation = cog(bot)
    command = getattr(moderation, name)
    await command.callback(moderation, interaction)
    return recorder


def test_should_gate_kb_group_by_manage_guild_and_guild_only(bot):
    group = bot.tree.get_command("kb")
    assert isinstance(group, discord.app_commands.Group)
    assert group.default_permissions == discord.Permissions(manage_guild=True)
    assert group.guild_only


async def test_should_list_most_frequent_unanswered_questions_when_moderator_asks(bot):
    for question in ["is the exam open book", "Is the exam open book?", "can I bring a pet"]:
        await bot.db.unanswered.record(question, GUILD)

    recorder = await run(bot, "unanswered", manage_guild=True)

    reply = recorder.last
    assert reply.ephemeral
    lines = (reply.content or "").splitlines()
    assert "**2×** is the exam open book" in lines[1]
    assert "**1×** can I bring a pet" in lines[2]


async def test_should_show_only_this_servers_unanswered_questions(bot):
    await bot.db.unanswered.record("asked here", GUILD)
    await bot.db.unanswered.record("asked in another server", GUILD + 1)
    await bot.db.unanswered.record("asked in a private DM")

    recorder = await run(bot, "unanswered", manage_guild=True)

    text = recorder.last.content or ""
    assert "asked here" in text
    assert "another server" not in text and "private DM" not in text


async def test_should_say_nothing_recorded_when_there_are_no_unanswered_questions(bot):
    recorder = await run(bot, "unanswered", manage_guild=True)

    assert recorder.last.ephemeral
    assert "No unanswered questions" in (recorder.last.content or "")


async def test_should_acknowledge_unanswered_before_reading_the_database(bot, monkeypatch):
    """The read can wait on a writer past Discord's 3-second budget."""
    interaction, recorder = make_interaction(bot, manage_guild=True)
    real = bot.db.unanswered.top
    acknowledged: list[bool] = []

    async def spy(limit: int, guild_id: int | None = None) -> Any:
        acknowledged.append(interaction.response.is_done())
        return await real(limit, guild_id)

    monkeypatch.setattr(bot.db.unanswered, "top", spy)
    moderation = cog(bot)

    await moderation.unanswered.callback(moderation, interaction)

    assert acknowledged == [True]
    assert recorder.replies[0].kind == "defer" and recorder.replies[0].ephemeral
    assert recorder.last.ephemeral and "No unanswered questions" in (recorder.last.content or "")


@pytest.mark.parametrize("name", ["unanswered", "reload"])
async def test_should_refuse_when_member_is_not_a_moderator(bot, name):
    await bot.db.unanswered.record("secret question", GUILD)
    before = bot.knowledge

    recorder = await run(bot, name, manage_guild=False)

    assert recorder.last.ephemeral
    assert "Only moderators" in (recorder.last.content or "")
    assert "secret question" not in recorder.last.text
    assert bot.knowledge is before


async def test_should_reload_knowledge_when_files_are_valid(bot):
    before = bot.knowledge

    recorder = await run(bot, "reload", manage_guild=True)

    assert recorder.replies[0].kind == "defer" and recorder.replies[0].ephemeral
    assert recorder.last.ephemeral
    assert "Reloaded" in (recorder.last.content or "")
    assert bot.knowledge is not before
    assert set(bot.knowledge.kb.entries) == set(before.kb.entries)


async def test_should_keep_old_knowledge_and_report_problems_when_files_are_broken(
    bot, tmp_path: Path, monkeypatch
):
    broken = tmp_path / "data"
    shutil.copytree(knowledge.loader.DATA_DIR, broken)
    (broken / "policy.toml").write_text("passing_score = 'seven hundred'\n")
    monkeypatch.setattr(knowledge.loader, "DATA_DIR", broken)
    before = bot.knowledge

    recorder = await run(bot, "reload", manage_guild=True)

    assert bot.knowledge is before
    reply = recorder.last
    assert reply.ephemeral
    assert "kept the previous version" in (reply.content or "")
    assert "policy.toml" in (reply.content or "")


@pytest.mark.parametrize(
    ("file", "text", "named"),
    [
        # A table where the array of tables belongs: [exam] for [[exam]].
        ("exams.toml", '[exam]\ncode = "AI-102"\n', "exams.toml exam: must be an array of tables"),
        ("faq/zz-broken.toml", 'entry = "passing-score"\n', "faq/zz-broken.toml entry: must be"),
        ("policy.toml", None, "policy.toml: cannot be read: byte 0xff at line 1, column 1"),
    ],
    ids=["exam-table", "entry-string", "not-utf-8"],
)
async def test_should_keep_old_knowledge_and_say_why_when_a_file_is_broken_in_its_structure(
    bot, tmp_path: Path, monkeypatch, file: str, text: str | None, named: str
):
    broken = tmp_path / "data"
    shutil.copytree(knowledge.loader.DATA_DIR, broken)
    if text is None:
        (broken / file).write_bytes(b"\xff" + (broken / file).read_bytes())
    else:
        (broken / file).write_text(text, encoding="utf-8")
    monkeypatch.setattr(knowledge.loader, "DATA_DIR", broken)
    before = bot.knowledge
    question = before.kb.entries["passing-score"].question

    recorder = await run(bot, "reload", manage_guild=True)

    assert bot.knowledge is before
    assert bot.knowledge.kb.entries["passing-score"].question == question
    content = recorder.last.content or ""
    assert recorder.last.ephemeral
    assert "kept the previous version" in content
    # The reply escapes Markdown: compare without the backslashes.
    assert named in content.replace("\\", ""), content
