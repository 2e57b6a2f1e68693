"""``python -m bot db copy --from sqlite:///data/bot.db --to postgresql://…``: move a
community's data to another store (see :mod:`bot.storage.copy`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.storage.database import Database

EXIT_OK = 0
EXIT_FAILURE = 1

URL_HELP = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, a plain file path, "
    "or postgresql://user:password@host:5432/database"
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("db", help="database tools (copy a store into another)")
    db_sub = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    copy = db_sub.add_parser(
        "copy", help="copy every table into an empty database, then verify the row counts"
    )
    copy.add_argument("--from", dest="source", required=True, help=URL_HELP)
    copy.add_argument("--to", dest="target", required=True, help=URL_HELP)
    copy.set_defaults(func=run_copy)


def sqlite_path(url: str) -> Path | None:
    """The file a ``sqlite://`` URL (or plain path) names; ``None`` for PostgreSQL URLs.

    As SQLAlchemy writes them: three slashes then a relative path, four for an absolute one.
    """
    from bot.storage.postgres import is_postgres_url

    if is_postgres_url(url):
        return None
    if url.startswith("sqlite://"):
        return Path(url.removeprefix("sqlite://").removeprefix("/"))
    return Path(url)


def _describe(url: str) -> str:
    from bot.storage.postgres import mask_url

    return mask_url(url)


def run_copy(args: argparse.Namespace) -> int:
    return asyncio.run(_copy(str(args.source), str(args.target)))


async def _open(url: str, *, must_exist: bool) -> Database:
    from bot.storage.database import Database

    path = sqlite_path(url)
    if path is None:
        return await Database.open_postgres(url)
    if must_exist and not path.is_file():
        raise FileNotFoundError(path)
    return await Database.open(path)


async def _copy(source_url: str, target_url: str) -> int:
    from bot.storage.copy import CopyError, copy_database
    from bot.storage.database import DatabaseOpenError

    def fail(message: str) -> int:
        print(f"db copy: {message}. Nothing was copied.", file=sys.stderr)  # noqa: T201
        return EXIT_FAILURE

    opened: list[Database] = []
    try:
        for url, role, must_exist in ((source_url, "--from", True), (target_url, "--to", False)):
            try:
                db = await _open(url, must_exist=must_exist)
            except FileNotFoundError:
                return fail(f"{role} {_describe(url)}: no such SQLite file")
            except DatabaseOpenError as exc:
                return fail(f"{role} {_describe(url)}: {exc.problem}; {exc.advice}")
            opened.append(db)
        source, target = opened
        try:
            counts = await copy_database(source, target)
        except CopyError as exc:
            return fail(f"--to {_describe(target_url)}: {exc}")
    finally:
        for db in opened:
            await db.close()
    summary = ", ".join(f"{table} {count}" for table, count in counts.items())
    print(f"Copied and verified: {summary} rows.")  # noqa: T201
    return EXIT_OK
