"""`python -m bot console` — not built yet (owned by another change)."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("console", help="(not built yet)")
    parser.set_defaults(func=_not_built)


def _not_built(args: argparse.Namespace) -> int:
    print("'console' is not built yet.", file=sys.stderr)  # noqa: T201
    return 2
