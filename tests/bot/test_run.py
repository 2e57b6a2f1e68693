"""``python -m bot run``: guidance without a token, and the token never shown."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import discord
import pytest

import knowledge.loader
from bot.cli import main
from bot.client import ExamBot

REPO = Path(__file__).resolve().parents[2]
FAKE_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.FAKE.do-not-print-this-token-abc123"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working directory (no .env) and settings pointing into it."""
    monkeypatch.chdir(tmp_path)
    for name in ("DISCORD_TOKEN", "DEV_GUILD_ID", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "data" / "bot.db"))
    # Don't let the real setup_logging add handlers to the test process's root logger.
    monkeypatch.setattr(discord.utils, "setup_logging", lambda **_: None)
    return tmp_path


def test_should_print_setup_steps_and_exit_2_when_no_token(env, capsys):
    status = main(["run"])

    err = capsys.readouterr().err
    assert status == 2
    assert "https://discord.com/developers/applications" in err
    assert "Reset Token" in err
    assert "DISCORD_TOKEN=" in err
    assert ".env.example" in err
    assert "bot applications.commands" in err
    assert "make console" in err
    assert "Traceback" not in err


def test_should_exit_2_without_traceback_when_run_as_a_program(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env["DISCORD_TOKEN"] = ""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert "discord.com/developers/applications" in result.stderr
    assert "Traceback" not in result.stderr


def test_should_never_show_token_when_login_fails(env, monkeypatch, capsys, caplog):
    monkeypatch.setenv("DISCORD_TOKEN", FAKE_TOKEN)

    async def refuse(self: ExamBot, token: str, **_: object) -> None:
        assert token == FAKE_TOKEN
        raise discord.LoginFailure("Improper token has been passed.")

    monkeypatch.setattr(ExamBot, "start", refuse)
    caplog.set_level(logging.DEBUG)

    status = main(["run"])

    captured = capsys.readouterr()
    assert status == 1
    assert "login failed" in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    for text in (captured.out, captured.err, caplog.text):
        assert FAKE_TOKEN not in text
        assert "do-not-print" not in text
    assert "Traceback" not in captured.err


def test_should_force_global_sync_when_sync_flag_is_given(env, monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", FAKE_TOKEN)
    seen: dict[str, object] = {}

    async def fake_start(self: ExamBot, token: str, **_: object) -> None:
        seen["force_sync"] = self.force_sync
        seen["db_open"] = self.db is not None

    monkeypatch.setattr(ExamBot, "start", fake_start)

    assert main(["run", "--sync"]) == 0
    assert seen == {"force_sync": True, "db_open": True}
    assert (env / "data" / "bot.db").exists()


def test_should_start_nothing_and_exit_1_when_knowledge_is_invalid(
    env, monkeypatch, capsys, tmp_path
):
    monkeypatch.setenv("DISCORD_TOKEN", FAKE_TOKEN)
    broken = tmp_path / "kb"
    shutil.copytree(knowledge.loader.DATA_DIR, broken)
    (broken / "exams.toml").write_text("[[exam]]\ncode = 'not a code'\n")
    monkeypatch.setattr(knowledge.loader, "DATA_DIR", broken)
    started = []

    async def fake_start(self: ExamBot, token: str, **_: object) -> None:
        started.append(True)

    monkeypatch.setattr(ExamBot, "start", fake_start)

    status = main(["run"])

    err = capsys.readouterr().err
    assert status == 1
    assert "exams.toml" in err
    assert started == []
    assert not (env / "data" / "bot.db").exists()
