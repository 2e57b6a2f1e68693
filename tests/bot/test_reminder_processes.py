"""Three OS processes deliver 300 due reminders from one PostgreSQL outbox, one of them
killed with SIGKILL mid-run: every member gets exactly one DM, none is lost.

Each process is ``python -m tests.reminder_worker`` (the real scheduler pass loop on the
real storage, a fake ``send`` appending to a shared file). Discord's ``enforce_nonce`` is
modelled as Discord applies it: a repeat of a nonce already sent is dropped, so a member
receives one DM per distinct nonce. Bounded: a couple of seconds plus the killed
worker's 2-second lease; every process is killed on the way out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage._time import utc_now
from tests.conftest import Store
from tests.reminder_worker import EXAM, run_fleet, seed

pytestmark = pytest.mark.postgres_only


async def test_three_processes_should_deliver_each_reminder_once_despite_a_sigkill(
    store: Store, tmp_path: Path
) -> None:
    assert store.url is not None
    db = await store.open()
    users = await seed(db, 300, utc_now())

    fleet = await run_fleet(
        store.url, tmp_path / "dms.txt", 3, batch=10, lease=2.0, send_delay=0.002,
        kill_first_after=5, timeout=90,
    )  # fmt: skip

    assert fleet.returncodes[:2] == [0, 0]  # the survivors finished; w0 was killed
    # None lost, none twice: one DM (one distinct nonce) per member.
    assert fleet.delivered == set(users)
    assert set(fleet.distinct_dms().values()) == {1}
    # The kill really happened mid-claim: w0 held reminders it had not marked sent —
    # the one it had sent just before "crashing" among them — and the survivors
    # delivered every one after w0's lease ended.
    sent_by_w0 = [u for u, _, w in fleet.deliveries if w == "w0"]
    assert len(sent_by_w0) == 6 and sent_by_w0[-1] in fleet.held_by_killed
    assert len(fleet.held_by_killed) > 1
    survivors = {u for u, _, w in fleet.deliveries if w != "w0"}
    assert fleet.held_by_killed <= survivors
    assert fleet.dropped_repeats >= 1  # w0's last DM, sent again: same nonce, dropped
    for reminder in [r for u in users for r in await db.reminders.list_for_user(u)]:
        assert reminder.exam_code == EXAM and reminder.sent_at is not None
    assert await db.reminders.next_due_at() is None
