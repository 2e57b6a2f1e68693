"""``python -m bot run [--sync] [--once]``: the composition root that starts the Discord bot.

Settings come from the environment or ``.env``; without a token it prints what to do
and exits with status 2. The token is never printed or logged, even on failure.

Reaching Discord is retried, not assumed: DNS failures, refused connections, TLS errors,
Discord errors (5xx) and a Discord that never answers each print one line and are tried
again after 5 s, 10 s, 20 s … up to 5 minutes, until Ctrl-C or SIGTERM, which stop at
once (also during the wait). ``--once`` gives up after the first failed attempt, for
scripts and CI. What retrying can't fix — a rejected token (status 2), refused intents,
an unusable database (status 1) — stops with one line as well. Never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import enum
import logging
import os
import signal
import socket
import ssl
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import discord

    from bot.client import ExamBot
    from bot.config import Settings
    from bot.knowledge_state import KnowledgeState
    from bot.storage import Database

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130  # what a shell reports for Ctrl-C, as for every other command

# Send Messages, Embed Links, Read Message History: enough for answers and replies.
INVITE_PERMISSIONS = 2048 + 16384 + 65536

LOGIN_REJECTED = (
    "Discord rejected the token (login failed). Reset it in the Developer Portal "
    "(Bot → Reset Token) and update DISCORD_TOKEN in .env."
)

NO_TOKEN_HELP = f"""\
No DISCORD_TOKEN is set, so the bot can't connect to Discord. To set one up:

  1. Create an application at https://discord.com/developers/applications
  2. In the application, open "Bot" and click "Reset Token"; copy the token.
  3. Copy .env.example to .env and set the token there:
         cp .env.example .env
         DISCORD_TOKEN=your-token-here
     (or export DISCORD_TOKEN in the environment). Never commit .env.
  4. Invite the bot to your server with the scopes "bot applications.commands":
         https://discord.com/oauth2/authorize?client_id=YOUR_APPLICATION_ID&scope=bot+applications.commands&permissions={INVITE_PERMISSIONS}
     (YOUR_APPLICATION_ID is on the application's "General Information" page.)
  5. Run `make run` again.

Meanwhile `make console` (python -m bot console) answers questions in this terminal,
with the same answers as the bot, and needs no token."""

# Gateway close codes that retrying cannot fix (discord.py doesn't resume them either).
FATAL_CLOSE_CODES = {4010, 4011, 4012, 4013, 4014}
TOKEN_CLOSE_CODE = 4004

Sleep = Callable[[float], Awaitable[None]]

log = logging.getLogger("bot.run")


@dataclass(frozen=True, slots=True)
class StartupPolicy:
    """How hard ``run`` tries to reach Discord; tests pass tiny timeouts and a fake sleep.

    ``startup_timeout`` bounds one attempt from login to READY: without it, a Discord that
    accepts connections and never answers keeps the bot silent for aiohttp's five minutes.
    ``attempts`` is ``None`` to retry until stopped, ``1`` for ``--once``.
    """

    first_delay: float = 5.0
    max_delay: float = 300.0
    startup_timeout: float = 60.0
    attempts: int | None = None
    sleep: Sleep = asyncio.sleep

    def delays(self) -> Iterator[float]:
        """5, 10, 20 … doubling, capped at ``max_delay`` (5 minutes), forever."""
        delay = self.first_delay
        while True:
            yield min(delay, self.max_delay)
            delay = min(delay * 2, self.max_delay)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("run", help="start the Discord bot")
    parser.add_argument(
        "--sync",
        action="store_true",
        help="sync slash commands globally now, even if they look unchanged",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="exit with status 1 if the first attempt to reach Discord fails, instead of "
        "retrying with backoff (for scripts and CI)",
    )
    parser.set_defaults(func=run)


def _error(message: str) -> None:
    print(message, file=sys.stderr)  # noqa: T201


def run(args: argparse.Namespace, *, policy: StartupPolicy | None = None) -> int:
    from pydantic import ValidationError

    from bot.config import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        # pydantic never echoes a SecretStr's value, so this is safe to show.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        _error(f"Invalid settings in the environment or .env: {problems}")
        return EXIT_CONFIG
    sharding = settings.sharding_problem()
    if sharding is not None:
        _error(f"Invalid settings in the environment or .env: {sharding}")
        return EXIT_CONFIG
    token = settings.token
    if token is None:
        _error(NO_TOKEN_HELP)
        return EXIT_CONFIG
    policy = policy or StartupPolicy()
    if getattr(args, "once", False):
        policy = dataclasses.replace(policy, attempts=1)
    return asyncio.run(_start(settings, token, force_sync=bool(args.sync), policy=policy))


async def _start(settings: Settings, token: str, *, force_sync: bool, policy: StartupPolicy) -> int:
    import discord

    from bot.knowledge_state import KnowledgeState
    from bot.storage.database import DatabaseOpenError, open_database, store_setting
    from knowledge.loader import KnowledgeError

    discord.utils.setup_logging(level=_level(settings.log_level))
    logging.getLogger("discord.http").setLevel(logging.WARNING)

    try:
        knowledge = KnowledgeState.load()
    except KnowledgeError as exc:
        _error(f"The knowledge files are invalid ({len(exc.problems)} problem(s)); not starting:")
        for problem in exc.problems:
            _error(f"  {problem}")
        return EXIT_FAILURE

    try:
        db = await open_database(settings)
    except DatabaseOpenError as exc:
        # store_setting names DATABASE_URL (password masked) or DATABASE_PATH.
        _error(
            f"Can't use the database ({store_setting(settings)}): {exc.problem}. "
            f"To fix it: {exc.advice}. Not starting."
        )
        return EXIT_FAILURE
    # The database stays open across attempts: only the Discord client is made afresh.
    try:
        stop = _StopRequest()
        with _stop_on_signals(stop):
            return await _supervise(settings, db, knowledge, token, force_sync, policy, stop)
    finally:
        await db.close()


class _Outcome(enum.Enum):
    STOPPED = "stopped"  # the client closed, or a signal asked us to stop
    RETRY = "retry"  # Discord unreachable or erroring: worth another attempt
    REJECTED = "rejected"  # Discord rejected the token: exit 2
    FATAL = "fatal"  # retrying can't fix it: exit 1


@dataclass(frozen=True, slots=True)
class _Attempt:
    outcome: _Outcome
    reason: str = ""
    became_ready: bool = False


async def _supervise(
    settings: Settings,
    db: Database,
    knowledge: KnowledgeState,
    token: str,
    force_sync: bool,
    policy: StartupPolicy,
    stop: _StopRequest,
) -> int:
    """Attempt, and on a retryable failure wait (interruptibly) and attempt again."""
    delays = policy.delays()
    attempts = 0
    while True:
        attempts += 1
        result = await _attempt(settings, db, knowledge, token, force_sync, policy, stop)
        if stop.event.is_set():
            log.info("Bot stopped (%s)", stop.name)
            return EXIT_INTERRUPTED if stop.signal == signal.SIGINT else EXIT_OK
        if result.outcome is _Outcome.STOPPED:
            log.info("Bot stopped")
            return EXIT_OK
        if result.outcome is _Outcome.REJECTED:
            _error(result.reason)
            return EXIT_CONFIG
        if result.outcome is _Outcome.FATAL:
            _error(result.reason)
            return EXIT_FAILURE
        if result.became_ready:  # it ran for a while: start the backoff afresh
            delays, attempts = policy.delays(), 1
        if policy.attempts is not None and attempts >= policy.attempts:
            given_up = "--once" if policy.attempts == 1 else f"after {attempts} attempts"
            _error(f"Can't reach Discord: {result.reason}. Not retrying ({given_up}).")
            return EXIT_FAILURE
        delay = next(delays)
        log.warning(
            "Can't reach Discord: %s. Retrying in %s; press Ctrl-C to stop.",
            result.reason,
            _seconds(delay),
        )
        if await _pause(delay, stop, policy.sleep):
            log.info("Bot stopped (%s)", stop.name)
            return EXIT_INTERRUPTED if stop.signal == signal.SIGINT else EXIT_OK


async def _attempt(
    settings: Settings,
    db: Database,
    knowledge: KnowledgeState,
    token: str,
    force_sync: bool,
    policy: StartupPolicy,
    stop: _StopRequest,
) -> _Attempt:
    """One fresh client from login to READY (within the deadline), then until it ends.

    A closed discord.py client can't simply be started again, so every attempt builds a
    new :class:`ExamBot`; ``async with`` closes it (unloading the cogs, stopping the
    reminder scheduler) whatever happens.
    """
    from bot.client import ExamBot

    bot = ExamBot(settings=settings, db=db, knowledge=knowledge, force_sync=force_sync)
    watch = _ReconnectLogFilter()
    # discord.client logs a lost connection of a single-process client, discord.shard one
    # of a shard (ExamBot is an AutoShardedBot).
    discord_logs = [logging.getLogger(name) for name in ("discord.client", "discord.shard")]
    for discord_log in discord_logs:
        discord_log.addFilter(watch)
    try:
        async with bot:
            return await _drive(bot, token, policy, stop, watch, settings)
    except Exception as exc:  # entering or closing a half-started client can fail too
        return _classify(exc, settings, phase=_phase(bot))
    finally:
        for discord_log in discord_logs:
            discord_log.removeFilter(watch)


async def _drive(
    bot: ExamBot,
    token: str,
    policy: StartupPolicy,
    stop: _StopRequest,
    watch: _ReconnectLogFilter,
    settings: Settings,
) -> _Attempt:
    runner = asyncio.create_task(bot.start(token), name="discord-client")
    ready = asyncio.create_task(bot.wait_until_ready())
    stopping = asyncio.create_task(stop.event.wait())
    gateway_failed = asyncio.create_task(watch.failed.wait())
    helpers = (ready, stopping, gateway_failed)
    try:
        # Phase 1, under the deadline: login (REST), setup_hook, gateway, READY.
        await asyncio.wait(
            {runner, *helpers}, timeout=policy.startup_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if runner.done():
            return _finished(runner, settings, bot)
        if not ready.done():
            phase = _phase(bot)
            await _cancel(runner)
            if stop.event.is_set():
                return _Attempt(_Outcome.STOPPED)
            if watch.failure is not None:
                return _classify(watch.failure, settings, phase=phase)
            return _Attempt(
                _Outcome.RETRY,
                f"Discord did not answer within {_seconds(policy.startup_timeout)} "
                f"while {phase}",
            )
        # Phase 2: running. discord.py resumes dropped gateway connections by itself.
        watch.ready = True
        log.info("Connected to Discord as %s", bot.user)
        await asyncio.wait({runner, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not runner.done():  # asked to stop: close gracefully, then let start() return
            await bot.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(runner, 5)
            return _Attempt(_Outcome.STOPPED, became_ready=True)
        result = _finished(runner, settings, bot)
        return _Attempt(result.outcome, result.reason, became_ready=True)
    finally:
        for task in helpers:
            task.cancel()
        await _cancel(runner)


def _finished(runner: asyncio.Task[None], settings: Settings, bot: ExamBot) -> _Attempt:
    """``start()`` returned (the client was closed) or raised: what that means."""
    exc = None if runner.cancelled() else runner.exception()
    if exc is None:
        return _Attempt(_Outcome.STOPPED)
    return _classify(exc, settings, phase=_phase(bot))


async def _cancel(task: asyncio.Task[None]) -> None:
    """Cancel ``task`` and wait for it, so the client is idle before it is closed."""
    if task.done():
        if not task.cancelled():
            task.exception()  # retrieved: asyncio must not log "never retrieved"
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # we are being cancelled ourselves, not just the task we cancelled
    except Exception:  # noqa: S110 - the attempt has already been judged; this is cleanup
        pass


def _phase(bot: ExamBot) -> str:
    return "logging in" if bot.user is None else "connecting to the gateway"


def _classify(exc: BaseException, settings: Settings, *, phase: str) -> _Attempt:
    """One line for the operator, and whether another attempt could succeed."""
    import discord

    if isinstance(exc, discord.LoginFailure):
        return _Attempt(_Outcome.REJECTED, LOGIN_REJECTED)
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return _Attempt(
            _Outcome.FATAL,
            "Discord refused the requested intents; this bot needs no privileged ones.",
        )
    if isinstance(exc, discord.ConnectionClosed):
        if exc.code == TOKEN_CLOSE_CODE:
            return _Attempt(_Outcome.REJECTED, LOGIN_REJECTED)
        described = f"Discord's gateway closed the connection (code {exc.code}: {exc.reason})"
        if exc.code in FATAL_CLOSE_CODES:
            return _Attempt(_Outcome.FATAL, f"{described}; retrying won't help. Not starting.")
        return _Attempt(_Outcome.RETRY, described)
    if isinstance(exc, discord.GatewayNotFound):
        return _Attempt(_Outcome.RETRY, "Discord's gateway could not be found (an outage?)")
    if isinstance(exc, discord.HTTPException):
        return _classify_http(exc, settings)
    reason = describe_network_error(exc)
    if reason is not None:
        if isinstance(exc, TimeoutError):
            reason = f"{reason} while {phase}"
        return _Attempt(_Outcome.RETRY, reason)
    # Not a network problem: a bug, most likely. One line; the traceback at DEBUG level.
    log.debug("Start-up failed", exc_info=exc)
    return _Attempt(
        _Outcome.FATAL,
        f"The bot failed while {phase}: {type(exc).__name__}: {exc} "
        "(set LOG_LEVEL=DEBUG to see the traceback). Not starting.",
    )


def _classify_http(exc: discord.HTTPException, settings: Settings) -> _Attempt:
    status = exc.status
    detail = f"HTTP {status}" + (f": {exc.text}" if exc.text else "")
    if status >= 500:
        return _Attempt(_Outcome.RETRY, f"Discord answered {detail} (a Discord outage?)")
    if status == 429:
        return _Attempt(_Outcome.RETRY, f"Discord answered {detail} (rate limited)")
    hint = (
        f" Is the bot a member of the server DEV_GUILD_ID={settings.dev_guild_id}?"
        if settings.dev_guild_id
        else ""
    )
    return _Attempt(
        _Outcome.FATAL, f"Discord refused a request while starting ({detail}).{hint} Not starting."
    )


def describe_network_error(exc: BaseException) -> str | None:
    """What failed, in words, for the network errors worth retrying; ``None`` otherwise."""
    import aiohttp

    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"the TLS certificate of {exc.host} could not be verified ({exc.certificate_error})"
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        host = f" with {exc.host}" if isinstance(exc, aiohttp.ClientConnectorError) else ""
        return f"the TLS handshake{host} failed ({_strerror(exc)})"
    # ClientConnectorDNSError (aiohttp 3.10+) wraps a gaierror; checking that works on all.
    if isinstance(exc, aiohttp.ClientConnectorError) and isinstance(exc.os_error, socket.gaierror):
        return f"can't resolve {exc.host} (the DNS lookup failed: {_strerror(exc)})"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"can't connect to {exc.host}:{exc.port} ({_strerror(exc)})"
    if isinstance(exc, TimeoutError):
        return "Discord did not answer in time"
    if isinstance(exc, aiohttp.ClientError):
        return f"the connection to Discord failed ({type(exc).__name__}: {exc})"
    if isinstance(exc, OSError):
        return f"a network error ({_strerror(exc)})"
    return None


def _strerror(exc: BaseException) -> str:
    """The operating system's words ("Connection refused"), without aiohttp's wrapping."""
    import aiohttp

    error = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
    if isinstance(error, OSError):
        # asyncio words a refused connection "Connect call failed (host, port)"; the
        # errno says it plainly. DNS and TLS errors carry their own codes, no OS errno.
        own_codes = isinstance(error, socket.gaierror | ssl.SSLError)
        if not own_codes and isinstance(error.errno, int) and error.errno > 0:
            return os.strerror(error.errno)
        if error.strerror:
            return str(error.strerror)
    return str(error) or type(error).__name__


class _ReconnectLogFilter(logging.Filter):
    """Turns discord.py's reconnect tracebacks into start-up failures or one-line warnings.

    ``Client.connect`` retries failed gateway connections itself, logging each one with
    its full traceback ("Attempting a reconnect in …"). Before READY that would mean a
    traceback per try and no end, so the first such failure ends the attempt (``failed``)
    and :func:`_supervise` reports it in one line. After READY its reconnects are right
    (they resume the session), and each is logged as one warning line instead.
    """

    def __init__(self) -> None:
        super().__init__("bot.run.reconnects")
        self.failed = asyncio.Event()
        self.failure: BaseException | None = None
        self.ready = False

    def filter(self, record: logging.LogRecord) -> bool:
        # "Attempting a reconnect [for shard ID %s] in %.2fs" after a lost connection;
        # "Failed to connect for shard_id: %s. Retrying..." when a shard can't connect.
        if not str(record.msg).startswith(("Attempting a reconnect", "Failed to connect")):
            return True
        exc = record.exc_info[1] if record.exc_info else None
        if not self.ready:
            if self.failure is None:
                self.failure = exc or ConnectionError("the gateway connection failed")
                self.failed.set()
            return False
        reason = (describe_network_error(exc) if exc else None) or type(exc).__name__
        record.msg = "Lost the connection to Discord (%s); reconnecting in %.0f s"
        args = record.args if isinstance(record.args, tuple) else ()
        # The delay is the last argument (after the shard id, for a shard); none: 5 s.
        delay = args[-1] if args and isinstance(args[-1], float) else 5.0
        record.args = (reason, float(delay))
        record.exc_info = None
        record.exc_text = None
        record.levelno = logging.WARNING
        record.levelname = "WARNING"
        return True


class _StopRequest:
    """Set by SIGINT/SIGTERM; everything that waits also waits for this."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.signal: signal.Signals | None = None

    @property
    def name(self) -> str:
        return self.signal.name if self.signal is not None else "stop requested"

    def request(self, sig: signal.Signals) -> None:
        if self.event.is_set():
            if sig == signal.SIGINT:
                raise KeyboardInterrupt  # a second Ctrl-C: stop waiting for a clean close
            return
        self.signal = sig
        self.event.set()


@contextlib.contextmanager
def _stop_on_signals(stop: _StopRequest) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` (in the loop) instead of killing the process."""
    loop = asyncio.get_running_loop()
    installed: list[tuple[signal.Signals, Any]] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(sig)
        try:
            loop.add_signal_handler(sig, stop.request, sig)
        except (NotImplementedError, RuntimeError, ValueError):
            continue  # Windows, or not the main thread: Ctrl-C still raises KeyboardInterrupt
        installed.append((sig, previous))
    try:
        yield
    finally:
        for sig, previous in installed:
            loop.remove_signal_handler(sig)
            with contextlib.suppress(TypeError, ValueError, OSError):
                signal.signal(sig, previous)


async def _pause(delay: float, stop: _StopRequest, sleep: Sleep) -> bool:
    """Sleep ``delay`` seconds unless stopped first; whether a stop was requested."""
    sleeper = asyncio.ensure_future(sleep(delay))
    stopper = asyncio.ensure_future(stop.event.wait())
    try:
        await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        stopper.cancel()
    return stop.event.is_set()


def _seconds(value: float) -> str:
    if value >= 60 and value % 60 == 0:
        return f"{value / 60:.0f} min"
    return f"{value:g} s"


def _level(name: str) -> int:
    level = logging.getLevelName(name.upper())
    return level if isinstance(level, int) else logging.INFO
