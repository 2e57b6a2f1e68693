"""Slash-command handler figures on a realistic size: 10,000 members x 10 attempts.

Builds the real bot (every cog loaded, never connected) on a temporary SQLite database,
then times the real callbacks of ``/ask``, ``/attempt log`` and ``/eligibility`` with
minimal interaction fakes (the autospec'd test doubles cost ~60 ms each to build and
would swamp the figures). Prints p50/p99 against the targets (p99 ≤ 5 / 20 / 10 ms)
and the throughput of 1,000 concurrent ``/attempt log``. No assertions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

MEMBERS = 10_000
ATTEMPTS_PER_MEMBER = 10
SAMPLES = 1_000
CONCURRENT_LOGS = 1_000
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
T0 = dt.datetime(2024, 1, 1, 9, 0, tzinfo=dt.UTC)
CODES = ("AI-102", "AI-103", "AZ-104", "AZ-204", "DP-100")
QUESTIONS = (
    "how long do I have to wait after failing?",
    "what is the passing score",
    "when does AI-102 retire",
    "how many times can I retake an exam in a year",
    "can I reschedule my exam",
)

# DM messages: a what-if, dated statements (two attempts), a personal question naming
# an exam, "it" resolved from context, and a plain policy question.
CHAT = (
    "what if I fail AI-103 again on 20 December?",
    "I failed AI-103 on 3 November and again on 20 November, when can I retake?",
    "when can I retake AZ-104?",
    "failed it again today",
    "how long do I have to wait after failing?",
)

POPULATE = """
INSERT INTO attempts (user_id, exam_code, taken_at, result, score, time_given, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""


class _Response:
    def __init__(self) -> None:
        self._done = False

    def is_done(self) -> bool:
        return self._done

    async def defer(self, **_: Any) -> None:
        self._done = True

    async def send_message(self, *_: Any, **__: Any) -> None:
        self._done = True


class _Followup:
    async def send(self, *_: Any, **__: Any) -> None:
        return None


class _Interaction:
    """Just what the handlers touch: user id, response, followup, edit."""

    def __init__(self, client: Any, user_id: int) -> None:
        self.client = client
        self.user = SimpleNamespace(id=user_id, bot=False, mention=f"<@{user_id}>")
        self.guild_id = 5000
        self.response = _Response()
        self.followup = _Followup()
        self.command = None

    async def edit_original_response(self, **_: Any) -> None:
        return None


def _stamp(value: dt.datetime) -> str:
    return value.isoformat(timespec="microseconds")


def _rows(members: int = MEMBERS) -> list[tuple[int, str, str, str, int, int, str]]:
    rng = random.Random(7)
    created = _stamp(T0)
    rows = []
    for member in range(members):
        for n in range(ATTEMPTS_PER_MEMBER):
            passed = rng.random() < 0.3
            rows.append(
                (
                    member,
                    CODES[n % len(CODES)],
                    _stamp(T0 + dt.timedelta(days=30 * n, minutes=member % 1440)),
                    "pass" if passed else "fail",
                    rng.randint(700, 1000) if passed else rng.randint(300, 699),
                    1,
                    created,
                )
            )
    return rows


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _report(name: str, seconds: list[float], target_ms: float) -> None:
    ms = [s * 1000 for s in seconds]
    p99 = _pct(ms, 0.99)
    verdict = "ok" if p99 <= target_ms else "OVER"
    print(
        f"{name:<16} p50 {_pct(ms, 0.50):7.3f} ms   p99 {p99:7.3f} ms   "
        f"mean {statistics.fmean(ms):7.3f} ms   target p99 <= {target_ms:g} ms ({verdict})"
        f"   (n={len(ms)})"
    )


async def _time(calls: list[Any]) -> list[float]:
    timings = []
    for call in calls:
        started = time.perf_counter()
        await call()
        timings.append(time.perf_counter() - started)
    return timings


def make_settings(path: Path) -> Any:
    """The bot's settings for a benchmark (``path``: where SQLite or the sync marker lives)."""
    from bot.config import Settings

    return Settings(
        _env_file=None,
        discord_token=None,
        database_path=path,
        free_text_cooldown_seconds=0,
    )


async def start_bot(db: Any, path: Path) -> Any:
    """The real bot on ``db``, every cog loaded, never connected, no background DMs."""
    from bot.client import ExamBot
    from bot.knowledge_state import KnowledgeState

    bot = ExamBot(
        settings=make_settings(path), db=db, knowledge=KnowledgeState.load(), clock=lambda: NOW
    )
    for name in bot.extension_names:
        await bot.load_extension(name)
    reminders: Any = bot.get_cog("Reminders")
    await reminders.scheduler.stop()  # no background DMs during the figures
    return bot


async def stop_bot(bot: Any) -> None:
    for name in list(bot.extensions):
        await bot.unload_extension(name)


def log_call(bot: Any, n: int, member: int) -> Any:
    """One ``/attempt log`` by ``member``; distinct ``n`` below 7,200 never collide."""
    attempts: Any = bot.get_cog("Attempts")
    interaction = _Interaction(bot, member)
    day = (NOW - dt.timedelta(days=1 + n % 300)).date().isoformat()
    minute = f"{(n // 300) % 24:02d}:{n % 60:02d}"
    return lambda: attempts.log_command.callback(
        attempts,
        interaction,
        exam="AI-103",
        date=day,
        result="fail",
        time=minute,
        score=None,
    )


def eligibility_call(bot: Any, member: int) -> Any:
    """One ``/eligibility`` (every exam of the member's log) by ``member``."""
    eligibility: Any = bot.get_cog("Eligibility")
    interaction = _Interaction(bot, member)
    return lambda: eligibility.eligibility.callback(eligibility, interaction, exam=None)


async def _run(path: Path) -> None:
    from bot.storage import Database

    db = await Database.open(path, clock=lambda: NOW)
    bot: Any = None
    try:
        rows = _rows()
        started = time.perf_counter()
        async with db.transaction() as conn:
            await conn.executemany(POPULATE, rows)
        print(f"populate {len(rows):,} attempts    {time.perf_counter() - started:6.2f} s")
        bot = await start_bot(db, path)
        rng = random.Random(11)

        ask_cog: Any = bot.get_cog("AskCog")

        def ask_call(n: int) -> Any:
            interaction = _Interaction(bot, rng.randrange(MEMBERS))
            question = QUESTIONS[n % len(QUESTIONS)]
            return lambda: ask_cog.ask.callback(ask_cog, interaction, question=question)

        await _time([ask_call(n) for n in range(50)])  # warm caches
        _report("/ask", await _time([ask_call(n) for n in range(SAMPLES)]), 5)

        logs = [log_call(bot, n, rng.randrange(MEMBERS)) for n in range(SAMPLES)]
        _report("/attempt log", await _time(logs), 20)

        checks = [eligibility_call(bot, rng.randrange(MEMBERS)) for _ in range(SAMPLES)]
        _report("/eligibility", await _time(checks), 10)

        from bot.conversation import respond
        from bot.conversation_memory import RecentExams
        from bot.surfaces.discord import DISCORD

        memory = RecentExams()

        def chat_call(n: int) -> Any:
            text = CHAT[n % len(CHAT)]
            member = rng.randrange(MEMBERS)
            return lambda: respond(
                text, user_id=member, db=db, knowledge=bot.knowledge, now=NOW,
                surface=DISCORD, memory=memory, timezone="UTC",
            )  # fmt: skip

        await _time([chat_call(n) for n in range(50)])
        _report("free text (DM)", await _time([chat_call(n) for n in range(SAMPLES)]), 5)
        for text in CHAT:
            member = rng.randrange(MEMBERS)
            kind_calls = [
                (lambda t=text, m=member: respond(
                    t, user_id=m, db=db, knowledge=bot.knowledge, now=NOW,
                    surface=DISCORD, memory=memory, timezone="UTC",
                ))
                for _ in range(200)
            ]  # fmt: skip
            _report(f"  {text[:30]}", await _time(kind_calls), 5)

        calls = [log_call(bot, SAMPLES + n, n % MEMBERS) for n in range(CONCURRENT_LOGS)]
        started = time.perf_counter()
        await asyncio.gather(*(call() for call in calls))
        elapsed = time.perf_counter() - started
        print(
            f"{CONCURRENT_LOGS:,} concurrent /attempt log   {elapsed:6.2f} s   "
            f"{CONCURRENT_LOGS / elapsed:7.0f} logs/s"
        )
    finally:
        if bot is not None:
            await stop_bot(bot)
        await db.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_run(Path(tmp) / "bench.sqlite3"))


if __name__ == "__main__":
    main()
