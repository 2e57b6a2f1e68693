"""Storage figures on a realistic size: 10,000 members x 10 attempts.

Prints p50/p99 latency of ``attempts.list_for_user`` and ``attempts.add`` (sequential,
one call at a time) and the throughput of 1,000 concurrent ``add`` calls. No assertions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

from bot.storage import Database

MEMBERS = 10_000
ATTEMPTS_PER_MEMBER = 10
SAMPLES = 1_000
CONCURRENT_ADDS = 1_000
T0 = dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.UTC)
CODES = ("AI-102", "AZ-104", "AZ-900", "DP-203", "SC-900")

POPULATE = """
INSERT INTO attempts (user_id, exam_code, taken_at, result, score, time_given, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""


def _stamp(value: dt.datetime) -> str:
    return value.isoformat(timespec="microseconds")


def _rows() -> list[tuple[int, str, str, str, int, int, str]]:
    rng = random.Random(7)
    created = _stamp(T0)
    return [
        (
            member,
            CODES[n % len(CODES)],
            _stamp(T0 + dt.timedelta(days=3 * n, minutes=member % 1440)),
            "pass" if rng.random() < 0.4 else "fail",
            rng.randint(300, 1000),
            1,
            created,
        )
        for member in range(MEMBERS)
        for n in range(ATTEMPTS_PER_MEMBER)
    ]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _report(name: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(
        f"{name:<28} p50 {_pct(ms, 0.50):7.3f} ms   p99 {_pct(ms, 0.99):7.3f} ms"
        f"   mean {statistics.fmean(ms):7.3f} ms   (n={len(ms)})"
    )


async def _run(path: Path) -> None:
    db = await Database.open(path)
    try:
        rows = _rows()
        started = time.perf_counter()
        async with db.transaction() as conn:
            await conn.executemany(POPULATE, rows)
        print(f"populate {len(rows):,} attempts      {time.perf_counter() - started:7.2f} s")

        rng = random.Random(11)
        timings: list[float] = []
        for _ in range(SAMPLES):
            member = rng.randrange(MEMBERS)
            t = time.perf_counter()
            await db.attempts.list_for_user(member)
            timings.append(time.perf_counter() - t)
        _report("list_for_user (10 rows)", timings)

        timings = []
        for n in range(SAMPLES):
            member = rng.randrange(MEMBERS)
            when = T0 + dt.timedelta(days=400, seconds=n)
            t = time.perf_counter()
            await db.attempts.add(member, "AI-102", when, "fail", 500, True)
            timings.append(time.perf_counter() - t)
        _report("add (one at a time)", timings)

        started = time.perf_counter()
        await asyncio.gather(
            *(
                db.attempts.add(
                    n % MEMBERS, "AZ-104", T0 + dt.timedelta(days=500, seconds=n), "pass", 800, True
                )
                for n in range(CONCURRENT_ADDS)
            )
        )
        elapsed = time.perf_counter() - started
        print(
            f"{CONCURRENT_ADDS:,} concurrent add         {elapsed:7.2f} s"
            f"   {CONCURRENT_ADDS / elapsed:8.0f} adds/s"
        )
        size = path.stat().st_size + path.with_name(path.name + "-wal").stat().st_size
        print(f"database + WAL size             {size / 1e6:7.1f} MB")
    finally:
        await db.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_run(Path(tmp) / "bench.sqlite3"))


if __name__ == "__main__":
    main()
