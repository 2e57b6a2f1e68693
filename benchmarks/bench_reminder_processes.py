"""1,000 reminders due at once, delivered by three OS processes from one PostgreSQL outbox.

Prints the time from "go" until every reminder is delivered, the duplicates a member
received (must be 0: one DM per distinct nonce, since Discord drops a repeated nonce)
and the reminders lost (must be 0). Twice: three healthy processes, then one of them
killed with SIGKILL after its 20th DM (a 2-second lease, so the time includes waiting
for it to end). The fake ``send`` costs nothing: the figures are the outbox's own cost
(claim, evaluate the member's log, check the claim, mark sent), not Discord's.

Runs when TEST_DATABASE_URL is set (``.ci/run`` starts a throwaway server); each run
uses a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import urllib.parse
import uuid
from pathlib import Path

import asyncpg

from bot.storage import Database
from bot.storage._time import utc_now
from tests.reminder_worker import FleetResult, run_fleet, seed

COUNT = 1000
WORKERS = 3


def _with_schema(url: str, schema: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "search_path"]
    query.append(("search_path", schema))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


async def _run(base: str, *, kill: bool) -> tuple[FleetResult, set[int]]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(base)
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = _with_schema(base, schema)
        db = await Database.open_postgres(url, pool_size=4)
        try:
            users = set(await seed(db, COUNT, utc_now()))
        finally:
            await db.close()
        with tempfile.TemporaryDirectory() as folder:
            fleet = await run_fleet(
                url, Path(folder) / "dms.txt", WORKERS,
                lease=2.0 if kill else 120.0, kill_first_after=20 if kill else None,
                timeout=300,
            )  # fmt: skip
        return fleet, users
    finally:
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()


def _report(label: str, fleet: FleetResult, users: set[int]) -> None:
    per_member = fleet.distinct_dms()
    duplicates = sum(n - 1 for n in per_member.values())
    lost = len(users - fleet.delivered)
    by_worker: dict[str, int] = {}
    for _, _, worker in fleet.deliveries:
        by_worker[worker] = by_worker.get(worker, 0) + 1
    split = ", ".join(f"{w} {n}" for w, n in sorted(by_worker.items()))
    print(
        f"{label}: {COUNT} reminders in {fleet.seconds:.2f} s "
        f"({COUNT / fleet.seconds:.0f}/s); duplicates {duplicates} (must be 0), "
        f"lost {lost} (must be 0); repeats Discord drops {fleet.dropped_repeats}; "
        f"sends per process: {split}"
    )


def main() -> None:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        print("skipped: TEST_DATABASE_URL is not set (.ci/run starts a throwaway server)")
        return
    for kill, label in ((False, "3 processes"), (True, "3 processes, one SIGKILLed")):
        fleet, users = asyncio.run(_run(base, kill=kill))
        _report(label, fleet, users)


if __name__ == "__main__":
    main()
