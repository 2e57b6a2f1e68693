"""``bot.cli.main``: every command ends quietly when its reader goes away (``… | head``)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import InputLines, main, read_input_text

ROOT = Path(__file__).resolve().parents[1]


class ClosedPipe(io.TextIOBase):
    """A stdout whose reader has left: every write fails as a real pipe's would."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        raise io.UnsupportedOperation("no descriptor")


class BufferedClosedPipe(ClosedPipe):
    """The same behind a buffer: writes succeed, and the flush fails."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize(
    "argv",
    [
        ["kb", "dump", "--json"],
        ["kb", "check"],
        ["eligibility", "--exam", "AI-103", "--now", "2026-11-26T12:00:00Z"],
        ["eligibility", "--exam", "AI-103", "--json"],
        ["ask", "--json", "resit cost"],
        ["ask", "-"],
        ["console", "--now", "2026-11-26T12:00:00Z"],
    ],
)
@pytest.mark.parametrize("pipe", [ClosedPipe, BufferedClosedPipe])
def test_every_command_ends_quietly_on_a_closed_pipe(argv, pipe, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)  # the console's default database lands here
    monkeypatch.setattr(sys, "stdin", io.StringIO("resit cost\npass mark\n"))
    monkeypatch.setattr(sys, "stdout", pipe())

    assert main(argv) == 0
    assert capsys.readouterr().err == ""


def test_help_ends_quietly_on_a_closed_pipe(monkeypatch):
    # argparse ignores a failed write itself; the flush at the end is what fails.
    monkeypatch.setattr(sys, "stdout", BufferedClosedPipe())

    assert main(["--help"]) == 0


def test_kb_dump_piped_into_head_exits_cleanly():
    """`python -m bot kb dump --json | head -1`: the real process, a real pipe."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "kb", "dump", "--json"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # the dump is far larger than a pipe's buffer: writes now fail
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)

    assert first == b"{\n"
    assert err == ""  # no BrokenPipeError, no "Exception ignored"
    assert proc.returncode == 0


def test_input_lines_decode_each_line_on_its_own():
    stream = io.TextIOWrapper(io.BytesIO(b"\xef\xbb\xbfone\r\n\xfftwo\nthree"), encoding="utf-8")

    lines = [(line.number, line.text) for line in InputLines(stream)]

    assert lines == [(1, "one"), (2, None), (3, "three")]
    assert list(InputLines(None)) == []
    assert [line.text for line in InputLines(io.StringIO("\ufeffa\n\ufeffb\n"))] == [
        "a",
        "\ufeffb",  # only a mark before the first line is a BOM
    ]


def test_read_input_text_accepts_a_bom_and_names_the_bad_byte():
    def stream(data: bytes) -> io.TextIOWrapper:
        return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")

    assert read_input_text(stream(b"\xef\xbb\xbf[]")) == "[]"
    assert read_input_text(io.StringIO("\ufeff[]")) == "[]"
    for bad, reason in [
        (stream(b"[\xff]"), "is not UTF-8 text (invalid byte at offset 1)"),
        (io.StringIO("[\udcff]"), "is not UTF-8 text"),
        (None, "is closed"),
    ]:
        with pytest.raises(ValueError) as caught:
            read_input_text(bad)
        assert str(caught.value) == reason
