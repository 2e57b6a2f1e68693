"""bot.member_log and bot.surfaces.personal: the service and texts every surface shares."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.member_log import (
    ExamStatus,
    PersonalInputError,
    enable_reminder,
    log_attempt,
    member_status,
    sync_reminder,
)
from bot.member_log import PersonalInputError as InvalidAttemptError
from bot.surfaces.console import console_surface, local_time
from bot.surfaces.discord import DISCORD, discord_time
from bot.surfaces.personal import describe_status
from knowledge.codes import InvalidExamCodeError
from knowledge.models import Exam
from knowledge.rules import Attempt, AttemptResult, Status, evaluate
from tests.bot.conftest import NOW

UTC = dt.UTC


async def log(db, kb, user_id=1001, **kwargs):
    params = {"exam": "AI-103", "date": "2026-11-20", "result": "fail", "time": None}
    params |= {"score": None, "now": NOW} | kwargs
    return await log_attempt(db, kb, user_id, **params)


@pytest.fixture
def kb(knowledge_state):
    return knowledge_state.kb


def test_discord_time_gives_full_and_relative_timestamps():
    moment = dt.datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert (
        discord_time(moment) == f"<t:{int(moment.timestamp())}:F> (<t:{int(moment.timestamp())}:R>)"
    )


def test_local_time_shows_the_members_zone_in_plain_text():
    fmt = local_time("Asia/Tokyo")
    assert fmt(dt.datetime(2026, 11, 26, 12, 0, tzinfo=UTC)) == "Thu 26 Nov 2026, 21:00 JST"


def test_local_time_falls_back_to_utc_for_a_zone_tzdata_no_longer_knows():
    # Zones are validated when set; one that later vanished must not fail a reply.
    moment = dt.datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert local_time("Nowhere/Land")(moment) == local_time("UTC")(moment)


async def test_member_status_lists_every_logged_exam_sorted(db, kb):
    await log(db, kb, exam="AZ-104")
    await log(db, kb, exam="AI-103")
    await log(db, kb, user_id=2002, exam="DP-100")

    statuses = await member_status(db, kb, 1001, None, NOW)

    assert [s.exam.code for s in statuses] == ["AI-103", "AZ-104"]
    assert all(len(s.attempts) == 1 for s in statuses)
    assert await member_status(db, kb, 3003, None, NOW) == []


async def test_member_status_for_a_named_exam_without_attempts_is_eligible(db, kb):
    [status] = await member_status(db, kb, 1001, "ai-103", NOW)
    assert status.eligibility.status is Status.ELIGIBLE and status.attempts == []


async def test_member_status_refuses_malformed_code_with_a_knowledge_free_error(db, kb):
    with pytest.raises(PersonalInputError) as info:
        await member_status(db, kb, 1001, "hello", NOW)
    assert not isinstance(info.value, InvalidExamCodeError)


async def test_log_attempt_reports_assumed_time_and_warnings(db, kb):
    await log(db, kb, date="2026-11-20", time="10:00")

    logged = await log(db, kb, date="2026-11-20", time="11:00")

    assert logged.time_assumed is False
    assert logged.attempt.taken_at == dt.datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    assert len(logged.warnings) == 1 and "too soon" in logged.warnings[0].message
    assert logged.eligibility.status is Status.WAITING
    assume = await log(db, kb, exam="AZ-104")
    assert assume.time_assumed and assume.warnings == []


async def test_log_attempt_uses_exam_passing_score(db, kb):
    with pytest.raises(InvalidAttemptError, match="passing score"):
        await log(db, kb, result="pass", score=699)
    assert (await log(db, kb, result="pass", score=700)).attempt.score == 700


async def test_log_attempt_refuses_a_wall_time_skipped_by_dst(db, kb):
    with pytest.raises(InvalidAttemptError, match="doesn't exist"):
        await log(db, kb, date="2026-03-29", time="02:30", timezone="Europe/Paris")
    assert await db.attempts.list_for_user(1001) == []


async def test_log_attempt_errors_are_not_knowledge_errors(db, kb):
    with pytest.raises(InvalidAttemptError) as info:
        await log(db, kb, exam="A-1")
    assert isinstance(info.value, InvalidAttemptError)


async def test_sync_reminder_rearms_a_sent_reminder_when_a_new_wait_starts(db, kb):
    first = dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    await db.attempts.add(1001, "AI-103", first, "fail", None, time_given=True)
    await db.reminders.set(1001, "AI-103", first + dt.timedelta(hours=24))
    await db.reminders.claim_due(first + dt.timedelta(hours=25))

    logged = await log(db, kb, date="2026-11-26", time="09:00")

    assert logged.reminder is not None and logged.reminder.sent_at is None
    assert logged.reminder.due_at == dt.datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


async def test_sync_reminder_turns_off_a_pending_reminder_after_a_pass(db, kb):
    await log(db, kb, date="2026-11-26", time="09:00")
    await enable_reminder(db, kb, 1001, "AI-103", NOW)
    await db.attempts.add(
        1001, "AI-103", dt.datetime(2026, 11, 26, 11, 0, tzinfo=UTC), "pass", 800, True
    )

    reminder = await sync_reminder(db, kb, 1001, "AI-103", NOW)

    assert reminder is not None and not reminder.enabled


async def test_sync_reminder_leaves_a_sent_reminder_alone_when_nothing_changed(db, kb):
    await log(db, kb, date="2026-11-26", time="09:00")
    await enable_reminder(db, kb, 1001, "AI-103", NOW)
    later = dt.datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    [claimed] = await db.reminders.claim_due(later)
    assert await db.reminders.mark_sent(1001, "AI-103", later, claim=str(claimed.claimed_by))

    reminder = await sync_reminder(db, kb, 1001, "AI-103", later)

    assert reminder is not None and reminder.sent_at == later


def _status(exam: Exam, attempts: list[Attempt], kb) -> ExamStatus:
    eligibility = evaluate(attempts, exam, NOW, kb.policy)
    return ExamStatus(exam, [], eligibility, None, kb.policy)


def test_describe_status_waiting_shows_next_chance_rule_and_window(kb):
    exam = kb.exam("AI-103")
    taken = dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    text = describe_status(
        _status(exam, [Attempt(taken, AttemptResult.FAIL)], kb), DISCORD, NOW
    )

    earliest = int((taken + dt.timedelta(hours=24)).timestamp())
    assert "**AI-103** — Developing AI Apps and Agents on Azure" in text
    assert "Waiting" in text
    assert f"**Next chance:** <t:{earliest}:F> (<t:{earliest}:R>)" in text
    assert "wait after a failed first attempt" in text
    assert "**Attempts in this window:** 1 of 5" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}T", text)  # no raw ISO UTC left from the engine


def test_describe_status_warns_of_retirement_and_successor(kb):
    exam = Exam(
        code="XY-101",
        retires_at=dt.datetime(2026, 11, 30, 5, 59, tzinfo=UTC),
        successor="XY-201",
    )
    taken = dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    waiting = _status(exam, [Attempt(taken, AttemptResult.FAIL)], kb)
    assert waiting.eligibility.status is Status.WAITING
    text = describe_status(waiting, console_surface("UTC"), NOW)
    lead = "⚠️ **XY-101 retires on Mon 30 Nov 2026, 05:59 UTC.** Its successor is **XY-201**."
    assert lead in text

    second = taken + dt.timedelta(hours=25)
    later = NOW + dt.timedelta(days=2)
    retires_first = evaluate(
        [Attempt(taken, AttemptResult.FAIL), Attempt(second, AttemptResult.FAIL)],
        exam,
        later,
        kb.policy,
    )
    status = ExamStatus(exam, [], retires_first, None, kb.policy)
    assert retires_first.status is Status.RETIRES_FIRST
    assert "Retires before your wait ends" in describe_status(status, console_surface("UTC"), later)


def test_describe_status_for_a_retired_exam_names_the_successor_once(kb):
    exam = kb.exam("AI-102")
    taken = dt.datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    text = describe_status(
        _status(exam, [Attempt(taken, AttemptResult.FAIL)], kb), DISCORD, NOW
    )
    assert "Retired" in text and text.count("AI-103") == 1
    assert "Attempts in this window" not in text
