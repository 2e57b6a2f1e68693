"""Placeholder: this feature is being built in another change."""

from __future__ import annotations

from bot.client import ExamBot


async def setup(bot: ExamBot) -> None:
    """Nothing to register yet."""
