from __future__ import annotations

import json

from bot.storage import Database
from tests.storage.conftest import T0, scalar, table_columns

# Every table with a user_id column; the tests below fail when a new one is added and
# export/forget do not cover it.
USER_TABLES = {"attempts", "user_settings", "reminders", "feedback"}


async def _fill(db: Database, user: int) -> None:
    await db.attempts.add(user, "AI-102", T0, "fail", 500, True)
    await db.attempts.add(user, "AZ-104", T0, "pass", None, False)
    await db.settings.set_timezone(user, "Europe/Paris")
    await db.reminders.set(user, "AI-102", T0)
    await db.feedback.record(user, "retake-wait", "how long?", True)
    await db.unanswered.record(f"question from {user}")


async def _user_tables(db: Database) -> set[str]:
    return {t for t, columns in (await table_columns(db)).items() if "user_id" in columns}


async def _rows(db: Database, table: str, user: int) -> int:
    return int(str(await scalar(db, f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user,))))


async def test_export_should_cover_every_table_and_be_json(db: Database) -> None:
    assert await _user_tables(db) == USER_TABLES
    await _fill(db, 1)
    await _fill(db, 2)
    export = await db.export_user(1)
    assert json.loads(json.dumps(export)) == export
    assert export["user_id"] == 1
    assert [a["exam_code"] for a in export["attempts"]] == ["AI-102", "AZ-104"]
    assert export["settings"] == {"timezone": "Europe/Paris"}
    assert [r["exam_code"] for r in export["reminders"]] == ["AI-102"]
    assert [f["entry_id"] for f in export["feedback"]] == ["retake-wait"]
    own_ids = {a.id for a in await db.attempts.list_for_user(1)}
    assert {a["id"] for a in export["attempts"]} == own_ids  # nobody else's rows
    assert await db.export_user(3) == {
        "user_id": 3,
        "attempts": [],
        "settings": None,
        "reminders": [],
        "feedback": [],
    }


async def test_forget_should_delete_everything_of_the_member_only(db: Database) -> None:
    await _fill(db, 1)
    await _fill(db, 2)
    counts = await db.forget_user(1)
    assert counts == {
        "attempts": 2, "user_settings": 1, "reminders": 1, "feedback": 1, "taught": 0,
    }  # fmt: skip
    assert set(counts) == USER_TABLES | {"taught"}
    for table in USER_TABLES:
        assert await _rows(db, table, 1) == 0
        assert await _rows(db, table, 2) >= 1
    assert await db.export_user(1) == {
        "user_id": 1,
        "attempts": [],
        "settings": None,
        "reminders": [],
        "feedback": [],
    }
    assert len((await db.export_user(2))["attempts"]) == 2
    assert await db.forget_user(1) == dict.fromkeys([*USER_TABLES, "taught"], 0)


async def test_a_moderators_export_and_forget_should_cover_what_they_taught(
    db: Database,
) -> None:
    """Taught questions are the server's: forget keeps them, without the moderator."""
    await db.taught.teach(50, "pearson thingy fee?", "exam-price", 7)
    await db.taught.teach(50, "is it raining", "off-topic", 8)
    export = await db.export_user(7)
    assert [(t["guild_id"], t["question"], t["entry_id"]) for t in export["taught"]] == [
        (50, "pearson thingy fee?", "exam-price")
    ]
    assert json.loads(json.dumps(export)) == export

    counts = await db.forget_user(7)

    assert counts["taught"] == 1
    rows = await db.taught.list_for_guild(50)
    assert [(r.question, r.taught_by) for r in rows] == [
        ("pearson thingy fee?", None),
        ("is it raining", 8),
    ]
    assert "taught" not in await db.export_user(7)
