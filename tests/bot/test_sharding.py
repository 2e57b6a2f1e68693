"""Sharding (issue 10, items 4 and 5): shard settings checked before connecting, identifies
gated through the database across processes, and ``/kb reload`` reaching every process.

"Processes" are ExamBot instances on their own handles of one store (SQLite file or
PostgreSQL, tests/conftest.py). Sleeps are injected and recorded: nothing waits.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock

import pytest

import knowledge.loader
from bot.cli import build_parser
from bot.cli import run as run_module
from bot.client import ExamBot
from bot.config import Settings
from bot.knowledge_state import KnowledgeState
from tests.bot.conftest import MutableClock
from tests.bot.test_moderation import run as run_command
from tests.conftest import Store

QUESTION = "What score do I need to pass?"
CHANGED = "Which score passes the exam?"


class RecordingSleep:
    """Returns at once, recording each delay; ``block_after`` lets a loop's Nth sleep hang
    (so a background loop runs a known number of rounds, then waits to be cancelled)."""

    def __init__(self, block_after: int | None = None) -> None:
        self.delays: list[float] = []
        self.block_after = block_after
        self.blocked = asyncio.Event()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if self.block_after is not None and len(self.delays) > self.block_after:
            self.blocked.set()
            await asyncio.Event().wait()


def settings_for(store: Store, **values: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token=None,
        database_path=store.path,
        database_url=store.url,
        free_text_cooldown_seconds=0,
        **values,
    )


BotFactory = Callable[..., Awaitable[ExamBot]]


@pytest.fixture
async def make_bot(
    store: Store, knowledge_state: KnowledgeState, clock: MutableClock
) -> AsyncIterator[BotFactory]:
    """A new "process": its own database handle, every cog loaded, never connected."""
    made: list[ExamBot] = []

    async def make(**kwargs: Any) -> ExamBot:
        settings = kwargs.pop("settings", None) or settings_for(store)
        instance = ExamBot(
            settings=settings,
            db=await store.open(),
            knowledge=kwargs.pop("knowledge", knowledge_state),
            clock=clock,
            **kwargs,
        )
        for name in instance.extension_names:
            await instance.load_extension(name)
        made.append(instance)
        return instance

    yield make
    for instance in made:
        for name in list(instance.extensions):
            await instance.unload_extension(name)


# -- settings, checked before connecting ----------------------------------------------


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DISCORD_SHARD_IDS": "0,1"}, "DISCORD_SHARD_IDS=0,1 is set without DISCORD_SHARD_COUNT"),
        (
            {"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "1,2"},
            "names shard 2, but with DISCORD_SHARD_COUNT=2 the shards are 0 to 1",
        ),
        (
            {"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "1, 3,1"},
            "DISCORD_SHARD_IDS=1,3,1 names shard 1 more than once",
        ),
        ({"DISCORD_SHARD_COUNT": "0"}, "DISCORD_SHARD_COUNT=0: a shard count must be 1 or more"),
        ({"DISCORD_SHARD_COUNT": "-3", "DISCORD_SHARD_IDS": "0"}, "DISCORD_SHARD_COUNT=-3"),
        (
            {"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "-1"},
            "names shard -1, but with DISCORD_SHARD_COUNT=2",
        ),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0,x"}, "DISCORD_SHARD_IDS"),
        ({"DISCORD_SHARD_COUNT": "two"}, "DISCORD_SHARD_COUNT"),
    ],
    ids=["ids-no-count", "id-too-big", "duplicate", "zero", "negative", "negative-id", "not-int",
         "count-not-int"],
)  # fmt: skip
def test_bad_shard_settings_should_exit_2_with_one_line_before_connecting(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    named: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token-for-the-test")
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.db"))
    for name in ("DISCORD_SHARD_COUNT", "DISCORD_SHARD_IDS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    started: list[object] = []
    monkeypatch.setattr(run_module, "_start", lambda *a, **k: started.append(a))

    status = run_module.run(build_parser().parse_args(["run", "--once"]))

    err = capsys.readouterr().err
    assert status == 2
    assert len(err.strip().splitlines()) == 1, err
    assert named in err
    assert started == []  # nothing opened, nothing connected
    assert not (tmp_path / "bot.db").exists()


@pytest.mark.parametrize(
    ("count", "ids"),
    [(None, None), (1, None), (4, "0,1,2,3"), (8, "0"), (8, "7, 3")],
)
def test_good_shard_settings_should_pass(count: int | None, ids: str | None) -> None:
    values: dict[str, Any] = {"discord_shard_count": count, "discord_shard_ids": ids}
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]

    assert settings.sharding_problem() is None


def test_shard_ids_should_be_read_comma_separated_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "6")
    monkeypatch.setenv("DISCORD_SHARD_IDS", " 4, 5 ")

    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert (settings.discord_shard_count, settings.discord_shard_ids) == (6, (4, 5))


async def test_the_bot_should_run_the_shards_its_settings_name(make_bot, store: Store) -> None:
    sharded = await make_bot(
        settings=settings_for(store, discord_shard_count=4, discord_shard_ids=(2, 3))
    )
    automatic = await make_bot()

    assert (sharded.shard_count, sharded.shard_ids) == (4, [2, 3])
    assert (automatic.shard_count, automatic.shard_ids) == (None, None)  # asks Discord


# -- the identify gate ------------------------------------------------------------------


async def test_identifies_should_wait_5_seconds_per_bucket_across_processes(make_bot) -> None:
    sleep_a, sleep_b = RecordingSleep(), RecordingSleep()
    a = await make_bot(sleep=sleep_a, max_concurrency=2)
    b = await make_bot(sleep=sleep_b, max_concurrency=2)

    await a.before_identify_hook(0, initial=True)  # bucket 0: free
    await b.before_identify_hook(2, initial=True)  # bucket 0: taken by a for 5 s
    await b.before_identify_hook(1, initial=False)  # bucket 1: free
    await a.before_identify_hook(4, initial=False)  # bucket 0: after b's slot

    assert sleep_a.delays == [10.0]
    assert sleep_b.delays == [5.0]


async def test_max_concurrency_should_be_asked_from_discord_once(make_bot) -> None:
    sleep = RecordingSleep()
    bot = await make_bot(sleep=sleep)
    limits = AsyncMock(return_value=type("Limits", (), {"max_concurrency": 16})())
    bot.fetch_session_start_limits = limits  # type: ignore[method-assign]

    await bot.before_identify_hook(0, initial=True)
    await bot.before_identify_hook(1, initial=False)  # bucket 1 of 16: free
    await bot.before_identify_hook(16, initial=False)  # bucket 0 again: waits

    assert limits.await_count == 1
    assert bot.max_concurrency == 16
    assert sleep.delays == [5.0]


async def test_without_discords_limits_every_shard_should_share_one_bucket(make_bot) -> None:
    sleep = RecordingSleep()
    bot = await make_bot(sleep=sleep)
    bot.fetch_session_start_limits = AsyncMock(side_effect=OSError("no network"))  # type: ignore[method-assign]

    await bot.before_identify_hook(0, initial=True)
    await bot.before_identify_hook(1, initial=False)

    assert sleep.delays == [5.0]


async def test_an_unreachable_gate_should_fall_back_to_discord_pys_5_second_wait(
    make_bot, caplog: pytest.LogCaptureFixture
) -> None:
    sleep = RecordingSleep()
    bot = await make_bot(sleep=sleep, max_concurrency=1)
    bot.db.identify_gate.reserve = AsyncMock(side_effect=ConnectionError("gone"))  # type: ignore[method-assign]

    await bot.before_identify_hook(0, initial=True)
    await bot.before_identify_hook(0, initial=False)

    assert sleep.delays == [5.0]
    assert "Identify gate unavailable (gone)" in caplog.text


# -- /kb reload reaching every process -------------------------------------------------


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A KNOWLEDGE_DIR of the processes' own, to change under them."""
    folder = tmp_path / "knowledge"
    shutil.copytree(knowledge.loader.DATA_DIR, folder)
    return folder


def rephrase(folder: Path, old: str, new: str) -> None:
    path = folder / "faq" / "scoring.toml"
    text = path.read_text(encoding="utf-8")
    assert f'question = "{old}"' in text
    path.write_text(text.replace(f'question = "{old}"', f'question = "{new}"'), encoding="utf-8")


async def two_processes(make_bot, store: Store, folder: Path) -> tuple[ExamBot, ExamBot]:
    loaded = KnowledgeState.load(folder)
    a = await make_bot(settings=settings_for(store, knowledge_dir=folder), knowledge=loaded)
    b = await make_bot(settings=settings_for(store, knowledge_dir=folder), knowledge=loaded)
    return a, b


async def test_kb_reload_in_one_process_should_reach_the_other_at_its_next_poll(
    make_bot, store: Store, knowledge_copy: Path
) -> None:
    a, b = await two_processes(make_bot, store, knowledge_copy)
    rephrase(knowledge_copy, QUESTION, CHANGED)

    recorder = await run_command(a, "reload", manage_guild=True)

    assert "Reloaded" in (recorder.last.content or "")
    assert a.knowledge.kb.entries["passing-score"].question == CHANGED
    assert b.knowledge.kb.entries["passing-score"].question == QUESTION  # not yet
    assert await b.poll_knowledge() is True
    assert b.knowledge.kb.entries["passing-score"].question == CHANGED
    assert await b.poll_knowledge() is False  # nothing new: no second reload
    assert await a.poll_knowledge() is False  # its own reload is not done twice


async def test_a_process_should_keep_its_knowledge_when_the_files_are_broken_on_its_host(
    make_bot, store: Store, knowledge_copy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = await two_processes(make_bot, store, knowledge_copy)
    broken = tmp_path / "broken"
    shutil.copytree(knowledge_copy, broken)
    (broken / "policy.toml").write_text("passing_score = 'seven hundred'\n")
    b.settings.knowledge_dir = broken  # b's host got a broken copy
    before = b.knowledge

    await run_command(a, "reload", manage_guild=True)
    caplog.clear()
    caplog.set_level(logging.INFO, logger="bot.client")

    assert await b.poll_knowledge() is False
    assert b.knowledge is before
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "\n" not in warnings[0].getMessage()
    assert "keeping the previous knowledge" in warnings[0].getMessage()
    caplog.clear()
    assert await b.poll_knowledge() is False  # not retried (nor logged) every poll
    assert caplog.records == []


async def test_a_failed_reload_should_not_tell_the_other_processes(
    make_bot, store: Store, knowledge_copy: Path
) -> None:
    a, b = await two_processes(make_bot, store, knowledge_copy)
    (knowledge_copy / "policy.toml").write_text("passing_score = 'seven hundred'\n")

    recorder = await run_command(a, "reload", manage_guild=True)

    assert "kept the previous version" in (recorder.last.content or "")
    assert await a.db.knowledge.current() == 0
    assert await b.poll_knowledge() is False


async def test_the_poll_should_run_every_knowledge_poll_seconds_and_stop_on_close(
    make_bot, store: Store, knowledge_copy: Path
) -> None:
    a, _ = await two_processes(make_bot, store, knowledge_copy)
    sleep = RecordingSleep(block_after=2)  # two polls, then the third sleep hangs
    settings = settings_for(store, knowledge_dir=knowledge_copy, knowledge_poll_seconds=12)
    b = await make_bot(settings=settings, sleep=sleep, knowledge=a.knowledge)
    b.sync_commands = AsyncMock()  # type: ignore[method-assign]
    b.extension_names = ()  # make_bot loaded them already
    rephrase(knowledge_copy, QUESTION, CHANGED)
    await run_command(a, "reload", manage_guild=True)

    async with b:  # closed on leaving, as `bot run` does
        await b.setup_hook()  # starts the poll, as login() does
        await asyncio.wait_for(sleep.blocked.wait(), 5)

        assert sleep.delays == [12, 12, 12]
        assert b.knowledge.kb.entries["passing-score"].question == CHANGED
        task = b._knowledge_poll
        assert task is not None and not task.done()
    assert task.cancelled()


async def test_a_client_started_again_should_catch_up_with_a_reload_it_missed(
    make_bot, store: Store, knowledge_copy: Path
) -> None:
    """After a lost connection ``bot run`` makes a new client from the knowledge it
    loaded at start-up: once anyone reloaded, the files are read again."""
    a, _ = await two_processes(make_bot, store, knowledge_copy)
    stale = a.knowledge
    rephrase(knowledge_copy, QUESTION, CHANGED)
    await run_command(a, "reload", manage_guild=True)
    settings = settings_for(store, knowledge_dir=knowledge_copy)
    b = await make_bot(settings=settings, knowledge=stale, sleep=RecordingSleep(block_after=0))
    b.sync_commands = AsyncMock()  # type: ignore[method-assign]
    b.extension_names = ()

    async with b:
        await b.setup_hook()

        assert b.knowledge.kb.entries["passing-score"].question == CHANGED
        assert b.knowledge_generation == 1


# -- start-up failures of a shard: one line, as for a single connection ----------------


def test_a_shard_failing_to_connect_before_ready_should_end_the_attempt_silently() -> None:
    async def scenario() -> None:
        watch = run_module._ReconnectLogFilter()
        error = ConnectionRefusedError(111, "Connection refused")
        record = logging.LogRecord(
            "discord.shard", logging.ERROR, __file__, 1,
            "Failed to connect for shard_id: %s. Retrying...", (0,), (type(error), error, None),
        )  # fmt: skip

        assert watch.filter(record) is False
        assert watch.failed.is_set() and watch.failure is error

    asyncio.run(scenario())


def test_a_shard_reconnecting_after_ready_should_be_one_warning_line() -> None:
    watch = run_module._ReconnectLogFilter()
    watch.ready = True
    error = ConnectionResetError(104, "Connection reset by peer")
    record = logging.LogRecord(
        "discord.shard", logging.ERROR, __file__, 1,
        "Attempting a reconnect for shard ID %s in %.2fs", (3, 7.5), (type(error), error, None),
    )  # fmt: skip

    assert watch.filter(record) is True
    assert record.exc_info is None and record.levelno == logging.WARNING
    assert record.getMessage() == (
        "Lost the connection to Discord (a network error (Connection reset by peer)); "
        "reconnecting in 8 s"
    )
