"""Settings from the environment or ``.env``, built in ``main()`` and never at import time."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
