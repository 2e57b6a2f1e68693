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
