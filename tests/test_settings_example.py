"""``.env.example`` is the source of truth for settings: a newcomer copies it to ``.env``,
sets a token and the bot loads. These tests keep the file and ``Settings`` in step, for
every field, including the ones added later."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.config import Settings

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / ".env.example"

# ``KEY=value`` or a commented-out ``# KEY=value``: both document the setting.
_KEY_RE = re.compile(r"^\s*(?P<comment>#\s*)?(?P<key>[A-Z][A-Z0-9_]*)\s*=(?P<value>.*)$")


def example_keys() -> dict[str, bool]:
    """Every key in the example, mapped to whether it is active (not commented out)."""
    keys: dict[str, bool] = {}
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = _KEY_RE.match(line)
        if match is not None:
            keys[match["key"]] = keys.get(match["key"], False) or not match["comment"]
    return keys


def env_name(field_name: str) -> str:
    """The variable pydantic-settings reads for a field (case-insensitive, so upper-case)."""
    field = Settings.model_fields[field_name]
    if isinstance(field.validation_alias, str):
        return field.validation_alias.upper()
    return (str(Settings.model_config.get("env_prefix", "")) + field_name).upper()


SETTING_NAMES = sorted(env_name(name) for name in Settings.model_fields)


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory without a ``.env`` and no setting in the environment."""
    monkeypatch.chdir(tmp_path)
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_every_settings_field_should_be_in_the_example_and_every_example_key_a_field():
    keys = set(example_keys())

    assert sorted(set(SETTING_NAMES) - keys) == [], "settings missing from .env.example"
    assert sorted(keys - set(SETTING_NAMES)) == [], ".env.example keys that are no setting"


def test_the_key_parser_should_count_commented_out_keys_as_present():
    assert _KEY_RE.match("# DATABASE_URL=")["key"] == "DATABASE_URL"  # type: ignore[index]
    assert _KEY_RE.match("#KNOWLEDGE_DIR=./kb")["comment"]  # type: ignore[index]
    assert _KEY_RE.match("# Copy to .env and fill in: cp .env.example .env") is None


def test_a_copied_example_with_a_token_should_load(clean_env: Path):
    text = EXAMPLE.read_text(encoding="utf-8")
    assert re.search(r"^DISCORD_TOKEN=$", text, flags=re.MULTILINE), "token ships empty"
    shutil.copy(EXAMPLE, clean_env / ".env")
    with (clean_env / ".env").open("a", encoding="utf-8") as env_file:
        env_file.write("\nDISCORD_TOKEN=fake-token-for-the-test\n")

    settings = Settings()

    assert settings.token == "fake-token-for-the-test"
    assert settings.dev_guild_id is None  # shipped as DEV_GUILD_ID= (empty: no guild)
    assert settings.database_path == Path("data/bot.db")
    assert settings.log_level == "INFO"
    assert settings.free_text_cooldown_seconds == 3


def test_the_copied_example_should_leave_the_token_unset(clean_env: Path):
    shutil.copy(EXAMPLE, clean_env / ".env")

    assert Settings().token is None


@pytest.mark.parametrize(
    ("name", "attribute", "default"),
    [
        ("DEV_GUILD_ID", "dev_guild_id", None),
        ("FREE_TEXT_COOLDOWN_SECONDS", "free_text_cooldown_seconds", 3.0),
        ("DATABASE_PATH", "database_path", Path("data/bot.db")),
        ("DISCORD_TOKEN", "token", None),
    ],
)
def test_an_empty_environment_variable_should_mean_not_set(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, name: str, attribute: str, default: object
):
    monkeypatch.setenv(name, "")

    assert getattr(Settings(), attribute) == default


def test_a_set_dev_guild_id_should_still_be_read(clean_env: Path, monkeypatch):
    monkeypatch.setenv("DEV_GUILD_ID", "123456789012345678")

    assert Settings().dev_guild_id == 123456789012345678
