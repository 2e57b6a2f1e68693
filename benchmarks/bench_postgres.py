"""Both backends side by side: the same handlers on SQLite and on PostgreSQL.

Issue 10's targets, on 10,000 members x 10 attempts:

1. p50/p99 of ``/attempt log`` and ``/eligibility`` on each backend, and PostgreSQL's
   p99 over SQLite's (target: within 2x). The same code path as ``bench_handlers``: the
   real cogs' callbacks through its interaction doubles, never raw SQL. Both bots run
   in one process and their calls alternate, so background load hits both alike.
2. 1,000 concurrent ``/attempt log``: logs per second with one OS process and with two
   (500 each, released together by a barrier; wall time from the common start until
   both are done) on one PostgreSQL database, and SQLite's one-process figure measured
   the same way. A third PostgreSQL run, one process with a pool as large as the two
   processes' together, separates "more connections" from "more processes".

Every run gets a store of its own: a fresh SQLite file, or a fresh PostgreSQL schema
(``search_path`` in the URL, as the tests' ``store`` fixture and
``bench_reminder_processes`` do), seeded with COPY and
dropped afterwards, so runs are repeatable. Prints figures, asserts nothing. The
PostgreSQL part needs TEST_DATABASE_URL (``.ci/run`` starts a throwaway server).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import random
import statistics
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks.bench_handlers import (
    ATTEMPTS_PER_MEMBER,
    MEMBERS,
    NOW,
    POPULATE,
    _rows,
    eligibility_call,
    log_call,
    start_bot,
    stop_bot,
)
from benchmarks.bench_reminder_processes import _with_schema as with_search_path
from bot.storage import Database
from bot.storage.postgres import POOL_MAX_SIZE

SAMPLES = 1_000
WARMUP = 50
CONCURRENT_LOGS = 1_000
RATIO_TARGET = 2.0
COLUMNS = ("user_id", "exam_code", "taken_at", "result", "score", "time_given", "created_at")
SKIPPED = (
    "skipped: set TEST_DATABASE_URL to a PostgreSQL database to compare the backends "
    "(.ci/run starts a throwaway server)"
)


@dataclass(frozen=True)
class Size:
    """How big a run is (the smoke test runs a tiny one)."""

    members: int = MEMBERS
    samples: int = SAMPLES
    warmup: int = WARMUP
    concurrent: int = CONCURRENT_LOGS


# --- stores -------------------------------------------------------------------------


async def create_schema(base: str) -> tuple[str, str]:
    """A new, empty schema: its name, and a URL whose connections use it."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await admin.close()
    return schema, with_search_path(base, schema)


async def drop_schema(base: str, schema: str) -> None:
    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await admin.close()


@asynccontextmanager
async def fresh_schema(base: str) -> AsyncIterator[str]:
    """A URL whose connections use a new, empty schema, dropped (with its rows) after."""
    schema, url = await create_schema(base)
    try:
        yield url
    finally:
        await drop_schema(base, schema)


def rows_for(size: Size) -> list[tuple[int, str, str, str, int, int, str]]:
    return _rows(size.members)


async def seed_postgres(url: str, size: Size) -> float:
    """Migrate (through the bot's own open) and COPY the attempts in: seconds taken."""
    db = await Database.open_postgres(url, clock=lambda: NOW, pool_size=1)
    await db.close()
    rows = rows_for(size)
    started = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await conn.copy_records_to_table("attempts", records=rows, columns=COLUMNS)
        # What autovacuum would soon do on a real server: plans from real statistics.
        await conn.execute("ANALYZE attempts")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def seed_sqlite(path: Path, size: Size) -> float:
    """Migrate and insert the attempts in one transaction: seconds taken."""
    db = await Database.open(path, clock=lambda: NOW)
    rows = rows_for(size)
    try:
        started = time.perf_counter()
        async with db.transaction() as conn:
            await conn.executemany(POPULATE, rows)
        return time.perf_counter() - started
    finally:
        await db.close()


async def open_store(where: str, *, pool_size: int = POOL_MAX_SIZE) -> Database:
    """A PostgreSQL URL or a SQLite file, opened as the bot opens it."""
    if "://" in where:
        return await Database.open_postgres(where, clock=lambda: NOW, pool_size=pool_size)
    return await Database.open(where, clock=lambda: NOW)


@contextmanager
def scratch() -> Any:
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        yield Path(folder)


# --- 1. handler latency -------------------------------------------------------------


async def handler_latencies(
    stores: dict[str, str], size: Size
) -> dict[str, dict[str, list[float]]]:
    """Sequential ``/attempt log`` then ``/eligibility`` timings, per store.

    One bot per store, all in this process, and their calls interleaved (A B, B A, …):
    whatever else the machine is doing at a given moment weighs on every backend alike.
    """
    async with contextlib.AsyncExitStack() as stack:
        folder = stack.enter_context(scratch())
        bots: dict[str, Any] = {}
        for name, where in stores.items():
            db = await open_store(where)
            stack.push_async_callback(db.close)
            bots[name] = await start_bot(db, folder / f"{name}.db")
            stack.push_async_callback(stop_bot, bots[name])
        plans = {name: _plan(bot, size) for name, bot in bots.items()}
        names = list(plans)
        for name in names:  # warm-up, not counted
            for call in plans[name]["warm-up"]:
                await call()
        timings: dict[str, dict[str, list[float]]] = {name: {} for name in names}
        for handler in ("/attempt log", "/eligibility"):
            for name in names:
                timings[name][handler] = []
            for i in range(size.samples):
                for name in names if i % 2 == 0 else reversed(names):
                    call = plans[name][handler][i]
                    started = time.perf_counter()
                    await call()
                    timings[name][handler].append(time.perf_counter() - started)
        return timings


def _plan(bot: Any, size: Size) -> dict[str, list[Callable[[], Any]]]:
    """The same calls, by the same members, whichever store the bot uses."""
    rng = random.Random(11)
    # Warm-up: the matcher/rules caches, and on PostgreSQL the pool's connections and
    # their prepared statements.
    warm = [eligibility_call(bot, rng.randrange(size.members)) for _ in range(size.warmup)]
    warm += [
        log_call(bot, size.samples + n, rng.randrange(size.members)) for n in range(size.warmup)
    ]
    logs = [log_call(bot, n, rng.randrange(size.members)) for n in range(size.samples)]
    checks = [eligibility_call(bot, rng.randrange(size.members)) for _ in range(size.samples)]
    return {"warm-up": warm, "/attempt log": logs, "/eligibility": checks}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report_latencies(
    sqlite: dict[str, list[float]], postgres: dict[str, list[float]], size: Size
) -> None:
    print(
        f"handler latency, {size.members:,} members x {ATTEMPTS_PER_MEMBER} attempts, "
        f"one call at a time, the backends' calls interleaved (n={size.samples} each, "
        f"{2 * size.warmup} warm-up calls not counted)"
    )
    print(
        f"{'':<14}{'SQLite p50':>12}{'p99':>12}{'PostgreSQL p50':>16}{'p99':>12}"
        f"{'mean PG/SQLite':>16}{'p99 PG/SQLite':>15}"
    )
    for name in sqlite:
        lite = [s * 1000 for s in sqlite[name]]
        pg = [s * 1000 for s in postgres[name]]
        ratio = _pct(pg, 0.99) / _pct(lite, 0.99)
        mean_ratio = statistics.fmean(pg) / statistics.fmean(lite)
        verdict = "ok" if ratio <= RATIO_TARGET else "OVER"
        print(
            f"{name:<14}{_pct(lite, 0.5):9.3f} ms{_pct(lite, 0.99):9.3f} ms"
            f"{_pct(pg, 0.5):13.3f} ms{_pct(pg, 0.99):9.3f} ms"
            f"{mean_ratio:15.2f}x{ratio:14.2f}x   target p99 ratio <= {RATIO_TARGET:g}x ({verdict})"
        )


# --- 2. concurrent throughput, one or two OS processes ------------------------------


@dataclass(frozen=True)
class WorkerResult:
    start: float  # time.monotonic(): one system-wide clock on Linux, comparable across processes
    end: float
    cpu: float  # this process's CPU seconds between start and end
    logs: int
    errors: int
    first_error: str


def _worker(
    where: str,
    first: int,
    count: int,
    pool_size: int,
    members: int,
    barrier: Any,
    out: Any,
    measured: Any,
) -> None:
    """Entry point of a spawned process: ``count`` concurrent logs after the barrier."""
    try:
        asyncio.run(_worker_main(where, first, count, pool_size, members, barrier, out, measured))
    except BaseException as exc:
        barrier.abort()  # the others, and the parent, stop waiting
        out.put(f"{type(exc).__name__}: {exc}")
        raise


async def _worker_main(
    where: str,
    first: int,
    count: int,
    pool_size: int,
    members: int,
    barrier: Any,
    out: Any,
    measured: Any,
) -> None:
    db = await open_store(where, pool_size=pool_size)
    try:
        with scratch() as folder:
            bot = await start_bot(db, folder / "bot.db")
            try:
                # Open the pool's connections before the start (read-only calls, nothing
                # logged): the figure is steady state, not connection set-up.
                await asyncio.gather(
                    *(eligibility_call(bot, (first + m) % members)() for m in range(2 * pool_size))
                )
                # Member n logs attempt n: no two logs of the run collide, whichever process.
                calls = [log_call(bot, n, n % members) for n in range(first, first + count)]
                barrier.wait(120)  # every process, and the parent, ready: go
                start, cpu = time.monotonic(), time.process_time()
                outcomes = await asyncio.gather(*(c() for c in calls), return_exceptions=True)
                end, cpu = time.monotonic(), time.process_time() - cpu
                errors = [o for o in outcomes if isinstance(o, BaseException)]
                first_error = repr(errors[0]) if errors else ""
                # Reported before the teardown, so the parent's CPU window ends with the run.
                out.put(WorkerResult(start, end, cpu, count, len(errors), first_error))
                # The pool's connections stay open until the parent has read their CPU.
                measured.wait(60)
            finally:
                await stop_bot(bot)
    finally:
        await db.close()


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [float(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    return (sum(fields) - idle) / tick, sum(fields) / tick


def _backends_cpu(where: str) -> dict[int, float]:
    """CPU seconds so far of each local PostgreSQL backend serving ``where``'s database
    (``postgres: user db host(port) state`` in /proc); empty for SQLite or a remote server."""
    if "://" not in where:
        return {}
    dbname = urllib.parse.urlsplit(where).path.strip("/")
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not cmd.startswith("postgres: ") or f" {dbname} " not in cmd:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return found


@dataclass(frozen=True)
class Throughput:
    seconds: float
    logs: int
    errors: int
    first_error: str
    bench_cpu: float  # CPU seconds of the benchmark processes during the run
    server_cpu: float | None  # CPU seconds of this database's PostgreSQL backends
    machine_busy: float  # CPU seconds the whole machine was busy during the run
    cores: int

    @property
    def rate(self) -> float:
        return self.logs / self.seconds


def concurrent_logs(where: str, processes: int, pool_size: int, size: Size) -> Throughput:
    """``size.concurrent`` logs split over ``processes`` spawned OS processes."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes + 1)
    out = ctx.Queue()
    measured = ctx.Event()
    share = size.concurrent // processes
    workers = [
        ctx.Process(
            target=_worker,
            args=(where, i * share, share, pool_size, size.members, barrier, out, measured),
            name=f"bench-log-{i}",
        )
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        barrier.wait(180)
        busy0, total0 = _machine_cpu()
        backends0 = _backends_cpu(where)  # the pools are open and warm by now
        answers = [out.get(timeout=600) for _ in workers]
        busy1, total1 = _machine_cpu()
        backends1 = _backends_cpu(where)
        measured.set()
        failed = [a for a in answers if isinstance(a, str)]
        if failed:
            raise RuntimeError(f"a benchmark process failed: {failed[0]}")
        results: list[WorkerResult] = answers
    finally:
        measured.set()
        for worker in workers:
            worker.join(60)
            if worker.is_alive():
                worker.kill()
    start = min(r.start for r in results)
    end = max(r.end for r in results)
    cores = os.cpu_count() or 1
    # /proc/stat counts every core: a wall second of the whole machine is `cores` seconds.
    wall_fraction = (end - start) / max((total1 - total0) / cores, end - start)
    return Throughput(
        seconds=end - start,
        logs=sum(r.logs for r in results),
        errors=sum(r.errors for r in results),
        first_error=next((r.first_error for r in results if r.first_error), ""),
        bench_cpu=sum(r.cpu for r in results),
        server_cpu=(
            sum(cpu - backends0.get(pid, 0.0) for pid, cpu in backends1.items())
            if backends1
            else None
        ),
        machine_busy=(busy1 - busy0) * wall_fraction,
        cores=cores,
    )


async def _count_attempts(where: str) -> int:
    db = await open_store(where, pool_size=1)
    try:
        async with db.transaction() as conn:
            row = await conn.fetchone("SELECT COUNT(*) FROM attempts")
        return int(row[0]) if row else 0
    finally:
        await db.close()


def throughput_run(base: str | None, processes: int, pool_size: int, size: Size) -> Throughput:
    """One throughput figure on a fresh, seeded store (SQLite when ``base`` is None)."""
    expected = size.members * ATTEMPTS_PER_MEMBER + size.concurrent
    if base is None:
        with scratch() as folder:
            path = str(folder / "bench.sqlite3")
            asyncio.run(seed_sqlite(Path(path), size))
            result = concurrent_logs(path, processes, pool_size, size)
            stored = asyncio.run(_count_attempts(path))
    else:
        schema, url = asyncio.run(create_schema(base))
        try:
            asyncio.run(seed_postgres(url, size))
            result = concurrent_logs(url, processes, pool_size, size)
            stored = asyncio.run(_count_attempts(url))
        finally:
            asyncio.run(drop_schema(base, schema))
    if stored != expected - result.errors:
        print(f"  !! {stored:,} attempts stored, {expected - result.errors:,} expected")
    return result


def report_throughput(label: str, result: Throughput, baseline: Throughput | None = None) -> None:
    line = f"{label:<38}{result.seconds:6.2f} s {result.rate:7.0f} logs/s"
    if baseline is not None:
        line += f"  ({result.rate / baseline.rate:.2f}x)"
    server = result.server_cpu
    per_log = (result.bench_cpu + (server or 0.0)) * 1000 / result.logs
    rest = max(0.0, result.machine_busy - result.bench_cpu - (server or 0.0))
    line += (
        f"\n{'':<4}CPU s: bot processes {result.bench_cpu:.2f}"
        + (f", PostgreSQL backends {server:.2f}" if server is not None else "")
        + f", rest of machine {rest:.2f}"
        f" (busy {result.machine_busy / result.seconds:.2f} of {result.cores} cores);"
        f" {per_log:.2f} ms CPU per log -> at most {result.cores * 1000 / per_log:.0f} logs/s"
        f" on {result.cores} idle cores"
    )
    print(line)
    if result.errors:
        print(f"  !! {result.errors} handler errors, the first: {result.first_error}")


def bound_line(one: Throughput, two: Throughput, wide: Throughput) -> str:
    """What the measurements say bounds the two-process figure."""
    speedup = two.rate / one.rate
    pool = wide.rate / one.rate
    busy_one = one.machine_busy / one.seconds
    busy_two = two.machine_busy / two.seconds
    per_log = (two.bench_cpu + (two.server_cpu or 0.0)) / two.logs
    facts = (
        f"2 processes {speedup:.2f}x, a pool twice as large in 1 process {pool:.2f}x; "
        f"machine busy {busy_one:.2f} of {one.cores} cores with 1 process, "
        f"{busy_two:.2f} with 2; CPU ceiling of {two.cores} idle cores "
        f"~{two.cores / per_log:.0f} logs/s; other load on the machine moves these figures"
    )
    if speedup >= 1.3:
        return f"verdict: two processes are clearly faster ({facts})"
    if busy_two >= 0.85 * two.cores:
        return (
            f"verdict: 2 processes NOT clearly faster: CPU-bound; one process already keeps "
            f"the machine busy (the bot's Python on one core, the PostgreSQL backends on "
            f"the other), so a second process only competes for the same {two.cores} cores "
            f"({facts}). On more cores, or with the server on another host, the second "
            f"process has room to help."
        )
    if pool >= 0.9 * speedup and pool >= 1.15:
        return f"verdict: 2 processes NOT clearly faster: bounded by the pool size ({facts})"
    return f"verdict: 2 processes NOT clearly faster; neither CPU nor pool explains it ({facts})"


# --- main -----------------------------------------------------------------------------


def run(size: Size = Size(), *, throughput: bool = True) -> None:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        print(SKIPPED)
        return
    with scratch() as folder:
        path = folder / "bench.sqlite3"
        seconds = asyncio.run(seed_sqlite(path, size))
        print(f"SQLite: populate {size.members * ATTEMPTS_PER_MEMBER:,} attempts {seconds:6.2f} s")

        async def both() -> dict[str, dict[str, list[float]]]:
            async with fresh_schema(base) as url:
                seconds = await seed_postgres(url, size)
                rows = size.members * ATTEMPTS_PER_MEMBER
                print(f"PostgreSQL: COPY {rows:,} attempts + ANALYZE {seconds:6.2f} s")
                return await handler_latencies({"sqlite": str(path), "postgres": url}, size)

        timings = asyncio.run(both())
    sqlite, postgres = timings["sqlite"], timings["postgres"]
    report_latencies(sqlite, postgres, size)
    if not throughput:
        return
    print(
        f"\n{size.concurrent:,} concurrent /attempt log (all released at once; each figure "
        f"on a fresh store of {size.members:,} x {ATTEMPTS_PER_MEMBER} attempts)"
    )
    lite = throughput_run(None, 1, POOL_MAX_SIZE, size)
    report_throughput("SQLite, 1 process", lite)
    one = throughput_run(base, 1, POOL_MAX_SIZE, size)
    report_throughput(f"PostgreSQL, 1 process, pool {POOL_MAX_SIZE}", one)
    wide = throughput_run(base, 1, 2 * POOL_MAX_SIZE, size)
    report_throughput(f"PostgreSQL, 1 process, pool {2 * POOL_MAX_SIZE}", wide, one)
    two = throughput_run(base, 2, POOL_MAX_SIZE, size)
    report_throughput(f"PostgreSQL, 2 processes, pool {POOL_MAX_SIZE} each", two, one)
    print(bound_line(one, two, wide))


def main() -> None:
    run()


if __name__ == "__main__":
    main()
