"""``python -m bot run`` when Discord can't be reached: one clear line per attempt, capped
exponential backoff, ``--once`` for scripts, exit 2 for a rejected token, never a traceback.

discord.py sends REST calls to ``Route.BASE`` and opens the gateway at
``DiscordWebSocket.DEFAULT_GATEWAY``; the tests point them at a closed port, an
unresolvable host, a socket that never answers, tiny servers answering 401 or 503, and
the loopback fake Discord. Servers run on a loop in a background thread because the
command under test runs its own loop (``asyncio.run``), as in production. The sleep
between attempts is injected, so no test waits for the backoff.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from aiohttp import web

from bot.cli import build_parser
from bot.cli import run as run_module
from bot.cli.run import StartupPolicy, _ReconnectLogFilter, describe_network_error
from bot.client import ExamBot
from bot.storage import Database
from tests.e2e.fake_discord import FakeDiscord

REPO = Path(__file__).resolve().parents[2]
FAKE_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.FAKE.do-not-print-this-token-abc123"


class RecordingSleep:
    """The injected sleep: records each delay and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class BackgroundLoop:
    """An event loop in a thread, for servers that must outlive ``asyncio.run`` calls."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def call(self, make: Callable[[], Awaitable[Any]]) -> Any:
        async def _run() -> Any:
            return await make()

        return asyncio.run_coroutine_threadsafe(_run(), self.loop).result(timeout=10)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def background() -> Iterator[BackgroundLoop]:
    loop = BackgroundLoop()
    try:
        yield loop
    finally:
        loop.close()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working directory, a fake token, the database in it."""
    monkeypatch.chdir(tmp_path)
    for name in ("DEV_GUILD_ID", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISCORD_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "data" / "bot.db"))
    monkeypatch.setattr(discord.utils, "setup_logging", lambda **_: None)
    return tmp_path


def point_discord_at(
    monkeypatch: pytest.MonkeyPatch, base: str, gateway: str | None = None
) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", f"{base}/api/v10")
    if gateway is not None:
        monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(gateway))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose kernel completes the TCP handshake, and nobody ever answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)  # never accept(): connections queue, requests go unanswered
        yield int(sock.getsockname()[1])


def answering(background: BackgroundLoop, status: int) -> str:
    """An HTTP server answering every request with ``status``, as Discord's API would."""

    async def handler(request: web.Request) -> web.Response:
        body = b'{"message": "401: Unauthorized", "code": 0}' if status == 401 else b"{}"
        return web.Response(status=status, body=body, content_type="application/json")

    async def start() -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    return str(background.call(start))


@pytest.fixture
def fake_discord(background: BackgroundLoop) -> Iterator[FakeDiscord]:
    async def make() -> FakeDiscord:
        return FakeDiscord()  # in the server's loop, which its asyncio objects belong to

    fake: FakeDiscord = background.call(make)
    background.call(fake.start)
    try:
        yield fake
    finally:
        background.call(fake.stop)


def run_bot(argv: list[str], policy: StartupPolicy) -> int:
    args = build_parser().parse_args(argv)
    return run_module.run(args, policy=policy)


def quick(**overrides: Any) -> StartupPolicy:
    values: dict[str, Any] = {"startup_timeout": 5.0, "sleep": RecordingSleep()}
    values.update(overrides)
    return StartupPolicy(**values)


def assert_one_clear_line(err: str, caplog: pytest.LogCaptureFixture) -> str:
    """Exactly one line on stderr, and no traceback anywhere (stderr or the log)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert "Traceback" not in caplog.text
    assert [r for r in caplog.records if r.exc_info] == []
    assert FAKE_TOKEN not in err + caplog.text
    return lines[0]


# -- one attempt, --once --------------------------------------------------------------


def test_should_say_connection_refused_in_one_line_and_exit_1_with_once(
    env, monkeypatch, capsys, caplog
):
    port = closed_port()
    point_discord_at(monkeypatch, f"http://127.0.0.1:{port}")
    sleep = RecordingSleep()

    status = run_bot(["run", "--once"], quick(sleep=sleep))

    line = assert_one_clear_line(capsys.readouterr().err, caplog)
    assert status == 1
    assert line.startswith("Can't reach Discord: ")
    assert f"can't connect to 127.0.0.1:{port}" in line
    assert "Connection refused" in line
    assert "Not retrying (--once)" in line
    assert sleep.delays == []


def test_a_copied_env_example_with_a_token_should_get_as_far_as_discord(
    env, monkeypatch, capsys, caplog
):
    """The newcomer's path: ``cp .env.example .env``, set the token, ``make run``."""
    monkeypatch.delenv("DISCORD_TOKEN")
    monkeypatch.delenv("DATABASE_PATH")
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    (env / ".env").write_text(text.replace("\nDISCORD_TOKEN=\n", f"\nDISCORD_TOKEN={FAKE_TOKEN}\n"))
    point_discord_at(monkeypatch, f"http://127.0.0.1:{closed_port()}")

    status = run_bot(["run", "--once"], quick())

    line = assert_one_clear_line(capsys.readouterr().err, caplog)
    assert status == 1
    assert line.startswith("Can't reach Discord: ")  # settings, knowledge, database: fine
    assert (env / "data" / "bot.db").exists()  # DATABASE_PATH=./data/bot.db, as shipped


def test_should_name_the_host_when_dns_fails(env, monkeypatch, capsys, caplog):
    point_discord_at(monkeypatch, "http://exam-bot-test.invalid")

    status = run_bot(["run", "--once"], quick())

    line = assert_one_clear_line(capsys.readouterr().err, caplog)
    assert status == 1
    assert "can't resolve exam-bot-test.invalid" in line and "DNS" in line


def test_should_give_up_an_attempt_when_discord_never_answers_the_login(
    env, monkeypatch, capsys, caplog, silent_port
):
    point_discord_at(monkeypatch, f"http://127.0.0.1:{silent_port}")
    started = time.monotonic()

    status = run_bot(["run", "--once"], quick(startup_timeout=0.3))

    elapsed = time.monotonic() - started
    line = assert_one_clear_line(capsys.readouterr().err, caplog)
    assert status == 1
    assert "Discord did not answer within 0.3 s while logging in" in line
    assert elapsed < 10  # not aiohttp's five minutes


def test_should_report_a_tls_failure_in_one_line(
    env, monkeypatch, capsys, caplog, background
):
    plain = answering(background, 200)  # plain HTTP where HTTPS is expected
    point_discord_at(monkeypatch, plain.replace("http://", "https://"))

    status = run_bot(["run", "--once"], quick())

    line = assert_one_clear_line(capsys.readouterr().err, caplog)
    assert status == 1
    assert "the TLS handshake with 127.0.0.1 failed" in line, line
    assert "Operation not permitted" not in line  # an SSL code is no OS errno


def test_should_retry_when_discord_answers_5xx(env, monkeypatch, capsys, caplog, background):
    point_discord_at(monkeypatch, answering(background, 503))

    status = run_bot(["run", "--once"], quick())

    line = assert_one_clear_line(capsys.readouterr().err, caplog)
    assert status == 1
    assert "Discord answered HTTP 503" in line and "Not retrying (--once)" in line


# -- the token ------------------------------------------------------------------------


def test_should_exit_2_at_once_when_discord_rejects_the_token(
    env, monkeypatch, capsys, caplog, background
):
    point_discord_at(monkeypatch, answering(background, 401))
    sleep = RecordingSleep()
    caplog.set_level(logging.DEBUG)

    status = run_bot(["run"], quick(sleep=sleep))  # no --once: still no retry

    line = assert_one_clear_line(capsys.readouterr().err, caplog)
    assert status == 2
    assert "Discord rejected the token (login failed)" in line
    assert "Reset Token" in line and "DISCORD_TOKEN" in line
    assert sleep.delays == []


# -- retrying -------------------------------------------------------------------------


def test_should_back_off_5_10_20_up_to_5_minutes_with_a_fresh_client_each_time(
    env, monkeypatch, capsys, caplog
):
    point_discord_at(monkeypatch, f"http://127.0.0.1:{closed_port()}")
    sleep = RecordingSleep()
    # The clients themselves, not their ids: a closed client may be freed and its id
    # reused by the next one.
    clients: list[ExamBot] = []
    opened: list[object] = []
    real_init = ExamBot.__init__
    real_open = Database.open

    def counting_init(self: ExamBot, **kwargs: Any) -> None:
        clients.append(self)
        real_init(self, **kwargs)

    async def counting_open(path: Any, **kwargs: Any) -> Database:
        opened.append(path)
        return await real_open(path, **kwargs)

    monkeypatch.setattr(ExamBot, "__init__", counting_init)
    monkeypatch.setattr(Database, "open", counting_open)
    caplog.set_level(logging.INFO)

    status = run_bot(["run"], quick(sleep=sleep, attempts=9))

    err = capsys.readouterr().err
    assert_one_clear_line(err, caplog)
    assert status == 1
    assert "Not retrying (after 9 attempts)" in err
    assert sleep.delays == [5, 10, 20, 40, 80, 160, 300, 300]
    retries = [r.getMessage() for r in caplog.records if "Retrying in" in r.getMessage()]
    assert len(retries) == 8
    assert all("\n" not in message for message in retries)
    assert retries[0].startswith("Can't reach Discord: can't connect to 127.0.0.1:")
    assert retries[0].endswith("Retrying in 5 s; press Ctrl-C to stop.")
    assert retries[-1].endswith("Retrying in 5 min; press Ctrl-C to stop.")
    assert len({id(client) for client in clients}) == 9  # a fresh client per attempt
    assert len(opened) == 1  # one database for all of them


def test_backoff_should_double_from_5_seconds_and_stay_at_5_minutes():
    delays = StartupPolicy().delays()

    assert [next(delays) for _ in range(10)] == [5, 10, 20, 40, 80, 160, 300, 300, 300, 300]


# -- the gateway ----------------------------------------------------------------------


def test_should_end_the_attempt_at_the_first_gateway_failure_without_a_traceback(
    env, monkeypatch, capsys, caplog, fake_discord
):
    port = closed_port()
    point_discord_at(monkeypatch, fake_discord.base_url, f"ws://127.0.0.1:{port}/gateway")
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()

    status = run_bot(["run", "--once"], quick(startup_timeout=30))

    line = assert_one_clear_line(capsys.readouterr().err, caplog)
    assert status == 1
    assert f"can't connect to 127.0.0.1:{port}" in line
    assert time.monotonic() - started < 10  # not the start-up deadline: the first failure
    assert logging.getLogger("discord.client").filters == []  # the filter was removed


def test_should_give_up_an_attempt_when_the_gateway_never_answers(
    env, monkeypatch, capsys, caplog, fake_discord, silent_port
):
    point_discord_at(monkeypatch, fake_discord.base_url, f"ws://127.0.0.1:{silent_port}/gateway")

    status = run_bot(["run", "--once"], quick(startup_timeout=0.5))

    line = assert_one_clear_line(capsys.readouterr().err, caplog)
    assert status == 1
    assert "did not answer within 0.5 s while connecting to the gateway" in line


def test_should_run_against_a_reachable_discord_and_stop_cleanly_on_sigterm(
    env, monkeypatch, capsys, caplog, fake_discord
):
    point_discord_at(
        monkeypatch,
        fake_discord.base_url,
        f"ws://{fake_discord.base_url.removeprefix('http://')}/gateway",
    )
    caplog.set_level(logging.INFO)

    async def on_ready(self: ExamBot) -> None:
        # Delivered through the loop's handler, exactly as `kill -TERM` would be.
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(ExamBot, "on_ready", on_ready, raising=False)
    real_init = ExamBot.__init__

    def no_guild_wait(self: ExamBot, **kwargs: Any) -> None:
        real_init(self, **kwargs)
        # The fake has no guilds: don't wait discord.py's 2 s for their GUILD_CREATEs.
        self._connection.guild_ready_timeout = 0.01

    monkeypatch.setattr(ExamBot, "__init__", no_guild_wait)

    status = run_bot(["run"], quick())

    assert status == 0
    assert capsys.readouterr().err == ""
    assert "Connected to Discord" in caplog.text
    assert "Bot stopped (SIGTERM)" in caplog.text
    assert fake_discord.identifies == 1
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # handler restored


def test_a_reconnect_after_ready_should_be_one_warning_line():
    watch = _ReconnectLogFilter()
    watch.ready = True
    try:
        raise ConnectionResetError(104, "Connection reset by peer")
    except ConnectionResetError:
        record = logging.LogRecord(
            "discord.client",
            logging.ERROR,
            __file__,
            1,
            "Attempting a reconnect in %.2fs",
            (3.5,),
            sys.exc_info(),
        )

    assert watch.filter(record) is True
    assert record.exc_info is None and record.levelno == logging.WARNING
    assert record.getMessage() == (
        "Lost the connection to Discord (a network error (Connection reset by peer)); "
        "reconnecting in 4 s"
    )


def test_a_reconnect_before_ready_should_end_the_attempt_and_not_be_logged():
    async def scenario() -> None:
        watch = _ReconnectLogFilter()
        error = ConnectionRefusedError(111, "Connection refused")
        record = logging.LogRecord(
            "discord.client", logging.ERROR, __file__, 1, "Attempting a reconnect in %.2fs",
            (1.0,), (type(error), error, None),
        )  # fmt: skip
        other = logging.LogRecord(
            "discord.client", logging.INFO, __file__, 1, "logging in", (), None
        )

        assert watch.filter(record) is False
        assert watch.failed.is_set() and watch.failure is error
        assert watch.filter(other) is True

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), "WRONG_VERSION"),
        (TimeoutError(), "did not answer in time"),
        (OSError(101, "Network is unreachable"), "Network is unreachable"),
        (ValueError("not a network problem"), None),
    ],
)
def test_network_errors_should_be_worded_and_others_not(error, expected):
    described = describe_network_error(error)
    if expected is None:
        assert described is None
    else:
        assert described is not None and expected in described


# -- what retrying can't fix ------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "words"),
    [
        (discord.PrivilegedIntentsRequired(None), 1, "needs no privileged ones"),
        (RuntimeError("boom"), 1, "The bot failed while logging in: RuntimeError: boom"),
    ],
    ids=["intents", "bug"],
)
def test_should_stop_with_one_line_when_retrying_cannot_help(
    env, monkeypatch, capsys, caplog, error, status, words
):
    async def failing_start(self: ExamBot, token: str, **_: object) -> None:
        raise error

    monkeypatch.setattr(ExamBot, "start", failing_start)
    sleep = RecordingSleep()

    assert run_bot(["run"], quick(sleep=sleep)) == status

    line = assert_one_clear_line(capsys.readouterr().err, caplog)
    assert words in line
    assert sleep.delays == []


def test_a_refused_request_should_stop_and_hint_at_the_dev_guild(env, monkeypatch, capsys, caplog):
    monkeypatch.setenv("DEV_GUILD_ID", "123456789012345678")
    response = type("Response", (), {"status": 403, "reason": "Forbidden"})()
    forbidden = discord.Forbidden(response, {"message": "Missing Access", "code": 50001})

    async def failing_start(self: ExamBot, token: str, **_: object) -> None:
        raise forbidden

    monkeypatch.setattr(ExamBot, "start", failing_start)

    assert run_bot(["run"], quick()) == 1

    line = assert_one_clear_line(capsys.readouterr().err, caplog)
    assert "HTTP 403: Missing Access" in line and "DEV_GUILD_ID=123456789012345678" in line


# -- Ctrl-C and SIGTERM, as a real program ------------------------------------------------

# The real command, with discord.py pointed at a closed port so that it is unreachable
# whatever the machine's network (Route.BASE can't be set from outside the process).
UNREACHABLE_BOT = """
import sys
import discord.http
discord.http.Route.BASE = "http://127.0.0.1:{port}/api/v10"
from bot.cli import main
sys.exit(main(["run"]))
"""


@pytest.mark.parametrize(
    ("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 0)], ids=["SIGINT", "SIGTERM"]
)
def test_a_signal_during_the_retry_wait_should_exit_cleanly_within_a_second(
    tmp_path, sig, status
):
    env = {k: v for k, v in os.environ.items() if k not in {"DEV_GUILD_ID", "LOG_LEVEL"}}
    env |= {
        "PYTHONPATH": str(REPO),
        "DISCORD_TOKEN": FAKE_TOKEN,
        "DATABASE_PATH": str(tmp_path / "bot.db"),
    }
    program = subprocess.Popen(
        [sys.executable, "-c", UNREACHABLE_BOT.format(port=closed_port())],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert program.stderr is not None
        seen = []
        for line in program.stderr:  # wait until it is in the 5-second retry wait
            seen.append(line)
            if "Retrying in 5 s" in line:
                break
        assert seen and "Retrying in 5 s; press Ctrl-C to stop." in seen[-1], seen
        started = time.monotonic()
        program.send_signal(sig)
        rest = program.stderr.read()
        returncode = program.wait(timeout=5)
        elapsed = time.monotonic() - started
    finally:
        if program.poll() is None:
            program.kill()
            program.wait()

    output = "".join(seen) + rest
    assert returncode == status, output
    assert elapsed < 2, elapsed  # "within a second", with room for a loaded machine
    assert "Traceback" not in output
    assert f"Bot stopped ({sig.name})" in rest
    assert FAKE_TOKEN not in output
