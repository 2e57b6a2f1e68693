"""/remind and the reminder scheduler: due DMs, never twice, overdue on start, restarts,
and leases: a claimer that dies loses the reminder to another, which sends the same nonce."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest
from discord import app_commands

from bot.client import ExamBot
from bot.member_log import delete_attempt
from bot.scheduler import RETRY_DELAYS_SECONDS, ReminderScheduler
from tests.bot.doubles import Recorder, make_interaction
from tests.conftest import Store

UTC = dt.UTC
FIRST_FAIL = dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
DUE = FIRST_FAIL + dt.timedelta(hours=24)


class FakeSend:
    """Stands in for ``send_dm``: records every DM (and its nonce), answers ``ok``."""

    def __init__(self, ok: bool = True) -> None:
        self.ok = ok
        self.sent: list[tuple[int, str]] = []
        self.nonces: list[str | None] = []

    async def __call__(
        self, client: Any, user_id: int, content: str, *, nonce: str | None = None
    ) -> bool:
        self.sent.append((user_id, content))
        self.nonces.append(nonce)
        return self.ok


async def remind(bot, exam: str, enabled: bool, user_id: int = 1001) -> Recorder:
    interaction, recorder = make_interaction(bot, user_id=user_id)
    cog: Any = bot.get_cog("Reminders")
    try:
        await cog.remind.callback(cog, interaction, exam=exam, enabled=enabled)
    except app_commands.AppCommandError as error:
        await bot.tree.on_error(interaction, error)
    return recorder


async def quiet_scheduler(bot) -> Any:
    """The cog's scheduler, stopped, so the test drives it with ``run_once``."""
    cog: Any = bot.get_cog("Reminders")
    await cog.scheduler.stop()
    return cog.scheduler


async def fail_once(bot, user_id: int = 1001, when: dt.datetime = FIRST_FAIL) -> None:
    await bot.db.attempts.add(user_id, "AI-103", when, "fail", None, time_given=True)


async def wait_until(predicate, timeout: float = 2.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


# --------------------------------------------------------------------------- /remind


async def test_should_set_reminder_at_engines_earliest_when_waiting(bot):
    await fail_once(bot)

    rec = await remind(bot, "ai103", True)

    reminder = await bot.db.reminders.get(1001, "AI-103")
    assert reminder is not None and reminder.enabled and reminder.due_at == DUE
    assert rec.last.ephemeral and "I'll DM you" in rec.last.text
    assert f"<t:{int(DUE.timestamp())}:F>" in rec.last.text


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [
        (None, "haven't logged"),
        (("AI-103", dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC), "fail"), "already take"),
        (("AI-103", dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC), "pass"), "You passed"),
        (("AI-102", dt.datetime(2026, 6, 1, 9, 0, tzinfo=UTC), "fail"), "retired"),
    ],
)
async def test_should_explain_and_set_nothing_when_there_is_nothing_to_wait_for(
    bot, attempt, expected
):
    exam = "AI-103"
    if attempt is not None:
        exam, when, result = attempt
        await bot.db.attempts.add(1001, exam, when, result, None, time_given=True)

    rec = await remind(bot, exam, True)

    assert rec.last.ephemeral and expected in rec.last.text
    assert await bot.db.reminders.get(1001, exam) is None


async def test_should_turn_reminder_off(bot):
    await fail_once(bot)
    await remind(bot, "AI-103", True)

    rec = await remind(bot, "AI-103", False)

    reminder = await bot.db.reminders.get(1001, "AI-103")
    assert reminder is not None and not reminder.enabled
    assert "turned off" in rec.last.text
    assert "no reminder" in (await remind(bot, "AI-103", False)).last.text


async def test_should_refuse_malformed_exam_code(bot):
    rec = await remind(bot, "nonsense!", True)
    assert rec.last.ephemeral and "not an exam code" in rec.last.text


@pytest.mark.parametrize("enabled", [True, False])
async def test_should_refuse_a_malformed_code_before_deferring(bot, enabled):
    """Bad input is answered at once, in the response itself, not after "thinking…"."""
    rec = await remind(bot, "nonsense!", enabled)

    assert [r.kind for r in rec.replies] == ["response"]
    assert rec.last.ephemeral and "not an exam code" in rec.last.text
    assert await bot.db.reminders.list_for_user(1001) == []


# --------------------------------------------------------------------------- scheduler


async def test_should_start_with_the_cog_and_stop_on_unload(bot):
    cog: Any = bot.get_cog("Reminders")
    scheduler = cog.scheduler
    assert scheduler.running
    await bot.unload_extension("bot.cogs.reminders")
    assert not scheduler.running


async def test_should_dm_once_when_due_and_never_twice(bot, clock):
    scheduler = await quiet_scheduler(bot)
    scheduler.send = send = FakeSend()
    await fail_once(bot)
    await remind(bot, "AI-103", True)

    assert await scheduler.run_once() == 0  # not due yet
    clock.now = DUE
    assert await scheduler.run_once() == 1
    assert await scheduler.run_once() == 0
    clock.now = DUE + dt.timedelta(days=1)
    assert await scheduler.run_once() == 0

    [(user_id, content)] = send.sent
    assert user_id == 1001
    assert "AI-103" in content and "You can take it now" in content
    reminder = await bot.db.reminders.get(1001, "AI-103")
    assert reminder is not None and reminder.sent_at == DUE


async def test_should_send_through_send_dm_with_no_mentions(bot, clock):
    scheduler = await quiet_scheduler(bot)
    channel = MagicMock(spec=discord.DMChannel)
    channel.send = AsyncMock()
    bot.create_dm = AsyncMock(return_value=channel)
    await fail_once(bot)
    await remind(bot, "AI-103", True)
    clock.now = DUE + dt.timedelta(seconds=30)

    assert await scheduler.run_once() == 1

    bot.create_dm.assert_awaited_once()
    assert bot.create_dm.await_args.args[0].id == 1001
    content = channel.send.await_args.args[0]
    assert "AI-103" in content
    assert channel.send.await_args.kwargs["allowed_mentions"].to_dict()["parse"] == []
    reminder = await bot.db.reminders.get(1001, "AI-103")
    assert reminder is not None and reminder.sent_at is not None
    assert channel.send.await_args.kwargs["nonce"] == reminder.nonce


async def test_background_loop_sends_within_its_sleep_cap_when_clock_passes_due(bot, clock):
    """Should deliver from the running task (no run_once) once the due time is reached."""
    old = await quiet_scheduler(bot)
    send = FakeSend()
    scheduler = ReminderScheduler(bot, send=send, max_sleep=0.01)
    await fail_once(bot)
    await remind(bot, "AI-103", True)
    scheduler.start()
    try:
        await asyncio.sleep(0.05)
        assert send.sent == []
        clock.now = DUE
        await wait_until(lambda: len(send.sent) == 1)
        await asyncio.sleep(0.05)
        assert len(send.sent) == 1
    finally:
        await scheduler.stop()
    assert old.sent == 0


async def test_should_wake_early_when_a_reminder_is_set(bot, clock):
    """Should not wait out a long sleep when woken after a reminder is set."""
    await quiet_scheduler(bot)
    send = FakeSend()
    scheduler = ReminderScheduler(bot, send=send, max_sleep=3600)
    scheduler.start()
    try:
        await asyncio.sleep(0.02)  # now sleeping for an hour: nothing is pending
        await fail_once(bot)
        await bot.db.reminders.set(1001, "AI-103", DUE)
        clock.now = DUE
        scheduler.wake()
        await wait_until(lambda: len(send.sent) == 1)
    finally:
        await scheduler.stop()


async def test_should_send_overdue_reminders_on_start(bot, clock):
    await quiet_scheduler(bot)
    await fail_once(bot)
    await bot.db.reminders.set(1001, "AI-103", DUE)
    clock.now = DUE + dt.timedelta(days=3)  # the bot was down when it fell due
    send = FakeSend()
    scheduler = ReminderScheduler(bot, send=send, max_sleep=3600)

    scheduler.start()
    try:
        await wait_until(lambda: len(send.sent) == 1)
    finally:
        await scheduler.stop()


async def test_should_retry_with_backoff_then_give_up_when_dm_fails(bot, clock):
    scheduler = await quiet_scheduler(bot)
    scheduler.send = send = FakeSend(ok=False)
    await fail_once(bot)
    await bot.db.reminders.set(1001, "AI-103", DUE)
    clock.now = DUE

    assert await scheduler.run_once() == 0
    assert len(send.sent) == 1
    assert await scheduler.run_once() == 0  # backing off: not due again yet
    assert len(send.sent) == 1
    for delay in RETRY_DELAYS_SECONDS:
        clock.now += dt.timedelta(seconds=delay)
        await scheduler.run_once()
    assert len(send.sent) == 1 + len(RETRY_DELAYS_SECONDS)
    clock.now += dt.timedelta(days=1)
    await scheduler.run_once()
    assert len(send.sent) == 1 + len(RETRY_DELAYS_SECONDS)  # gave up: claimed for good


async def test_should_rearm_instead_of_sending_when_wait_moved_later(bot, clock):
    """Should follow the engine when a newer failure was logged without a resync."""
    scheduler = await quiet_scheduler(bot)
    scheduler.send = send = FakeSend()
    await fail_once(bot)
    await bot.db.reminders.set(1001, "AI-103", DUE)
    second = FIRST_FAIL + dt.timedelta(hours=2)
    await fail_once(bot, when=second)  # straight into the DB: the reminder is stale
    clock.now = DUE

    assert await scheduler.run_once() == 0

    reminder = await bot.db.reminders.get(1001, "AI-103")
    assert reminder is not None and reminder.sent_at is None
    assert reminder.due_at == second + dt.timedelta(days=14)
    clock.now = reminder.due_at
    assert await scheduler.run_once() == 1
    assert len(send.sent) == 1


async def test_should_drop_reminder_silently_when_member_passed_meanwhile(bot, clock):
    scheduler = await quiet_scheduler(bot)
    scheduler.send = send = FakeSend()
    await fail_once(bot)
    await bot.db.reminders.set(1001, "AI-103", DUE)
    await bot.db.attempts.add(
        1001, "AI-103", FIRST_FAIL + dt.timedelta(hours=1), "pass", None, time_given=True
    )
    clock.now = DUE

    assert await scheduler.run_once() == 0
    assert send.sent == []


async def test_should_send_every_due_reminder_beyond_one_batch(bot, clock):
    scheduler = await quiet_scheduler(bot)
    scheduler.send = send = FakeSend()
    for user in range(7000, 7150):
        await fail_once(bot, user_id=user)
        await bot.db.reminders.set(user, "AI-103", DUE)
    clock.now = DUE

    assert await scheduler.run_once() == 150
    assert sorted(u for u, _ in send.sent) == list(range(7000, 7150))


async def test_should_not_duplicate_and_still_send_pending_after_restart(
    bot, clock, store: Store
):
    """Should, after closing and reopening the database with a new scheduler, send the
    pending reminder once and never resend the one already delivered."""
    scheduler = await quiet_scheduler(bot)
    scheduler.send = before = FakeSend()
    await fail_once(bot, user_id=1001)  # due DUE
    await bot.db.reminders.set(1001, "AI-103", DUE)
    later = FIRST_FAIL + dt.timedelta(hours=3)
    await fail_once(bot, user_id=2002, when=later)  # due later + 24 h
    await bot.db.reminders.set(2002, "AI-103", later + dt.timedelta(hours=24))
    clock.now = DUE
    assert await scheduler.run_once() == 1
    assert [u for u, _ in before.sent] == [1001]

    # "Crash": close the database under the running bot, reopen it from the file.
    await bot.db.close()
    reopened = await store.open()
    try:
        restarted = ExamBot(
            settings=bot.settings,
            db=reopened,
            knowledge=bot.knowledge,
            clock=clock,
            extensions=(),
        )
        after = FakeSend()
        fresh = ReminderScheduler(restarted, send=after, max_sleep=0.01)
        assert await fresh.run_once() == 0  # 1001's was delivered before the restart
        clock.now = later + dt.timedelta(hours=25)  # 2002's is now overdue
        fresh.start()
        await wait_until(lambda: len(after.sent) == 1)
        await asyncio.sleep(0.05)
        await fresh.stop()
        assert [u for u, _ in after.sent] == [2002]
    finally:
        await reopened.close()  # the fixture closes the first one again: safe twice


async def test_should_deliver_the_rest_of_the_batch_when_one_reminder_raises(bot, clock):
    scheduler = await quiet_scheduler(bot)
    calls: list[int] = []

    async def flaky(client: Any, user_id: int, content: str, *, nonce: str | None = None) -> bool:
        calls.append(user_id)
        if user_id == 1001:
            raise RuntimeError("boom")
        return True

    scheduler.send = flaky
    for user in (1001, 2002):
        await fail_once(bot, user_id=user)
        await bot.db.reminders.set(user, "AI-103", DUE)
    clock.now = DUE

    assert await scheduler.run_once() == 1
    assert sorted(calls) == [1001, 2002]
    clock.now = DUE + dt.timedelta(seconds=RETRY_DELAYS_SECONDS[0])
    await scheduler.run_once()
    assert calls.count(1001) == 2  # released for a retry, not lost


# --------------------------------------------------------------------------- races
# The member acts between the scheduler's claim and its DM. Deterministic: the action is
# injected into a storage call the delivery makes, at one of two points — right after
# the claim, or after the delivery has read the member's attempts (the verdict is being
# computed, the DM not yet sent).


async def forget(bot: ExamBot) -> None:
    """What the "Delete everything" button of /mydata forget does."""
    await bot.db.forget_user(1001)


async def delete_the_attempt(bot: ExamBot) -> None:
    """What /attempt delete does."""
    [attempt] = await bot.db.attempts.list_for_user(1001)
    assert await delete_attempt(bot.db, bot.knowledge.kb, 1001, attempt.id, bot.now())


async def turn_off(bot: ExamBot) -> None:
    """/remind exam:AI-103 enabled:False."""
    assert "turned off" in (await remind(bot, "AI-103", False)).last.text


MEMBER_ACTIONS = {"forget": forget, "delete_attempt": delete_the_attempt, "disable": turn_off}


def inject_once(monkeypatch, target: Any, name: str, action: Callable[[], Awaitable[None]]):
    """Make ``target.name`` run ``action`` once, after its first call that returns
    something (a non-empty claim, a non-empty list of attempts)."""
    original = getattr(target, name)
    done: list[bool] = []

    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = await original(*args, **kwargs)
        if result and not done:
            done.append(True)
            await action()
        return result

    monkeypatch.setattr(target, name, wrapped)
    return done


def inject_at(monkeypatch, bot: ExamBot, point: str, action: Callable[[], Awaitable[None]]):
    if point == "after_claim":
        return inject_once(monkeypatch, bot.db.reminders, "claim_due", action)
    return inject_once(monkeypatch, bot.db.attempts, "list_for_user", action)


@pytest.mark.parametrize("point", ["after_claim", "before_send"])
@pytest.mark.parametrize("action", sorted(MEMBER_ACTIONS))
async def test_should_send_no_reminder_when_member_acts_between_claim_and_send(
    bot, clock, monkeypatch, point, action
):
    scheduler = await quiet_scheduler(bot)
    scheduler.send = send = FakeSend()
    await fail_once(bot)
    await remind(bot, "AI-103", True)
    clock.now = DUE
    injected = inject_at(monkeypatch, bot, point, lambda: MEMBER_ACTIONS[action](bot))

    assert await scheduler.run_once() == 0
    assert injected == [True]  # the member's action really ran mid-delivery
    clock.now = DUE + dt.timedelta(days=30)  # and no later pass sends it either
    assert await scheduler.run_once() == 0
    assert await scheduler.run_once() == 0

    assert send.sent == []
    reminder = await bot.db.reminders.get(1001, "AI-103")
    if action == "forget":
        assert await bot.db.export_user(1001) == {
            "user_id": 1001,
            "attempts": [],
            "settings": None,
            "reminders": [],
            "feedback": [],
        }
    elif action == "disable":
        assert reminder is not None and not reminder.enabled
    else:
        assert await bot.db.attempts.list_for_user(1001) == []
        assert await bot.db.reminders.next_due_at() is None


@pytest.mark.parametrize("action", ["forget", "disable"])
async def test_should_not_revive_the_reminder_when_member_acts_while_it_is_rearmed(
    bot, clock, monkeypatch, action
):
    """The wait moved later (a newer failure) and the member forgets, or turns the
    reminder off, while the delivery computes the new due time: re-arming must not
    re-create a forgotten member's reminder, nor turn a disabled one back on."""
    scheduler = await quiet_scheduler(bot)
    scheduler.send = send = FakeSend()
    await fail_once(bot)
    await remind(bot, "AI-103", True)
    await fail_once(bot, when=FIRST_FAIL + dt.timedelta(hours=2))  # the reminder is stale
    clock.now = DUE
    injected = inject_at(monkeypatch, bot, "before_send", lambda: MEMBER_ACTIONS[action](bot))

    assert await scheduler.run_once() == 0
    assert injected == [True]
    clock.now = DUE + dt.timedelta(days=30)
    assert await scheduler.run_once() == 0

    assert send.sent == []
    reminder = await bot.db.reminders.get(1001, "AI-103")
    if action == "forget":
        assert reminder is None
        assert await bot.db.reminders.list_for_user(1001) == []
    else:
        assert reminder is not None and not reminder.enabled
    assert await bot.db.reminders.next_due_at() is None


@pytest.mark.parametrize("ok", [True, False], ids=["sent", "failed"])
async def test_should_write_nothing_back_when_member_forgets_while_the_dm_is_sent(bot, clock, ok):
    """After the DM (delivered or failed, which would schedule a retry) nothing of a
    member who forgot their data meanwhile may come back."""
    scheduler = await quiet_scheduler(bot)
    sent: list[int] = []

    async def send_and_forget(
        client: Any, user_id: int, content: str, *, nonce: str | None = None
    ) -> bool:
        sent.append(user_id)
        await bot.db.forget_user(user_id)
        return ok

    scheduler.send = send_and_forget
    await fail_once(bot)
    await remind(bot, "AI-103", True)
    clock.now = DUE

    assert await scheduler.run_once() == int(ok)
    for delay in RETRY_DELAYS_SECONDS:
        clock.now += dt.timedelta(seconds=delay)
        assert await scheduler.run_once() == 0

    assert sent == [1001]
    assert await bot.db.reminders.list_for_user(1001) == []
    assert await bot.db.attempts.list_for_user(1001) == []
    assert await bot.db.reminders.next_due_at() is None


async def test_should_deliver_after_a_stale_check_when_the_log_changed_but_still_waits_over(
    bot, clock, monkeypatch
):
    """A change to the log that still leaves the wait over (an older failure logged
    mid-delivery) re-evaluates on the next pass and then sends, once."""
    scheduler = await quiet_scheduler(bot)
    scheduler.send = send = FakeSend()
    await fail_once(bot)
    await remind(bot, "AI-103", True)
    clock.now = DUE

    async def log_an_older_failure() -> None:
        await bot.db.attempts.add(
            1001, "AI-103", FIRST_FAIL - dt.timedelta(days=400), "fail", None, time_given=True
        )

    inject_at(monkeypatch, bot, "before_send", log_an_older_failure)

    assert await scheduler.run_once() == 0  # the log changed under the check: no DM yet
    assert await scheduler.run_once() == 1  # looked again: still over, so it goes out
    assert await scheduler.run_once() == 0
    assert len(send.sent) == 1


# --------------------------------------------------------------------------- leases
# Several processes share the outbox. Each "process" here is a ReminderScheduler of its
# own on the same database, with a short lease and the test's clock.

LEASE = dt.timedelta(minutes=1)


def another_process(bot: ExamBot, send: Any, name: str) -> ReminderScheduler:
    return ReminderScheduler(bot, send=send, lease=LEASE, claimer=name)


class Died(BaseException):
    """The process was killed here: nothing after this line ran (not an ``Exception``,
    so the scheduler's own error handling does not see it either)."""


async def test_should_deliver_a_reminder_whose_claimer_died_before_sending(bot, clock):
    await quiet_scheduler(bot)
    await fail_once(bot)
    await bot.db.reminders.set(1001, "AI-103", DUE)
    clock.now = DUE
    [claimed] = await bot.db.reminders.claim_due(clock.now, lease=LEASE, claimer="a")  # dies
    survivor = another_process(bot, send := FakeSend(), "b")

    assert await survivor.run_once() == 0  # the dead claim's lease still runs
    assert await bot.db.reminders.next_due_at() == DUE + LEASE
    clock.now = DUE + LEASE
    assert await survivor.run_once() == 1
    clock.now += dt.timedelta(days=1)
    assert await survivor.run_once() == 0

    assert [u for u, _ in send.sent] == [1001]
    assert send.nonces == [claimed.nonce]
    reminder = await bot.db.reminders.get(1001, "AI-103")
    assert reminder is not None and reminder.sent_at == DUE + LEASE


async def test_should_resend_with_the_same_nonce_when_the_claimer_died_after_sending(
    bot, clock
):
    """Discord accepted the DM, then the process died before marking it sent: another
    process sends it again once the lease is over — with the same nonce, so Discord
    drops the repeat."""
    await quiet_scheduler(bot)
    await fail_once(bot)
    await bot.db.reminders.set(1001, "AI-103", DUE)
    clock.now = DUE
    accepted = FakeSend()

    async def send_then_die(client: Any, user_id: int, content: str, *, nonce: str | None = None):
        await accepted(client, user_id, content, nonce=nonce)
        raise Died

    with pytest.raises(Died):
        await another_process(bot, send_then_die, "a").run_once()
    reminder = await bot.db.reminders.get(1001, "AI-103")
    assert reminder is not None and reminder.sent_at is None and reminder.claimed_by
    clock.now = DUE + LEASE
    survivor = another_process(bot, again := FakeSend(), "b")
    assert await survivor.run_once() == 1
    assert await survivor.run_once() == 0

    assert accepted.nonces == again.nonces == [reminder.nonce]


async def test_should_never_send_while_another_process_holds_the_lease(bot, clock):
    """Two processes, one reminder: the one that claimed it sends; the other, running
    meanwhile, finds nothing to claim (the check renews the lease past the send)."""
    await quiet_scheduler(bot)
    await fail_once(bot)
    await bot.db.reminders.set(1001, "AI-103", DUE)
    clock.now = DUE
    other_send = FakeSend()
    other = another_process(bot, other_send, "b")
    calls: list[int] = []

    async def slow_send(client: Any, user_id: int, content: str, *, nonce: str | None = None):
        calls.append(user_id)
        clock.now += LEASE / 2  # the DM takes a while; the other process looks meanwhile
        assert await other.run_once() == 0
        return True

    assert await another_process(bot, slow_send, "a").run_once() == 1
    assert calls == [1001] and other_send.sent == []
    clock.now += 2 * LEASE
    assert await other.run_once() == 0


async def test_should_count_failures_across_processes_and_give_up_once(bot, clock):
    """The retry limit holds whichever process retries (it is counted in the database)."""
    await quiet_scheduler(bot)
    send = FakeSend(ok=False)
    processes = [another_process(bot, send, name) for name in ("a", "b")]
    await fail_once(bot)
    await bot.db.reminders.set(1001, "AI-103", DUE)
    clock.now = DUE

    await processes[0].run_once()
    for i, delay in enumerate(RETRY_DELAYS_SECONDS):
        clock.now += dt.timedelta(seconds=delay)
        await processes[(i + 1) % 2].run_once()
    clock.now += dt.timedelta(days=1)
    for process in processes:
        await process.run_once()

    assert len(send.sent) == 1 + len(RETRY_DELAYS_SECONDS)
    assert len(set(send.nonces)) == 1  # every retry is the same DM
    reminder = await bot.db.reminders.get(1001, "AI-103")
    assert reminder is not None and reminder.failures == 1 + len(RETRY_DELAYS_SECONDS)
    assert await bot.db.reminders.next_due_at() is None


async def test_should_not_retry_on_its_own_when_marking_sent_fails(bot, clock, monkeypatch):
    """The DM went out but the database refused the mark: no back-off retry (that would
    be a second DM, possibly after Discord's nonce window); the lease ends and the next
    pass sends it once more with the same nonce, for Discord to drop."""
    scheduler = another_process(bot, send := FakeSend(), "a")
    await quiet_scheduler(bot)
    await fail_once(bot)
    await bot.db.reminders.set(1001, "AI-103", DUE)
    clock.now = DUE
    original = bot.db.reminders.mark_sent

    async def unreachable(*args: Any, **kwargs: Any) -> bool:
        monkeypatch.setattr(bot.db.reminders, "mark_sent", original)
        raise ConnectionError("database gone")

    monkeypatch.setattr(bot.db.reminders, "mark_sent", unreachable)

    assert await scheduler.run_once() == 1
    clock.now = DUE + LEASE - dt.timedelta(seconds=1)
    assert await scheduler.run_once() == 0
    clock.now = DUE + LEASE
    assert await scheduler.run_once() == 1
    assert await scheduler.run_once() == 0
    assert len(set(send.nonces)) == 1 and len(send.nonces) == 2
    reminder = await bot.db.reminders.get(1001, "AI-103")
    assert reminder is not None and reminder.sent_at == DUE + LEASE and reminder.failures == 0
