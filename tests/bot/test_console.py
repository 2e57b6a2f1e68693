"""``python -m bot console``: the DM conversation in a terminal, driven through stdin."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.console import console, is_timezone
from bot.surfaces.console import render_markdown
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
    assert re.search(r"Logged .*AI-103", output)
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
    text = "**bold** `code` [link](https://x.y)"
    assert render_markdown(text, width=80, colour=False) == "bold code link <https://x.y>"


def test_should_show_bold_as_ansi_only_when_colour_is_wanted():
    assert render_markdown("**bold**", width=80, colour=True) == "\x1b[1mbold\x1b[0m"
    assert "\x1b" not in render_markdown("**bold**", width=80, colour=False)


def test_should_wrap_to_the_width_keeping_list_indents():
    text = "- " + "word " * 30
    lines = render_markdown(text, width=40, colour=False).split("\n")
    assert len(lines) > 1 and all(len(line) <= 40 for line in lines)
    assert all(line.startswith("  ") for line in lines[1:])


def test_colour_follows_no_color_and_the_terminal(monkeypatch):
    import io

    from bot.surfaces.console import wants_colour

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert wants_colour(Tty()) and not wants_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_colour(Tty())


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


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        ("yesterday-ish", "is not an ISO-8601 date-time"),
        ("2026-11-26T12:00:00", "has no UTC offset"),
        ("9999-12-31T23:00:00-05:00", "is out of range (years 1–9999 in UTC)"),
        ("0001-01-01T00:30:00+05:00", "is out of range (years 1–9999 in UTC)"),
    ],
)
def test_should_reject_bad_now_in_one_line(tmp_path, capsys, monkeypatch, now, reason):
    monkeypatch.setattr(sys, "stdin", io.StringIO("is AI-102 retired?\n"))

    status = main(["console", "--now", now, "--database", str(tmp_path / "c.db")])

    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err.startswith(f"error: --now '{now}' {reason}")
    assert err.count("\n") == 1  # one line: no argparse usage block


@pytest.mark.parametrize(
    "now",
    [
        dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC),  # attempts then can't be evaluated
        dt.datetime(1, 1, 1, 12, tzinfo=dt.UTC),  # can't be shown in a western zone
    ],
)
async def test_should_refuse_now_too_close_to_the_ends_of_the_calendar(tmp_path, capsys, now):
    out = io.StringIO()
    status = await console(
        now=now,
        user_id=1,
        database=tmp_path / "console.db",
        data_dir=None,
        stdin=io.StringIO("eligibility\n"),
        stdout=out,
    )

    err = capsys.readouterr().err
    assert (status, out.getvalue()) == (2, "")
    assert err.startswith(f"error: --now {now.isoformat()} is too close to the ends of the")
    # A day either side for any time zone, and the policy's 12-month window after it.
    assert re.search(
        r"use an instant from 0001-01-02T00:00:00\+00:00 to 9998-12-\d\dT23:59:59\+00:00\n$", err
    )
    assert err.count("\n") == 1


def test_should_skip_a_line_that_is_not_utf8_and_read_the_next(tmp_path, capsys, monkeypatch):
    stdin = io.TextIOWrapper(
        io.BytesIO(b"\xef\xbb\xbftimezone Europe/Paris\nfailed \xff AI-103\nIs AI-102 retired?\n"),
        encoding="utf-8",
        errors="strict",  # sys.stdin in a UTF-8 locale
    )
    monkeypatch.setattr(sys, "stdin", stdin)

    status = main(
        ["console", "--now", "2026-11-26T12:00:00Z", "--database", str(tmp_path / "c.db")]
    )

    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    assert "Time zone set to Europe/Paris." in out  # the BOM did not hide the command
    assert "Line 2 is not valid UTF-8 text, so I skipped it." in out
    assert "retired" in out.split("skipped it.")[1].lower()  # and the next line was read


async def test_should_skip_undecodable_bytes_carried_as_surrogates(tmp_path):
    output = await run_console(tmp_path, "\ufeffeligibility\nlog AI-103 fail \udcff\neligibility\n")

    assert output.count("You haven't logged any attempts yet") == 2
    assert "Line 2 is not valid UTF-8 text" in output


async def test_should_refuse_a_time_zone_that_is_not_an_iana_zone(tmp_path):
    output = await run_console(
        tmp_path,
        "timezone America\ntimezone Asia/\ntimezone posixrules\ntimezone Europe/Paris\n",
    )

    for name in ("America", "Asia/", "posixrules"):
        assert f"'{name}' isn't an IANA time zone" in output
    assert "Did you mean America/New_York" in output  # a region alone gets suggestions
    assert "Time zone set to Europe/Paris." in output


async def test_should_answer_in_one_line_when_a_typed_date_leaves_the_calendar(tmp_path):
    output = await run_console(
        tmp_path,
        # Tokyo's year-1 offset (+09:18:59) puts this before the year 1 in UTC.
        "timezone Asia/Tokyo\nlog AI-103 fail 0001-01-01 00:10\n"
        "failed AI-103 on 9999-12-31\nlog AI-103 fail 9999-12-31 23:59\neligibility\n",
    )

    replies = output.split("\n\n")
    assert replies[0] == "Time zone set to Asia/Tokyo."
    assert len(replies[1].splitlines()) == 1  # one line of explanation, then on
    assert "9999-12-31 23:59 (Asia/Tokyo) is in the future" in output
    assert "You haven't logged any attempts yet" in replies[-2]  # nothing was stored


async def test_should_explain_an_overflow_in_one_line_and_go_on(tmp_path, monkeypatch):
    from bot.cli.console import ConsoleSession

    async def overflow(self, code):
        dt.datetime.max.replace(tzinfo=dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=1)))

    monkeypatch.setattr(ConsoleSession, "_eligibility", overflow)

    output = await run_console(tmp_path, "eligibility\ntimezone Europe/Paris\n")

    assert output == (
        "That date is out of range: I can only work with dates in the years 1–9999 in UTC "
        "and in your time zone.\n\nTime zone set to Europe/Paris.\n\n"
    )


async def test_should_go_on_when_a_relative_date_leaves_the_calendar(tmp_path):
    out = io.StringIO()
    status = await console(
        now=dt.datetime(1, 1, 2, tzinfo=dt.UTC),  # the earliest the console accepts
        user_id=1,
        database=tmp_path / "console.db",
        data_dir=None,
        stdin=io.StringIO("timezone Etc/GMT+12\nfailed AI-103 yesterday\neligibility\n"),
        stdout=out,
    )

    assert status == 0
    replies = out.getvalue().split("\n\n")
    # "yesterday" in that zone is the year 0: explained (today by the overflow guard),
    # never a traceback, and the next line is still answered.
    assert replies[0] == "Time zone set to Etc/GMT+12."
    assert "You haven't logged any attempts yet" in replies[-2]


async def test_should_offer_to_log_a_stated_attempt_and_log_it_on_yes(tmp_path):
    output = await run_console(tmp_path, "failed AI-103 yesterday at 14:00\nlist\n")
    assert "Type yes to log it." in output
    assert "You haven't logged any attempts yet" in output  # nothing stored unasked

    output = await run_console(tmp_path, "failed AI-103 yesterday at 14:00\nyes\nlist\n")
    assert "Logged your 1st attempt at AI-103" in output
    assert "1st attempt at AI-103 — fail — Wed 25 Nov 2026, 14:00 UTC" in output


async def test_should_list_edit_delete_export_and_forget_from_the_console(tmp_path):
    output = await run_console(
        tmp_path,
        "log AI-103 fail 2026-11-20\n"
        "list\n"
        "edit 1 time 08:30\n"
        "edit 1 score 2000\n"
        f"export {tmp_path / 'me.json'}\n"
        "remind AI-103 on\n"
        "delete 7\n"
        "forget\n"
        "no\n"
        "list\n"
        "forget\n"
        "yes\n"
        "list\n",
    )
    assert "(time assumed)" in output and "type: edit 1 time HH:MM" in output
    assert "Updated your 1st attempt at AI-103 — fail, taken Fri 20 Nov 2026, 08:30 UTC" in output
    assert "A score is between 1 and 1000; 2000 isn't. Nothing was changed." in output
    exported = (tmp_path / "me.json").read_text(encoding="utf-8")
    assert '"exam_code": "AI-103"' in exported and "08:30" in exported
    assert "Reminders are sent as Discord DMs by the bot" not in output  # nothing to wait for
    assert "Attempt id 7 isn't one of your attempts" in output
    assert "Nothing was erased." in output
    # Listed once before the edit (assumed 23:59), once after "no" kept everything.
    assert "1st attempt at AI-103 — fail — Fri 20 Nov 2026, 23:59 UTC (time assumed)" in output
    assert "1st attempt at AI-103 — fail — Fri 20 Nov 2026, 08:30 UTC" in output
    assert "everything stored about you is erased" in output
    assert output.rstrip().endswith("Add one with log CODE pass|fail YYYY-MM-DD.")
    assert "/attempt" not in output and "`" not in output and "**" not in output


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("Europe/Paris", True),
        ("UTC", True),
        ("America", False),  # a directory of zones: zoneinfo raises IsADirectoryError
        ("Asia/", False),
        ("posixrules", False),
        ("../etc/passwd", False),
        ("Europe/Paris\0", False),
        ("", False),
    ],
)
def test_should_tell_iana_zones_from_other_names(name, known):
    assert is_timezone(name) is known


def test_the_console_imports_no_discord(tmp_path):
    """The console shares the DM core but must run without discord.py loaded."""
    import subprocess
    import sys

    script = (
        "import sys, io, asyncio, datetime as dt, pathlib\n"
        "from bot.cli.console import console\n"
        "out = io.StringIO()\n"
        "asyncio.run(console(now=dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC), user_id=1,"
        f" database=pathlib.Path({str(tmp_path / 'c.db')!r}), data_dir=None,"
        " stdin=io.StringIO('failed AI-103 yesterday\\nyes\\nwhat if I fail again on"
        " 20 December\\nlist\\nexam AI-102\\n'), stdout=out))\n"
        "assert 'Hypothetical' in out.getvalue(), out.getvalue()\n"
        "print(sorted(m for m in sys.modules if m == 'discord' or m.startswith('discord.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
