"""``python -m bot run [--sync]``: the composition root that starts the Discord bot.

Settings come from the environment or ``.env``; without a token it prints what to do
and exits with status 2. The token is never printed or logged, even on failure.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings

EXIT_CONFIG = 2
EXIT_FAILURE = 1

# Send Messages, Embed Links, Read Message History: enough for answers and replies.
INVITE_PERMISSIONS = 2048 + 16384 + 65536

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


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("run", help="start the Discord bot")
    parser.add_argument(
        "--sync",
        action="store_true",
        help="sync slash commands globally now, even if they look unchanged",
    )
    parser.set_defaults(func=run)


def _error(message: str) -> None:
    print(message, file=sys.stderr)  # noqa: T201


def run(args: argparse.Namespace) -> int:
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
    token = settings.token
    if token is None:
        _error(NO_TOKEN_HELP)
        return EXIT_CONFIG
    return asyncio.run(_start(settings, token, force_sync=bool(args.sync)))


async def _start(settings: Settings, token: str, *, force_sync: bool) -> int:
    import discord

    from bot.client import ExamBot
    from bot.knowledge_state import KnowledgeState
    from bot.storage import Database
    from knowledge.loader import KnowledgeError

    discord.utils.setup_logging(level=_level(settings.log_level))
    logging.getLogger("discord.http").setLevel(logging.WARNING)
    log = logging.getLogger("bot.run")

    try:
        knowledge = KnowledgeState.load()
    except KnowledgeError as exc:
        _error(f"The knowledge files are invalid ({len(exc.problems)} problem(s)); not starting:")
        for problem in exc.problems:
            _error(f"  {problem}")
        return EXIT_FAILURE

    settings.database_path.parent.mkdir(parents=True, exist_ok=True)
    db = await Database.open(settings.database_path)
    try:
        async with ExamBot(
            settings=settings, db=db, knowledge=knowledge, force_sync=force_sync
        ) as bot:
            await bot.start(token)
    except discord.LoginFailure:
        # discord.py's message never contains the token; ours doesn't either.
        _error(
            "Discord rejected the token (login failed). Reset it in the Developer Portal "
            "(Bot → Reset Token) and update DISCORD_TOKEN in .env."
        )
        return EXIT_FAILURE
    except discord.PrivilegedIntentsRequired:
        _error("Discord refused the requested intents; this bot needs no privileged ones.")
        return EXIT_FAILURE
    finally:
        await db.close()
    log.info("Bot stopped")
    return 0


def _level(name: str) -> int:
    level = logging.getLevelName(name.upper())
    return level if isinstance(level, int) else logging.INFO
