"""The reminder scheduler: one task that DMs members when their retake wait ends.

It sleeps until the earliest pending reminder, but never longer than ``max_sleep``
(60 s): the clock may be moved, the database changed by another path (the console), and
``asyncio.sleep`` is unreliable for very long delays — so a reminder goes out within a
minute of its due time even if nobody wakes the task. :meth:`ReminderScheduler.wake`
(called after a reminder is set) makes it look again at once.

Delivery is at most once: reminders are *claimed* (marked sent in the same transaction
that selects them) before the DM is attempted, so a crash or restart never sends one
twice, and overdue reminders are simply claimed on the first pass after start.

When the DM fails (``send_dm`` returns ``False``: DMs closed, or a Discord error), the
reminder is released with a back-off and retried, at most ``len(RETRY_DELAYS)`` times
per process; then it stays claimed and is dropped (logged). A member with closed DMs
therefore costs a handful of requests, not one a minute forever; ``/eligibility`` still
shows the date.

Before sending, the engine is asked again (the single source): if the wait moved later
(a newer failed attempt logged elsewhere) the reminder is re-armed for the new time; if
there is nothing left to wait for (passed, retired, no attempt left) it is dropped
silently.

A member may ``/mydata forget``, delete the attempt or turn the reminder off between the
claim and the DM. So every write back is conditional on the claim (``rearm`` and
``release`` with ``claimed_at`` never re-create a forgotten member's row nor re-enable a
disabled one), and right before the DM storage is asked once more
(:meth:`~bot.storage.ReminderRepository.check_claim`): no DM unless the reminder is still
there, enabled, still this claim, and the member's attempts are those just evaluated.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord

from bot.dm import send_dm
from bot.member_log import exam_status, reminder_due
from bot.rendering import MESSAGE_MAX, truncate
from bot.storage import Reminder
from bot.storage.reminders import ClaimState
from bot.surfaces.discord import DISCORD
from bot.surfaces.personal import describe_status
from knowledge.rules import Status

if TYPE_CHECKING:
    from bot.client import ExamBot

log = logging.getLogger(__name__)

RETRY_DELAYS_SECONDS: tuple[int, ...] = (300, 1800, 7200)
BATCH = 100
STOP_GRACE_SECONDS = 10.0


class ReminderScheduler:
    """Owns the background task; start it in ``cog_load`` and stop it in ``cog_unload``."""

    def __init__(
        self,
        bot: ExamBot,
        *,
        send: Callable[[discord.Client, int, str], Awaitable[bool]] = send_dm,
        max_sleep: float = 60.0,
    ) -> None:
        self.bot = bot
        self.send = send
        self.max_sleep = max_sleep
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failures: dict[tuple[int, str], int] = {}
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
            claimed = await self.bot.db.reminders.claim_due(self.bot.now(), BATCH)
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
            if len(claimed) < BATCH:
                break
        self.sent += sent
        return sent

    async def _deliver(self, reminder: Reminder) -> bool:
        bot, now = self.bot, self.bot.now()
        user_id, code = reminder.user_id, reminder.exam_code
        claimed_at = reminder.sent_at
        assert claimed_at is not None, "only claimed reminders are delivered"
        status = await exam_status(bot.db, bot.knowledge.kb, user_id, code, now)
        due = reminder_due(status.eligibility, now)
        if due is not None:  # the wait moved later since the reminder was set: re-arm
            if not await bot.db.reminders.rearm(user_id, code, due, claimed_at=claimed_at):
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
        state = await bot.db.reminders.check_claim(user_id, code, claimed_at, attempt_ids)
        if state is ClaimState.LOST:
            log.info("Dropping reminder %s/%s: forgotten, turned off or set anew", user_id, code)
            self._failures.pop((user_id, code), None)
            return False
        if state is ClaimState.STALE:  # the log changed under us: evaluate it afresh
            await bot.db.reminders.release(user_id, code, claimed_at=claimed_at)
            return False
        if await self.send(bot, user_id, truncate(content, MESSAGE_MAX)):
            # Nothing is written back after a DM: the member may have gone meanwhile.
            self._failures.pop((user_id, code), None)
            return True
        await self._failed(reminder, now)
        return False

    async def _failed(self, reminder: Reminder, now: dt.datetime) -> None:
        """Release for a later retry with back-off, or give up after the last one.

        Only while the reminder is still this claim: a member who forgot their data or
        turned it off meanwhile gets nothing written back."""
        key = (reminder.user_id, reminder.exam_code)
        failures = self._failures.get(key, 0)
        if failures < len(RETRY_DELAYS_SECONDS):
            retry_at = now + dt.timedelta(seconds=RETRY_DELAYS_SECONDS[failures])
            released = await self.bot.db.reminders.release(
                reminder.user_id, reminder.exam_code, retry_at, claimed_at=reminder.sent_at
            )
            if not released:
                self._failures.pop(key, None)
                log.info("Reminder DM to %s failed; reminder gone meanwhile, not retrying", key[0])
                return
            self._failures[key] = failures + 1
            log.info("Reminder DM to %s failed; retry %d at %s", key[0], failures + 1, retry_at)
        else:
            self._failures.pop(key, None)
            log.info("Reminder DM to %s failed %d times; giving up", key[0], failures + 1)


def wake_reminders(bot: discord.Client) -> None:
    """Wake the running scheduler, if any (the reminders cog keeps it as ``scheduler``)."""
    cog = bot.get_cog("Reminders") if hasattr(bot, "get_cog") else None
    scheduler = getattr(cog, "scheduler", None)
    if isinstance(scheduler, ReminderScheduler):
        scheduler.wake()
