"""``python -m bot eligibility``: JSON shape, text output, and one-line errors (exit 2)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]
KEYS = [
    "status",
    "earliest",
    "attempts_in_window",
    "window_start",
    "window_ends",
    "retires_at",
    "rule",
    "explanation",
]
ZULU = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
NOW = "2026-11-26T12:00:00Z"


def run_cli(capsys, monkeypatch, args: list[str], stdin: str | None = None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["eligibility", *args])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, payload: object) -> str:
    path = tmp_path / "attempts.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload), "utf-8")
    return str(path)


def test_json_shape_and_zulu_datetimes(capsys, monkeypatch, tmp_path) -> None:
    attempts = write(tmp_path, [{"taken_at": "2026-11-25T17:30:01+05:30", "result": "fail"}])
    code, out, err = run_cli(
        capsys, monkeypatch, ["--exam", "AI-103", "--now", NOW, "--attempts", attempts, "--json"]
    )
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert list(document) == KEYS
    assert document["status"] == "waiting"
    assert document["earliest"] == "2026-11-26T12:00:01Z"
    assert document["window_start"] == "2026-11-25T12:00:01Z"
    assert document["window_ends"] == "2027-11-25T12:00:01Z"
    assert document["attempts_in_window"] == 1
    assert document["rule"] == "first-failure-wait"
    assert document["retires_at"] is None
    for key in ("earliest", "window_start", "window_ends"):
        assert ZULU.match(document[key])


def test_exactly_at_the_end_of_the_wait_is_eligible(capsys, monkeypatch) -> None:
    stdin = json.dumps([{"taken_at": "2026-11-25T12:00:00Z", "result": "fail"}])
    code, out, _ = run_cli(
        capsys, monkeypatch, ["--exam", "ai103", "--now", NOW, "--attempts", "-", "--json"], stdin
    )
    assert code == 0
    assert json.loads(out)["status"] == "eligible"


def test_retirement_comes_from_the_catalog(capsys, monkeypatch) -> None:
    code, out, _ = run_cli(capsys, monkeypatch, ["--exam", "ai102", "--now", NOW, "--json"])
    assert code == 0
    document = json.loads(out)
    assert document["status"] == "retired"
    assert document["earliest"] is None
    assert ZULU.match(document["retires_at"])


def test_no_attempts_and_uncatalogued_code(capsys, monkeypatch) -> None:
    code, out, _ = run_cli(capsys, monkeypatch, ["--exam", "zq 999", "--now", NOW, "--json"])
    assert code == 0
    document = json.loads(out)
    assert document["status"] == "eligible"
    assert document["rule"] == "no-attempts"
    assert document["window_start"] is None
    assert document["attempts_in_window"] == 0


def test_text_output(capsys, monkeypatch, tmp_path) -> None:
    attempts = write(
        tmp_path,
        [
            {"taken_at": "2026-10-01T09:00:00-08:00", "result": "FAIL"},
            {"taken_at": "2026-11-20T09:00:00-08:00", "result": "fail"},
        ],
    )
    code, out, err = run_cli(
        capsys, monkeypatch, ["--exam", "AI-103", "--now", NOW, "--attempts", attempts]
    )
    assert (code, err) == (0, "")
    assert out.startswith("AI-103: waiting")
    assert "2026-12-04T17:00:00Z" in out
    assert "2 of 5 attempts used" in out
    assert "later-failure-wait" in out


def test_passed(capsys, monkeypatch) -> None:
    stdin = json.dumps([{"taken_at": "2026-11-01T10:00:00Z", "result": "pass"}])
    code, out, _ = run_cli(
        capsys, monkeypatch, ["--exam", "AI-103", "--now", NOW, "--attempts", "-", "--json"], stdin
    )
    assert code == 0
    document = json.loads(out)
    assert document["status"] == "passed"
    assert "expired" in document["explanation"]


def test_default_now_is_the_current_time(capsys, monkeypatch) -> None:
    code, out, _ = run_cli(capsys, monkeypatch, ["--exam", "AI-103", "--json"])
    assert code == 0
    assert json.loads(out)["status"] == "eligible"


ATTEMPT = {"taken_at": "2026-11-01T10:00:00Z", "result": "fail"}
BAD_STDIN = {
    "malformed-json": ("[{", "not valid JSON"),
    "empty-input": ("", "not valid JSON"),
    "not-a-list": (json.dumps({"attempts": []}), "JSON list"),
    "item-not-object": (json.dumps(["2026-11-01T10:00:00Z"]), "expected an object"),
    "missing-taken-at": (json.dumps([{"result": "fail"}]), "missing 'taken_at'"),
    "missing-result": (json.dumps([{"taken_at": "2026-11-01T10:00:00Z"}]), "missing 'result'"),
    "missing-both": (json.dumps([{}]), "missing 'taken_at' and 'result'"),
    "naive-timestamp": (
        json.dumps([{"taken_at": "2026-11-01T10:00:00", "result": "fail"}]),
        "no UTC offset",
    ),
    "not-a-timestamp": (
        json.dumps([{"taken_at": "last tuesday", "result": "fail"}]),
        "not an ISO-8601",
    ),
    "timestamp-not-string": (json.dumps([{"taken_at": 1700000000, "result": "fail"}]), "string"),
    "unknown-result": (
        json.dumps([{"taken_at": "2026-11-01T10:00:00Z", "result": "maybe"}]),
        '"pass" or "fail"',
    ),
    "result-not-string": (
        json.dumps([{"taken_at": "2026-11-01T10:00:00Z", "result": True}]),
        '"pass" or "fail"',
    ),
    "attempt-after-now": (
        json.dumps([ATTEMPT, {"taken_at": "2026-11-26T12:00:01Z", "result": "fail"}]),
        "attempt #2",
    ),
    "multi-line-value-stays-one-line": (
        json.dumps([{"taken_at": "2026-11-01\nT10:00", "result": "fail"}]),
        "not an ISO-8601",
    ),
    # Instants that parse but have no UTC equivalent: named, never a traceback.
    "taken-at-past-year-9999-in-utc": (
        json.dumps([ATTEMPT, {"taken_at": "9999-12-31T23:00:00-05:00", "result": "fail"}]),
        "attempt #2: \"taken_at\" '9999-12-31T23:00:00-05:00' is out of range "
        "(years 1–9999 in UTC)",
    ),
    "taken-at-before-year-1-in-utc": (
        json.dumps([{"taken_at": "0001-01-01T00:30:00+05:00", "result": "fail"}]),
        "attempt #1: \"taken_at\" '0001-01-01T00:30:00+05:00' is out of range",
    ),
    "infinite-number": ('[{"taken_at": 1e999, "result": "fail"}]', "must be an ISO-8601 string"),
    "infinite-result": (
        '[{"taken_at": "2026-11-01T10:00:00Z", "result": -1e999}]',
        '"result" must be "pass" or "fail", not -Infinity',
    ),
    "integer-too-long-to-convert": (
        '[{"taken_at": ' + "9" * 5000 + ', "result": "fail"}]',
        "stdin holds a number too long to read (over 4300 digits)",
    ),
    "lone-surrogate-from-undecodable-byte": (
        '[{"taken_at": "2026-11-01T10:00:00Z", "result": "fail", "note": "\udcff"}]',
        "stdin is not UTF-8 text",
    ),
}


@pytest.mark.parametrize(("stdin", "fragment"), BAD_STDIN.values(), ids=BAD_STDIN.keys())
def test_bad_attempts_exit_2_with_one_line(capsys, monkeypatch, stdin, fragment) -> None:
    code, out, err = run_cli(
        capsys, monkeypatch, ["--exam", "AI-103", "--now", NOW, "--attempts", "-"], stdin
    )
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n")
    assert fragment in err
    assert "Traceback" not in err


BAD_ARGS = {
    "malformed-code": (["--exam", "AI-10"], "not an exam code"),
    "code-with-letters-only": (["--exam", "azure"], "not an exam code"),
    "missing-exam": ([], "--exam"),
    "bad-now": (["--exam", "AI-103", "--now", "tomorrow"], "--now"),
    "naive-now": (["--exam", "AI-103", "--now", "2026-11-26T10:00:00"], "no UTC offset"),
    "date-only-now": (["--exam", "AI-103", "--now", "2026-11-26"], "no UTC offset"),
    "missing-file": (["--exam", "AI-103", "--attempts", "/nonexistent/attempts.json"], "exist"),
    "directory": (["--exam", "AI-103", "--attempts", "/"], "directory"),
    "now-past-year-9999-in-utc": (
        ["--exam", "AI-103", "--now", "9999-12-31T23:00:00-05:00"],
        "--now '9999-12-31T23:00:00-05:00' is out of range (years 1–9999 in UTC)",
    ),
    "now-before-year-1-in-utc": (
        ["--exam", "AI-103", "--now", "0001-01-01T00:30:00+05:00"],
        "--now '0001-01-01T00:30:00+05:00' is out of range (years 1–9999 in UTC)",
    ),
}


@pytest.mark.parametrize(("args", "fragment"), BAD_ARGS.values(), ids=BAD_ARGS.keys())
def test_bad_arguments_exit_2_with_one_line(capsys, monkeypatch, args, fragment) -> None:
    code, out, err = run_cli(capsys, monkeypatch, args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert fragment in err
    assert "Traceback" not in err


def test_far_future_attempt_overflow_is_reported(capsys, monkeypatch) -> None:
    stdin = json.dumps([{"taken_at": "9999-12-31T00:00:00Z", "result": "fail"}])
    code, _, err = run_cli(
        capsys,
        monkeypatch,
        ["--exam", "AI-103", "--now", "9999-12-31T23:00:00Z", "--attempts", "-"],
        stdin,
    )
    assert code == 2
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_attempt_whose_window_would_end_after_year_9999_is_named(capsys, monkeypatch) -> None:
    stdin = json.dumps(
        [
            {"taken_at": "2026-11-01T10:00:00Z", "result": "fail"},
            {"taken_at": "9999-06-30T19:00:00-04:00", "result": "fail"},
        ]
    )
    code, out, err = run_cli(
        capsys,
        monkeypatch,
        ["--exam", "AI-103", "--now", "9999-12-31T23:00:00Z", "--attempts", "-"],
        stdin,
    )
    assert (code, out) == (2, "")
    assert err == (
        'error: stdin, attempt #2: "taken_at" 9999-06-30T23:00:00Z is too late: the '
        "policy's 12-month attempt window from it would end after the year 9999\n"
    )


def test_attempt_whose_window_ends_on_the_last_day_is_evaluated(capsys, monkeypatch) -> None:
    stdin = json.dumps([{"taken_at": "9998-12-31T23:59:59Z", "result": "fail"}])
    code, out, err = run_cli(
        capsys,
        monkeypatch,
        ["--exam", "AI-103", "--now", "9999-12-31T23:59:59Z", "--attempts", "-", "--json"],
        stdin,
    )
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["status"] == "eligible"
    assert document["window_start"] is None  # the window ended at the calendar's last second


def strict_stdin(data: bytes) -> io.TextIOWrapper:
    """What sys.stdin is in a UTF-8 locale: a strict text layer over a byte buffer."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="strict")


def test_utf8_bom_is_accepted_on_stdin_and_in_files(capsys, monkeypatch, tmp_path) -> None:
    document = json.dumps([{"taken_at": "2026-11-25T12:00:00Z", "result": "fail"}])
    path = tmp_path / "attempts.json"
    path.write_bytes(b"\xef\xbb\xbf" + document.encode())
    args = ["--exam", "AI-103", "--now", NOW, "--json", "--attempts"]

    from_file = run_cli(capsys, monkeypatch, [*args, str(path)])
    from_text = run_cli(capsys, monkeypatch, [*args, "-"], "\ufeff" + document)
    monkeypatch.setattr(sys, "stdin", strict_stdin(b"\xef\xbb\xbf" + document.encode()))
    from_bytes = run_cli(capsys, monkeypatch, [*args, "-"])

    for code, out, err in (from_file, from_text, from_bytes):
        assert (code, err) == (0, "")
        assert json.loads(out)["status"] == "eligible"


def test_invalid_utf8_on_strict_stdin(capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", strict_stdin(b'[{"taken_at": "\xff"}]'))
    code, out, err = run_cli(capsys, monkeypatch, ["--exam", "AI-103", "--attempts", "-"])
    assert (code, out) == (2, "")
    assert err == "error: stdin is not UTF-8 text (invalid byte at offset 15)\n"


def test_closed_stdin(capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)  # what Python sets when descriptor 0 is closed
    code, _, err = run_cli(capsys, monkeypatch, ["--exam", "AI-103", "--attempts", "-"])
    assert (code, err) == (2, "error: stdin is closed\n")


def test_invalid_utf8_file(capsys, monkeypatch, tmp_path) -> None:
    path = tmp_path / "attempts.json"
    path.write_bytes(b"\xff\xfe[")
    code, _, err = run_cli(capsys, monkeypatch, ["--exam", "AI-103", "--attempts", str(path)])
    assert code == 2
    assert err.count("\n") == 1


def test_real_subprocess(tmp_path) -> None:
    attempts = write(tmp_path, [{"taken_at": "2026-11-25T12:00:00Z", "result": "fail"}])
    command = [sys.executable, "-m", "bot", "eligibility", "--exam", "AI-103"]
    ok = subprocess.run(
        [*command, "--now", NOW, "--attempts", attempts, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["status"] == "eligible"
    bad = subprocess.run(
        [*command, "--attempts", "-"],
        cwd=ROOT,
        input="{not json",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    # Start-up stays light: the eligibility path never imports discord.
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from bot.cli import main; "
            f"main(['eligibility', '--exam', 'AI-103', '--now', '{NOW}', '--json']); "
            "print('discord' in sys.modules)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert probe.stdout.strip().endswith("False"), probe.stdout + probe.stderr
