"""Several OS processes delivering reminders from one PostgreSQL outbox.

``python -m tests.reminder_worker --url URL --out FILE --name NAME`` is one "bot
process": the real :class:`~bot.scheduler.ReminderScheduler` pass loop on the real
storage, with a fake ``send`` that appends ``user_id nonce worker`` to ``FILE`` (one
``O_APPEND`` write per DM, so lines from several processes never interleave, and a
process killed with SIGKILL leaves whole lines). It prints ``ready``, waits for ``go`` on
stdin, delivers until nothing is pending, prints ``done N`` and exits. With
``--hang-after K`` it "crashes" on its (K+1)th DM: the DM is recorded (Discord accepted
it), then it prints ``hung`` and waits forever, never marking it sent — for the caller
to SIGKILL.

:func:`run_fleet` is the choreography the multi-process test and the benchmark share.
Discord's ``enforce_nonce`` is modelled by the reader: a line repeating a nonce is a DM
Discord dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.knowledge_state import KnowledgeState
from bot.scheduler import ReminderScheduler
from bot.storage import Database
from bot.storage._time import utc_now

EXAM = "AI-103"


class WorkerBot:
    """What the scheduler uses of :class:`~bot.client.ExamBot`: the store, the
    knowledge and the clock (a worker needs no gateway: DMs go over REST)."""

    def __init__(self, db: Database, knowledge: KnowledgeState) -> None:
        self.db = db
        self.knowledge = knowledge

    def now(self) -> dt.datetime:
        return utc_now()


def _say(line: str) -> None:
    """One line of the worker's protocol on stdout (ready, hung, done N, deadline)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def seed(db: Database, count: int, now: dt.datetime, first_user: int = 1) -> list[int]:
    """``count`` members, each with a failed attempt 30 days ago and its reminder due an
    hour ago (so every one is deliverable now); their ids."""
    users = list(range(first_user, first_user + count))
    for user in users:
        await db.attempts.add(user, EXAM, now - dt.timedelta(days=30), "fail", None, True)
        await db.reminders.set(user, EXAM, now - dt.timedelta(hours=1))
    return users


async def _worker(args: argparse.Namespace) -> int:
    db = await Database.open_postgres(args.url, pool_size=2)
    try:
        bot: Any = WorkerBot(db, KnowledgeState.load())
        fd = os.open(args.out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        sends = 0

        async def send(
            client: Any, user_id: int, content: str, *, nonce: str | None = None
        ) -> bool:
            nonlocal sends
            if args.send_delay:
                await asyncio.sleep(args.send_delay)  # the REST round trip
            os.write(fd, f"{user_id} {nonce} {args.name}\n".encode())
            sends += 1
            if args.hang_after is not None and sends > args.hang_after:
                _say("hung")
                await asyncio.Event().wait()  # "crashed": never returns, never marks sent
            return True

        scheduler = ReminderScheduler(
            bot,
            send=send,
            lease=dt.timedelta(seconds=args.lease),
            batch=args.batch,
            claimer=args.name,
        )
        _say("ready")
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        deadline = time.monotonic() + args.deadline
        while time.monotonic() < deadline:
            await scheduler.run_once()
            next_due = await db.reminders.next_due_at()
            if next_due is None:
                _say(f"done {scheduler.sent}")
                return 0
            # Everything left is leased by others (or backing off): look again soon.
            wait = (next_due - utc_now()).total_seconds()
            await asyncio.sleep(min(max(wait, 0.0), 0.05))
        _say("deadline")
        return 3
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reminder_worker")
    parser.add_argument("--url", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--lease", type=float, default=120.0, help="seconds")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--send-delay", type=float, default=0.0, help="seconds per DM")
    parser.add_argument("--hang-after", type=int, default=None)
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds")
    return asyncio.run(_worker(parser.parse_args(argv)))


# --------------------------------------------------------------------------- the fleet


@dataclass
class FleetResult:
    deliveries: list[tuple[int, str, str]]  # (user_id, nonce, worker), in file order
    seconds: float  # from "go" until every surviving worker exited
    returncodes: list[int | None]
    # Reminders the killed worker held, unsent, when it was killed (its claim's lease).
    held_by_killed: set[int] = field(default_factory=set)

    @property
    def delivered(self) -> set[int]:
        return {user for user, _, _ in self.deliveries}

    @property
    def dropped_repeats(self) -> int:
        """Sends whose nonce had been sent before: Discord drops them (enforce_nonce)."""
        return len(self.deliveries) - len({nonce for _, nonce, _ in self.deliveries})

    def distinct_dms(self) -> Counter[int]:
        """DMs a member really received: one per distinct nonce."""
        return Counter(user for user, _ in {(u, n) for u, n, _ in self.deliveries})


async def _line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    return (await process.stdout.readline()).decode().strip()


async def _go(process: asyncio.subprocess.Process) -> None:
    assert process.stdin is not None
    process.stdin.write(b"go\n")
    await process.stdin.drain()


async def run_fleet(
    url: str,
    out: Path,
    workers: int = 3,
    *,
    batch: int = 100,
    lease: float = 120.0,
    send_delay: float = 0.0,
    kill_first_after: int | None = None,
    timeout: float = 120.0,
) -> FleetResult:
    """Start ``workers`` worker processes on ``url`` and let them deliver everything.

    With ``kill_first_after=K`` the first worker starts alone, "crashes" on its (K+1)th
    DM (sent, not marked), the others start, and once they have delivered something the
    first is killed with SIGKILL while they run; its claims come back when its lease ends.
    Every process is killed on the way out, whatever happens.
    """
    command = [sys.executable, "-m", "tests.reminder_worker", "--url", url, "--out", str(out)]
    options = ["--lease", str(lease), "--batch", str(batch), "--send-delay", str(send_delay)]
    options += ["--deadline", str(timeout)]
    processes: list[asyncio.subprocess.Process] = []
    held: set[int] = set()
    try:
        async with asyncio.timeout(timeout):
            for i in range(workers):
                hang = i == 0 and kill_first_after is not None
                extra = ["--hang-after", str(kill_first_after)] if hang else []
                processes.append(
                    await asyncio.create_subprocess_exec(
                        *command, "--name", f"w{i}", *options, *extra,
                        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                    )
                )  # fmt: skip
            for process in processes:
                assert await _line(process) == "ready"
            started = time.perf_counter()
            if kill_first_after is None:
                for process in processes:
                    await _go(process)
            else:
                first, rest = processes[0], processes[1:]
                await _go(first)
                assert await _line(first) == "hung"
                for process in rest:
                    await _go(process)
                while not any(line.split()[2] != "w0" for line in _lines(out)):
                    await asyncio.sleep(0.01)  # the others are delivering: kill it now
                held = await _held_by(url, "w0/")
                first.kill()
                assert await first.wait() == -signal.SIGKILL
                processes = [*rest, first]
            for process in processes:
                await process.wait()
            seconds = time.perf_counter() - started
    finally:
        for process in processes:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
    deliveries = [(int(u), n, w) for u, n, w in (line.split() for line in _lines(out))]
    return FleetResult(deliveries, seconds, [p.returncode for p in processes], held)


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text().splitlines() if line.strip()]


async def _held_by(url: str, prefix: str) -> set[int]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT user_id FROM reminders WHERE sent_at IS NULL AND claimed_by LIKE $1",
            prefix + "%",
        )
    finally:
        await conn.close()
    return {int(row[0]) for row in rows}


if __name__ == "__main__":
    sys.exit(main())
