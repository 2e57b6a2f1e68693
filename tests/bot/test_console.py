"""``python -m bot console``: the DM conversation in a terminal, driven through stdin."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from bot.cli.console import console, plain
from tests.bot.conftest import NOW

REPO = Path(__file__).resolve().parents[2]


async def run_console(tmp_path: Path, text: str, *, user_id: int = 1) -> str:
    out = io.StringIO()
    status = await console(
        now=NOW,
        user_id=user_id,
        database=tmp_path / "console.db",
        data_dir=None,
        stdin=io.StringIO(text),
        stdout=out,
    )
    assert status == 0
    return out.getvalue()


async def test_should_answer_questions_in_plain_text_when_stdin_is_piped(tmp_path):
    output = await run_console(tmp_path, "how long do I wait after failing the first time\n")

    assert "== How long do I have to wait" in output
    assert "24 hours" in output
    assert "**" not in output
    assert "Sources:" in output and "verified" in output
    assert "Related:" in output
    assert "you>" not in output  # no prompt when not interactive


async def test_should_open_numbered_topic_when_member_types_its_number(tmp_path):
    output = await run_console(tmp_path, "how long do I wait after failing the first time\n1\n")

    assert "== How long is the wait after a second or later failed attempt?" in output


async def test_should_log_attempt_and_show_eligibility_in_local_time(tmp_path):
    output = await run_console(
        tmp_path,
        "timezone Europe/Paris\nlog AI-103 fail 2026-11-26 09:00\neligibility\n"
        "when can I retake?\n",
    )

    assert "Time zone set to Europe/Paris" in output
    assert "Logged AI-103" in output
    assert "CET" in output
    assert "<t:" not in output
    assert output.count("AI-103 — Developing AI Apps") >= 2
    assert "== Your retake eligibility ==" in output


async def test_should_keep_the_log_between_sessions_when_database_is_reused(tmp_path):
    await run_console(tmp_path, "log AI-103 fail 2026-11-20\n")

    output = await run_console(tmp_path, "eligibility\n")

    assert "AI-103" in output and "haven't logged" not in output


async def test_should_explain_usage_when_log_command_is_wrong(tmp_path):
    output = await run_console(tmp_path, "log AI-103\nlog AI-103 maybe 2026-11-20\neligibility\n")

    assert "Usage: log CODE" in output
    assert "pass` or `fail" in output or "pass or fail" in output
    assert "haven't logged any attempts" in output


async def test_should_stop_reading_when_member_types_quit(tmp_path):
    output = await run_console(tmp_path, "quit\nhow long do I wait after failing\n")

    assert output == ""


async def test_should_record_unanswered_and_handle_bad_input_when_out_of_scope(tmp_path):
    output = await run_console(tmp_path, "what is the capital of france\n?!\n")

    assert "I don't have an answer for that" in output
    assert "I need a question in words" in output


def test_should_strip_markdown_when_rendering_plain_text():
    assert plain("**bold** `code` [link](https://x.y)") == "bold code link <https://x.y>"


def test_should_answer_piped_questions_when_run_as_a_program(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "console",
            "--now",
            "2026-11-26T12:00:00Z",
            "--database",
            str(tmp_path / "c.db"),
            "--user-id",
            "7",
        ],
        input="Is AI-102 retired?\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "retired" in result.stdout.lower()
    assert "Traceback" not in result.stderr


def test_should_reject_malformed_now_with_usage_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--now", "yesterday-ish"],
        input="",
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert "ISO-8601" in result.stderr
    assert "Traceback" not in result.stderr


async def test_should_suggest_log_command_when_member_states_an_attempt(tmp_path):
    output = await run_console(tmp_path, "failed AI-103 yesterday at 14:00\n")

    assert "type: log AI-103 fail 2026-11-25 14:00" in output
