"""The one per-member question cooldown shared by /ask, the menu, DMs and @mentions."""

from __future__ import annotations

import datetime as dt

from bot import cooldown as cooldown_module
from bot.cooldown import MemberCooldown, wait_text
from tests.bot.conftest import NOW, MutableClock

S = dt.timedelta(seconds=1)


def make(seconds: float = 3.0) -> tuple[MemberCooldown, MutableClock, list[float]]:
    clock = MutableClock(NOW)
    setting = [seconds]
    return MemberCooldown(lambda: setting[0], clock), clock, setting


def test_should_refuse_until_the_window_ends_without_extending_it():
    cooldown, clock, _ = make(3)

    assert cooldown.acquire(1) is None
    clock.now = NOW + 2 * S
    assert cooldown.acquire(1) == NOW + 3 * S  # refused: the window still ends at +3 s
    assert cooldown.acquire(2) is None  # per member
    clock.now = NOW + 3 * S
    assert cooldown.acquire(1) is None  # a new window from +3 s
    clock.now = NOW + 4 * S
    assert cooldown.acquire(1) == NOW + 6 * S


def test_should_report_the_first_refusal_once_per_window():
    cooldown, clock, _ = make(3)
    cooldown.acquire(1)

    assert cooldown.acquire(1) is not None and cooldown.first_refusal(1)
    assert cooldown.acquire(1) is not None and not cooldown.first_refusal(1)
    clock.now = NOW + 3 * S
    assert cooldown.acquire(1) is None
    assert cooldown.acquire(1) is not None and cooldown.first_refusal(1)


def test_should_follow_the_setting_and_do_nothing_when_it_is_zero():
    cooldown, _, setting = make(0)

    assert [cooldown.acquire(1) for _ in range(3)] == [None, None, None]
    setting[0] = 5
    assert cooldown.acquire(1) is None
    assert cooldown.acquire(1) == NOW + 5 * S


def test_should_forget_finished_windows_when_many_members_asked(monkeypatch):
    monkeypatch.setattr(cooldown_module, "PRUNE_ABOVE", 10)
    cooldown, clock, _ = make(3)
    for member in range(10):
        cooldown.acquire(member)
    clock.now = NOW + 5 * S

    assert cooldown.acquire(99) is None

    assert set(cooldown._windows) == {99}


def test_should_word_the_wait_as_a_discord_relative_timestamp_rounded_up():
    assert wait_text(NOW + 3 * S) == f"Easy — you can ask again <t:{int(NOW.timestamp()) + 3}:R>."
    later = NOW + dt.timedelta(seconds=2, milliseconds=1)
    assert f"<t:{int(NOW.timestamp()) + 3}:R>" in wait_text(later)
