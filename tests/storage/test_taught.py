"""The taught table: per server, one row per question, moves, unteach, and the cache."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.cli.kb import _learned
from bot.storage import Database
from bot.storage.taught import TeachOutcome
from tests.conftest import Store

GUILD, OTHER = 5000, 6000


async def test_teach_should_store_who_when_and_be_read_back_per_server(db: Database) -> None:
    result = await db.taught.teach(GUILD, "pearson thingy fee?", "exam-price", 42)

    assert result.outcome is TeachOutcome.TAUGHT
    [row] = await db.taught.list_for_guild(GUILD)
    assert (row.question, row.entry_id, row.taught_by) == ("pearson thingy fee?", "exam-price", 42)
    assert row.taught_at.tzinfo is not None
    assert await db.taught.list_for_guild(OTHER) == []
    assert (await db.taught.index(GUILD)).match("what is the pearson thingy fee") == row
    assert (await db.taught.index(OTHER)).match("what is the pearson thingy fee") is None


async def test_teaching_the_same_words_to_another_entry_should_conflict_until_moved(
    db: Database,
) -> None:
    await db.taught.teach(GUILD, "pearson thingy fee?", "exam-price", 42)

    again = await db.taught.teach(GUILD, "pearson thingy fee", "exam-price", 43)
    conflict = await db.taught.teach(GUILD, "The Pearson thingy fee", "refund", 43)

    assert again.outcome is TeachOutcome.UNCHANGED
    assert conflict.outcome is TeachOutcome.CONFLICT
    assert conflict.row.entry_id == "exam-price"
    [row] = await db.taught.list_for_guild(GUILD)
    assert (row.entry_id, row.taught_by) == ("exam-price", 42)  # nothing changed

    moved = await db.taught.teach(GUILD, "The Pearson thingy fee", "refund", 43, move=True)

    assert moved.outcome is TeachOutcome.MOVED
    [row] = await db.taught.list_for_guild(GUILD)
    assert (row.question, row.entry_id, row.taught_by) == ("The Pearson thingy fee", "refund", 43)
    assert (await db.taught.index(GUILD)).match("pearson thingy fee").entry_id == "refund"  # type: ignore[union-attr]


async def test_teach_should_remove_the_question_and_its_rephrasings_from_unanswered(
    db: Database,
) -> None:
    for question in ["pearson thingy fee?", "what is the pearson thingy fee", "open book?"]:
        await db.unanswered.record(question, GUILD)
    await db.unanswered.record("pearson thingy fee?", OTHER)

    result = await db.taught.teach(GUILD, "pearson thingy fee?", "exam-price", 42)

    assert result.unanswered_removed == 2
    assert await db.unanswered.top(guild_id=GUILD) == [("open book?", 1)]
    assert await db.unanswered.top(guild_id=OTHER) == [("pearson thingy fee?", 1)]


async def test_unteach_should_take_it_back_in_that_server_only(db: Database) -> None:
    await db.taught.teach(GUILD, "pearson thingy fee?", "exam-price", 42)
    await db.taught.teach(OTHER, "pearson thingy fee?", "refund", 42)
    assert len(await db.taught.index(GUILD)) == 1

    removed = await db.taught.unteach(GUILD, "pearson thingy fee?")

    assert removed is not None and removed.entry_id == "exam-price"
    assert await db.taught.unteach(GUILD, "pearson thingy fee?") is None
    assert len(await db.taught.index(GUILD)) == 0  # the cached index was dropped
    assert [r.entry_id for r in await db.taught.list_for_guild(OTHER)] == ["refund"]


async def test_what_another_process_taught_should_show_once_the_index_is_refreshed(
    store: Store, db: Database
) -> None:
    """A second handle on the same store, as a second bot process has: its cached index is
    read again once older than REFRESH_SECONDS (a fake clock here, no waiting)."""
    other = await store.open()
    ticks = [0.0]
    other.taught._monotonic = lambda: ticks[0]  # type: ignore[method-assign]
    assert len(await other.taught.index(GUILD)) == 0

    await db.taught.teach(GUILD, "pearson thingy fee?", "exam-price", 42)

    assert len(await other.taught.index(GUILD)) == 0  # still fresh: from memory
    ticks[0] = 1.5
    assert len(await other.taught.index(GUILD)) == 1


async def test_the_taught_rows_should_survive_reopening(store: Store, db: Database) -> None:
    await db.taught.teach(GUILD, "pearson thingy fee?", "exam-price", 42)
    await db.close()

    reopened = await store.open()

    assert [r.question for r in await reopened.taught.list_all()] == ["pearson thingy fee?"]


async def test_unhelpful_feedback_should_be_counted_per_server(db: Database) -> None:
    await db.feedback.record(1, "retake-cost", "How much is a retake?", False, GUILD)
    await db.feedback.record(2, "retake-cost", "How much is a retake?", False, GUILD)
    await db.feedback.record(3, "refund", "Refund?", False, GUILD)
    await db.feedback.record(4, "refund", "Refund?", True, GUILD)
    await db.feedback.record(5, "passing-score", "Pass mark?", False, OTHER)
    await db.feedback.record(6, "passing-score", "Pass mark?", False)

    assert await db.feedback.unhelpful(GUILD) == [("retake-cost", 2), ("refund", 1)]
    assert await db.feedback.unhelpful(OTHER) == [("passing-score", 1)]


async def test_kb_learned_should_export_everything_taught_as_member_questions(
    store: Store, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    await db.taught.teach(GUILD, "pearson thingy fee?", "exam-price", 42)
    await db.taught.teach(OTHER, "Pearson thingy fee?", "exam-price", 43)  # the same, once
    await db.taught.teach(OTHER, "vouchr for students", "student-pricing", 43)
    await db.taught.teach(GUILD, "is it raining", "off-topic", 42)
    await db.close()
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv("DATABASE_PATH", str(store.path))
    if store.url is not None:
        monkeypatch.setenv("DATABASE_URL", store.url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    target = tmp_path / "learned.toml"

    assert await _learned(target, None) == 0  # python -m bot kb learned --export FILE

    document = tomllib.loads(target.read_text(encoding="utf-8"))
    assert document == {
        "questions": {
            "exam-price": ["pearson thingy fee?"],
            "student-pricing": ["vouchr for students"],
        }
    }
    assert '"is it raining"' in target.read_text(encoding="utf-8")  # as a comment
    assert "Wrote 2 taught question(s)" in capsys.readouterr().out
