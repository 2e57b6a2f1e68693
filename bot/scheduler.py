"""The reminder scheduler: one task that DMs members when their retake wait ends.

It sleeps until the earliest pending reminder, but never longer than ``max_sleep``
(60 s): the clock may be moved, the database changed by another path (the console), and
``asyncio.sleep`` is unreliable for very long delays — so a reminder goes out within a
minute of its due time even if nobody wakes the task. :meth:`ReminderScheduler.wake`
(called after a reminder is set) makes it look again at once.

Delivery is once, across processes: due reminders are *claimed* with a lease
(:meth:`~bot.storage.ReminderRepository.claim_due`), the DM is sent, and only then is
the reminder marked sent. Any number of bot processes may run this scheduler on one
database (DMs go over REST, from any process): each claims different rows. A process
that dies holding a claim loses it when the lease ends (``lease``, 2 minutes by
default), and another process sends the reminder; the DM carries the reminder's nonce
(:attr:`~bot.storage.Reminder.nonce`), so when the dead process had already sent it,
Discord drops the second one (within Discord's nonce window: see the README, "Scaling
out"). Overdue reminders are simply claimed on the first pass after start.

When the DM fails (``send`` returns ``False``: DMs closed, or a Discord error), the
reminder is released with a back-off and retried, at most ``len(RETRY_DELAYS)`` times
(counted in the database, so whichever process retries); then it is given up on (marked
sent, logged). A member with closed DMs therefore costs a handful of requests, not one a
minute forever; ``/eligibility`` still shows the date.

Before sending, the engine is asked again (the single source): if the wait moved later
(a newer failed attempt logged elsewhere) the reminder is re-armed for the new time; if
there is nothing left to wait for (passed, retired, no attempt left) it is dropped
silently.

A member may ``/mydata forget``, delete the attempt or turn the reminder off between the
claim and the DM. So every write back is conditional on the claim (``rearm``,
``release`` and ``mark_sent`` with ``claim`` never re-create a forgotten member's row nor
re-enable a disabled one), and right before the DM storage is asked once more
(:meth:`~bot.storage.ReminderRepository.check_claim`, which also renews the lease): no
DM unless the reminder is still there, enabled, still this claim, and the member's
attempts are those just evaluated.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import TYPE_CHECKING, Protocol

import discord

from bot.dm import send_dm
from bot.member_log import exam_status, reminder_due
from bot.rendering import MESSAGE_MAX, truncate
from bot.storage import Reminder
from bot.storage.reminders import DEFAULT_LEASE, ClaimState
from bot.surfaces.discord import DISCORD
from bot.surfaces.personal import describe_status
from knowledge.rules import Status

if TYPE_CHECKING:
    from bot.client import ExamBot

log = logging.getLogger(__name__)

RETRY_DELAYS_SECONDS: tuple[int, ...] = (300, 1800, 7200)
BATCH = 100
STOP_GRACE_SECONDS = 10.0


class SendDm(Protocol):
    """How a reminder goes out (:func:`bot.dm.send_dm`); ``True`` when it was sent."""

    async def __call__(
        self, client: discord.Client, user_id: int, content: str, *, nonce: str | None = None
    ) -> bool: ...


class ReminderScheduler:
    """Owns the background task; start it in ``cog_load`` and stop it in ``cog_unload``."""

    def __init__(
        self,
        bot: ExamBot,
        *,
        send: SendDm = send_dm,
        max_sleep: float = 60.0,
        lease: dt.timedelta = DEFAULT_LEASE,
        batch: int = BATCH,
        claimer: str | None = None,
    ) -> None:
        """``lease``: how long a claim is held before another process may take the
        reminder over (renewed right before each DM); ``batch``: reminders per claim;
        ``claimer``: the name stored in ``claimed_by`` (host and pid by default)."""
        self.bot = bot
        self.send: SendDm = send
        self.max_sleep = max_sleep
        self.lease = lease
        self.batch = batch
        self.claimer = claimer
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.sent = 0

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="reminder-scheduler")

    async def stop(self) -> None:
        """Let the task finish its current pass, then end it.

        Not a bare ``cancel()``: cancelling in the middle of a storage call can leave the
        shared connection inside a transaction. Cancel only if the pass hangs (a stuck DM).
        """
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=STOP_GRACE_SECONDS)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            self._stopping = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Look at the database again now (a reminder was set or moved)."""
        self._wake.set()

    # ------------------------------------------------------------------ the loop

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.run_once()
                delay = await self._delay()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Reminder scheduler pass failed; retrying shortly")
                delay = self.max_sleep
            if delay > 0 and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
            self._wake.clear()

    async def _delay(self) -> float:
        next_due = await self.bot.db.reminders.next_due_at()
        if next_due is None:
            return self.max_sleep
        seconds = (next_due - self.bot.now()).total_seconds()
        return min(max(seconds, 0.0), self.max_sleep)

    async def run_once(self) -> int:
        """Claim every reminder due now and deliver it; the number of DMs sent."""
        sent = 0
        while True:
            claimed = await self.bot.db.reminders.claim_due(
                self.bot.now(), self.batch, lease=self.lease, claimer=self.claimer
            )
            for reminder in claimed:
                try:
                    delivered = await self._deliver(reminder)
                except Exception:
                    # One bad reminder must not strand the rest of the batch (already
                    # claimed): count it as a failed delivery, so it is retried.
                    log.exception("Reminder %s/%s failed", reminder.user_id, reminder.exam_code)
                    await self._failed(reminder, self.bot.now())
                    delivered = False
                sent += int(delivered)
            if len(claimed) < self.batch:
                break
        self.sent += sent
        return sent

    async def _deliver(self, reminder: Reminder) -> bool:
        bot, now = self.bot, self.bot.now()
        user_id, code = reminder.user_id, reminder.exam_code
        claim = reminder.claimed_by
        assert claim is not None, "only claimed reminders are delivered"
        status = await exam_status(bot.db, bot.knowledge.kb, user_id, code, now)
        due = reminder_due(status.eligibility, now)
        if due is not None:  # the wait moved later since the reminder was set: re-arm
            if not await bot.db.reminders.rearm(user_id, code, due, claim=claim):
                log.info("Not re-arming reminder %s/%s: gone or turned off", user_id, code)
            return False
        if not status.attempts or status.eligibility.status is not Status.ELIGIBLE:
            log.info(
                "Dropping reminder %s/%s: %s",
                user_id,
                code,
                status.eligibility.status if status.attempts else "no attempts left",
            )
            return False
        status.reminder = None
        content = (
            f"⏰ Your wait is over: you can take **{status.exam.code}** again now.\n\n"
            + describe_status(status, DISCORD, now)
            + "\n\nTurn these off with `/remind exam:"
            + status.exam.code
            + " enabled:False`."
        )
        # The last look before the DM: anything committed since the claim counts.
        attempt_ids = [attempt.id for attempt in status.attempts]
        state = await bot.db.reminders.check_claim(
            user_id, code, claim, attempt_ids, renew_until=bot.now() + self.lease
        )
        if state is ClaimState.LOST:
            log.info(
                "Dropping reminder %s/%s: forgotten, turned off, set anew or taken over",
                user_id,
                code,
            )
            return False
        if state is ClaimState.STALE:  # the log changed under us: evaluate it afresh
            await bot.db.reminders.release(user_id, code, claim=claim)
            return False
        if await self.send(bot, user_id, truncate(content, MESSAGE_MAX), nonce=reminder.nonce):
            # Only while still this claim: a member gone meanwhile stays gone.
            try:
                await bot.db.reminders.mark_sent(user_id, code, bot.now(), claim=claim)
            except Exception:
                # Sent but not marked (the database went away): no retry of our own. The
                # lease ends and a later pass sends it again, with the same nonce.
                log.exception("Reminder %s/%s sent but not marked sent", user_id, code)
            return True
        await self._failed(reminder, now)
        return False

    async def _failed(self, reminder: Reminder, now: dt.datetime) -> None:
        """Release for a later retry with back-off, or give up after the last one.

        Only while the reminder is still this claim: a member who forgot their data or
        turned it off meanwhile gets nothing written back. The failures are counted in
        the database, so the limit holds whichever process retries."""
        user_id, code, claim = reminder.user_id, reminder.exam_code, reminder.claimed_by
        assert claim is not None, "only claimed reminders fail"
        failures = reminder.failures
        reminders = self.bot.db.reminders
        if failures < len(RETRY_DELAYS_SECONDS):
            retry_at = now + dt.timedelta(seconds=RETRY_DELAYS_SECONDS[failures])
            if not await reminders.release(user_id, code, retry_at, claim=claim, failed=True):
                log.info("Reminder DM to %s failed; reminder gone meanwhile, not retrying", user_id)
                return
            log.info("Reminder DM to %s failed; retry %d at %s", user_id, failures + 1, retry_at)
        else:
            await reminders.give_up(user_id, code, now, claim=claim)
            log.info("Reminder DM to %s failed %d times; giving up", user_id, failures + 1)


def wake_reminders(bot: discord.Client) -> None:
    """Wake the running scheduler, if any (the reminders cog keeps it as ``scheduler``)."""
    cog = bot.get_cog("Reminders") if hasattr(bot, "get_cog") else None
    scheduler = getattr(cog, "scheduler", None)
    if isinstance(scheduler, ReminderScheduler):
        scheduler.wake()
