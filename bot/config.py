"""Settings from the environment or ``.env``, built in ``main()`` and never at import time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Every field is documented in ``.env.example`` (a test keeps the two in step).

    ``env_ignore_empty``: an empty value (``DEV_GUILD_ID=`` as the example ships it, or an
    exported empty variable) means "not set" and falls back to the default, so a freshly
    copied ``.env.example`` loads instead of failing on ``""`` not being an integer.
    """

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    # Optional here so that a missing token produces guidance, not a validation traceback.
    discord_token: SecretStr | None = None
    database_path: Path = Path("data/bot.db")
    # postgresql://user:password@host:port/db: PostgreSQL instead of the SQLite file (wins
    # over DATABASE_PATH). Secret: it carries the password, which logs must never show.
    database_url: SecretStr | None = None
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    # Questions per member (DMs, @mentions, /ask, "Ask the exam bot"): one every N seconds.
    free_text_cooldown_seconds: float = Field(default=3.0, ge=0)
    # The knowledge directory (policy.toml, exams.toml, faq/, optional matcher/); None =
    # the packaged one. Read by run, console, ask, eligibility and kb check (--data-dir wins).
    knowledge_dir: Path | None = None
    # Sharding (README "Scaling out"): both unset = discord.py's automatic sharding in one
    # process; else this process runs DISCORD_SHARD_IDS (comma-separated; all shards when
    # unset) of DISCORD_SHARD_COUNT. Checked by sharding_problem() before connecting.
    discord_shard_count: int | None = None
    discord_shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = None
    # How often each process checks whether /kb reload ran in another one (seconds).
    knowledge_poll_seconds: float = Field(default=30.0, gt=0)

    @field_validator("discord_shard_ids", mode="before")
    @classmethod
    def _split_shard_ids(cls, value: Any) -> Any:
        """``"0, 2,4"`` -> ``(0, 2, 4)`` (the environment gives text, not JSON)."""
        if isinstance(value, str):
            items = [item.strip() for item in value.split(",")]
            return tuple(items) if any(items) else None
        return value

    def sharding_problem(self) -> str | None:
        """One line naming the setting when the shard settings can't work, else ``None``."""
        count, ids = self.discord_shard_count, self.discord_shard_ids
        if count is not None and count < 1:
            return f"DISCORD_SHARD_COUNT={count}: a shard count must be 1 or more."
        if ids is None:
            return None
        shown = ",".join(str(i) for i in ids)
        if count is None:
            return (
                f"DISCORD_SHARD_IDS={shown} is set without DISCORD_SHARD_COUNT: "
                "set the total number of shards too."
            )
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            named = ", ".join(str(i) for i in duplicates)
            return f"DISCORD_SHARD_IDS={shown} names shard {named} more than once."
        outside = [i for i in ids if not 0 <= i < count]
        if outside:
            return (
                f"DISCORD_SHARD_IDS={shown} names shard {outside[0]}, but with "
                f"DISCORD_SHARD_COUNT={count} the shards are 0 to {count - 1}."
            )
        return None

    @property
    def token(self) -> str | None:
        """The token, or ``None`` when unset or blank."""
        if self.discord_token is None:
            return None
        value = self.discord_token.get_secret_value().strip()
        return value or None


def knowledge_dir(explicit: Path | None = None) -> Path | None:
    """The knowledge directory to load: ``explicit`` (``--data-dir``), else the
    ``KNOWLEDGE_DIR`` setting, else None (the packaged knowledge)."""
    if explicit is not None:
        return explicit
    return Settings().knowledge_dir
