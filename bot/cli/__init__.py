"""The command line: ``python -m bot {ask,kb,eligibility,run,console} …``.

Each sub-command lives in its own module with a ``register(subparsers)`` function and
imports its heavy dependencies lazily, so ``ask`` and ``eligibility`` start fast and
never load discord.py.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Exit status for bad input (argparse uses it too): one clear line, never a traceback.
EXIT_USAGE = 2

COMMAND_MODULES = (
    "bot.cli.ask",
    "bot.cli.kb",
    "bot.cli.eligibility",
    "bot.cli.run",
    "bot.cli.console",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Exam-policy assistant for Discord study groups."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)  # noqa: T201
        return 130
