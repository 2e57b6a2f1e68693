"""The command line: ``python -m bot {ask,kb,eligibility,run,console,db} …``.

Each sub-command lives in its own module with a ``register(subparsers)`` function and
imports its heavy dependencies lazily, so ``ask`` and ``eligibility`` start fast and
never load discord.py.

Input is read the same way by every command that reads stdin (:class:`InputLines`,
:func:`read_input_text`): as bytes, decoded here, so a line that is not UTF-8 is
reported by number instead of ending the program, and a UTF-8 byte-order mark is
accepted. A reader that stops early (``… | head``) ends any command quietly.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

# Exit status for bad input (argparse uses it too): one clear line, never a traceback.
EXIT_USAGE = 2

COMMAND_MODULES = (
    "bot.cli.ask",
    "bot.cli.kb",
    "bot.cli.eligibility",
    "bot.cli.run",
    "bot.cli.console",
    "bot.cli.db",
)

_BOM = "\ufeff"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; ``only`` (a command name): that command alone, so
    ``python -m bot ask …`` does not import the other commands' modules (asyncio …)."""
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Exam-policy assistant for Discord study groups."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        if only is None or name == f"{__name__}.{only}":
            importlib.import_module(name).register(subparsers)
    return parser


def _command(argv: Sequence[str] | None) -> str | None:
    """The command named first on the command line, if it is one (else None: the full
    parser, for ``--help`` and usage errors)."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words and f"{__name__}.{words[0]}" in COMMAND_MODULES:
        return words[0]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(_command(argv))
    try:
        try:
            args = parser.parse_args(argv)  # --help prints here, then exits
            status = int(args.func(args))
        finally:
            # Flush here, not at interpreter exit, so a reader that left is noticed below.
            if sys.stdout is not None:
                sys.stdout.flush()
    except BrokenPipeError:
        # Output piped into something that stopped reading early (``… | head``): that
        # reader has all it wanted, so this is not an error.
        silence_stdout()
        return 0
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)  # noqa: T201
        return 130
    return status


def silence_stdout() -> None:
    """The reader of our stdout went away: point stdout at /dev/null so the
    interpreter's final flush does not raise a second BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real descriptor (captured in tests)
        pass


def is_utf8(text: str) -> bool:
    """Whether ``text`` came from valid UTF-8: a stream or argument decoded with
    ``surrogateescape`` carries each undecodable byte as a lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class InputLine:
    """One line of input: its number (from 1) and its text without the line ending,
    or ``None`` for a line that is not valid UTF-8."""

    number: int
    text: str | None


class InputLines:
    """The lines of ``stream``, each decoded on its own.

    Reads the binary buffer underneath when there is one, so a line that is not UTF-8
    does not end the program however the stream was opened (``sys.stdin`` is strict in
    a UTF-8 locale); a text-only stream (``io.StringIO`` in tests, or ``sys.stdin``
    replaced by one) is checked for the lone surrogates ``surrogateescape`` leaves.
    A UTF-8 BOM before the first line is dropped. ``stream`` may be ``None`` (Python
    sets ``sys.stdin`` to it when file descriptor 0 is closed): then there are no lines.
    """

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self._buffer = getattr(stream, "buffer", None)
        self._number = 0

    def readline(self) -> InputLine | None:
        """The next line, or ``None`` at the end of the input."""
        if self._stream is None:
            return None
        raw: bytes | str = (
            self._buffer.readline() if self._buffer is not None else self._stream.readline()
        )
        if not raw:
            return None
        self._number += 1
        text: str | None
        if isinstance(raw, bytes):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        else:
            text = raw if is_utf8(raw) else None
        if text is not None:
            if self._number == 1:
                text = text.removeprefix(_BOM)
            text = text.rstrip("\r\n")
        return InputLine(self._number, text)

    def __iter__(self) -> InputLines:
        return self

    def __next__(self) -> InputLine:
        line = self.readline()
        if line is None:
            raise StopIteration
        return line


def read_input_text(stream: TextIO | None) -> str:
    """All of ``stream`` as text, a leading UTF-8 BOM dropped. Otherwise ``ValueError``
    whose message completes a sentence about the stream: "is not UTF-8 text …"."""
    if stream is None:
        raise ValueError("is closed")
    buffer = getattr(stream, "buffer", None)
    try:
        raw: bytes | str = buffer.read() if buffer is not None else stream.read()
    except OSError as exc:
        raise ValueError(f"could not be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:  # a strict text stream without a buffer
        raise ValueError(f"is not UTF-8 text (invalid byte at offset {exc.start})") from None
    if isinstance(raw, bytes):
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError(f"is not UTF-8 text (invalid byte at offset {exc.start})") from None
    if not is_utf8(raw):
        raise ValueError("is not UTF-8 text")
    return raw.removeprefix(_BOM)
