"""Teaching end to end through the loopback fake Discord: teach, ask again, restart, ask
again, unteach — the bot unmodified, the store real (SQLite and PostgreSQL in turn)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from bot.client import ExamBot
from bot.config import Settings
from bot.knowledge_state import KnowledgeState
from bot.storage.database import open_database
from tests.conftest import Store
from tests.e2e.conftest import GUILD_READY_TIMEOUT, NOW
from tests.e2e.fake_discord import FakeDiscord
from tests.e2e.test_end_to_end import _slash

GUILD = 77
MODERATOR, MEMBER = 515151, 424242
MANAGE_GUILD = str(1 << 5)
QUESTION = "what is the pearson thingy fee"
# When the restarted bot runs, on its clock. Both runs share the database, identify gate
# included: at the same instant the second one would wait the 5 s between identifies
# (as a process started right after another does), which was most of this test's time.
RESTARTED_AT = NOW + dt.timedelta(minutes=1)


@contextlib.asynccontextmanager
async def _bot(
    store: Store, knowledge: KnowledgeState, now: dt.datetime = NOW
) -> AsyncIterator[ExamBot]:
    """One run of the bot on ``store`` (as ``python -m bot run`` builds it), its clock
    stopped at ``now``."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token="fake-token-never-shown",  # type: ignore[arg-type]
        database_path=store.path,
        database_url=store.url,
        free_text_cooldown_seconds=0,
    )
    db = await open_database(settings)
    bot = ExamBot(settings=settings, db=db, knowledge=knowledge, clock=lambda: now,
                  guild_ready_timeout=GUILD_READY_TIMEOUT)  # fmt: skip
    task = asyncio.create_task(bot.start("fake-token-never-shown"))
    ready = asyncio.create_task(bot.wait_until_ready())
    try:
        await asyncio.wait({task, ready}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
        assert ready.done(), "the bot did not become ready"
        yield bot
    finally:
        ready.cancel()
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 5)
        await db.close()


async def _kb(fake: FakeDiscord, action: str, **values: str) -> str:
    options: list[dict[str, Any]] = [
        {"name": name, "type": 3, "value": value} for name, value in values.items()
    ]
    sent = await _slash(
        fake, "kb", [{"name": action, "type": 1, "options": options}],
        user_id=MODERATOR, guild_id=GUILD, permissions=MANAGE_GUILD,
    )  # fmt: skip
    assert all(s.ephemeral or s.route.startswith("webhook:PATCH") for s in sent)
    return "\n".join(s.text for s in sent)


async def _ask(fake: FakeDiscord, question: str, guild_id: int = GUILD) -> str:
    sent = await _slash(
        fake, "ask", [{"name": "question", "type": 3, "value": question}],
        user_id=MEMBER, guild_id=guild_id,
    )  # fmt: skip
    return sent[-1].text


async def test_teach_ask_restart_ask_unteach_end_to_end(
    fake_discord: FakeDiscord, store: Store, knowledge: KnowledgeState
) -> None:
    vouchers = knowledge.kb.entries["vouchers"].question
    async with _bot(store, knowledge):
        assert vouchers not in await _ask(fake_discord, QUESTION)

        taught = await _kb(fake_discord, "teach", question="pearson thingy fee?", entry="vouchers")
        assert "Taught" in taught

        assert vouchers in await _ask(fake_discord, QUESTION)
        assert vouchers not in await _ask(fake_discord, QUESTION, guild_id=GUILD + 1)

    async with _bot(store, knowledge, RESTARTED_AT):  # a restart: only the database remembers
        assert vouchers in await _ask(fake_discord, QUESTION)
        assert "pearson thingy fee?" in await _kb(fake_discord, "taught")

        untaught = await _kb(fake_discord, "unteach", question="pearson thingy fee?")
        assert "Untaught" in untaught

        assert vouchers not in await _ask(fake_discord, QUESTION)


async def test_a_member_without_manage_server_cannot_teach_end_to_end(
    running_bot: ExamBot, fake_discord: FakeDiscord
) -> None:
    sent = await _slash(
        fake_discord, "kb",
        [{"name": "teach", "type": 1, "options": [
            {"name": "question", "type": 3, "value": "pearson thingy fee?"},
            {"name": "entry", "type": 3, "value": "vouchers"},
        ]}],
        user_id=MEMBER, guild_id=GUILD,
    )  # fmt: skip
    assert sent[-1].ephemeral and "Only moderators" in sent[-1].text
    assert await running_bot.db.taught.list_all() == []
