"""``python -m bot run``: guidance without a token, and the token never shown."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import urllib.parse
from pathlib import Path

import discord
import pytest

import bot.storage.database
import knowledge.loader
from bot.cli import main
from bot.client import ExamBot

REPO = Path(__file__).resolve().parents[2]
FAKE_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.FAKE.do-not-print-this-token-abc123"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working directory (no .env) and settings pointing into it."""
    monkeypatch.chdir(tmp_path)
    for name in ("DISCORD_TOKEN", "DEV_GUILD_ID", "LOG_LEVEL", "DATABASE_URL"):
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
    assert status == 2  # a configuration problem, like a missing token
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


def _not_sqlite(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"my notes, not a database\n" * 100)


def _too_new(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE from_the_future (x INTEGER)")
        conn.execute("PRAGMA user_version = 999")


def _folder_is_a_file(path: Path) -> None:
    path.parent.parent.mkdir(parents=True, exist_ok=True)
    path.parent.write_text("a file where the database folder should be")


@pytest.mark.parametrize(
    ("prepare", "problem", "advice"),
    [
        (_not_sqlite, "the file is not a SQLite database", "move that file away"),
        (_too_new, "newer version of the bot", "upgrade the bot"),
        (_folder_is_a_file, "its folder can't be created", "write to"),
    ],
    ids=["not-sqlite", "too-new", "folder-is-a-file"],
)
def test_should_refuse_an_unusable_database_in_one_line_and_write_nothing(
    env, monkeypatch, capsys, prepare, problem, advice
):
    monkeypatch.setenv("DISCORD_TOKEN", FAKE_TOKEN)
    path = env / "data" / "bot.db"
    prepare(path)
    before = {p: p.read_bytes() for p in env.rglob("*") if p.is_file()}
    started = []

    async def fake_start(self: ExamBot, token: str, **_: object) -> None:
        started.append(True)

    monkeypatch.setattr(ExamBot, "start", fake_start)

    status = main(["run"])

    err = capsys.readouterr().err
    assert status == 1
    assert len(err.strip().splitlines()) == 1, err
    assert f"DATABASE_PATH={path}" in err and problem in err and advice in err
    assert "Traceback" not in err
    assert started == []
    assert {p: p.read_bytes() for p in env.rglob("*") if p.is_file()} == before


def test_should_refuse_a_database_another_process_holds_locked(env, monkeypatch, capsys):
    monkeypatch.setenv("DISCORD_TOKEN", FAKE_TOKEN)
    monkeypatch.setattr(bot.storage.database, "BUSY_TIMEOUT_MS", 50)  # not 5 s in a test
    path = env / "data" / "bot.db"
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        status = main(["run"])
    finally:
        holder.rollback()
        holder.close()

    err = capsys.readouterr().err
    assert status == 1
    assert len(err.strip().splitlines()) == 1, err
    assert f"DATABASE_PATH={path}" in err
    assert "another process holds its write lock" in err and "stop that process" in err


def test_a_fresh_clone_with_the_copied_example_should_ask_for_the_token(env, capsys):
    shutil.copy(REPO / ".env.example", env / ".env")

    status = main(["run"])

    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("No DISCORD_TOKEN is set")  # not "Invalid settings … DEV_GUILD_ID"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_url(user: str | None = None, password: str | None = None, db: str | None = None) -> str:
    """TEST_DATABASE_URL with some of its parts replaced (a wrong password, a missing db)."""
    parts = urllib.parse.urlsplit(os.environ["TEST_DATABASE_URL"])
    user = parts.username if user is None else user
    password = parts.password if password is None else password
    netloc = f"{user}:{password}@{parts.hostname}:{parts.port}"
    path = parts.path if db is None else f"/{db}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, path, "", ""))


BAD_URLS = [
    ("postgresql://bot:hunter2@127.0.0.1:notaport/db", "not a valid URL", False),
    ("mysql://bot:hunter2@127.0.0.1:3306/db", "must start with postgresql://", False),
    ("postgresql://bot:hunter2@127.0.0.1/", "names no database", False),
    ("postgresql://bot:hunter2@127.0.0.1:{port}/db", "can't be reached", False),
    ("WRONG_PASSWORD", "refused the user name or password", True),
    ("MISSING_DB", "database does not exist", True),
]


@pytest.mark.parametrize(
    ("url", "problem", "needs_server"),
    BAD_URLS,
    ids=["malformed", "other-scheme", "no-database", "unreachable", "credentials", "missing-db"],
)
def test_should_refuse_a_bad_database_url_in_one_line_with_the_password_masked(
    env, monkeypatch, capsys, url, problem, needs_server
):
    if needs_server:
        if not os.environ.get("TEST_DATABASE_URL"):
            pytest.skip("needs a PostgreSQL server: TEST_DATABASE_URL is not set")
        if url == "WRONG_PASSWORD":
            url = _pg_url(password="hunter2")
        else:
            url = _pg_url(password=urllib.parse.urlsplit(_pg_url()).password or "", db="nope_db")
    url = url.replace("{port}", str(_free_port()))
    secret = urllib.parse.urlsplit(url).password or "hunter2"
    monkeypatch.setenv("DISCORD_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("DATABASE_URL", url)
    started: list[bool] = []

    async def fake_start(self: ExamBot, token: str, **_: object) -> None:
        started.append(True)

    monkeypatch.setattr(ExamBot, "start", fake_start)

    status = main(["run"])

    err = capsys.readouterr().err
    assert status == 1
    assert len(err.strip().splitlines()) == 1, err
    assert "DATABASE_URL=" in err and problem in err, err
    assert ":***@" in err and secret not in err
    assert "Traceback" not in err
    assert started == []
    assert not (env / "data").exists()  # DATABASE_PATH was not used instead
