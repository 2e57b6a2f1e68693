"""The Discord client: composition of settings, storage and knowledge, plus sync policy."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import discord
from discord.ext import commands

from bot.config import Settings
from bot.conversation_memory import RecentExams
from bot.cooldown import MemberCooldown
from bot.errors import ExamCommandTree
from bot.knowledge_state import KnowledgeState
from bot.storage import Database

log = logging.getLogger(__name__)

# One extension per feature, loaded in this order by setup_hook.
EXTENSIONS: tuple[str, ...] = (
    "bot.cogs.ask",
    "bot.cogs.catalog",
    "bot.cogs.help",
    "bot.cogs.moderation",
    "bot.cogs.conversation",
    "bot.cogs.attempts",
    "bot.cogs.eligibility",
    "bot.cogs.reminders",
    "bot.cogs.settings",
    "bot.cogs.mydata",
)

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ExamBot(commands.Bot):
    """The bot. Cogs reach storage, knowledge and the clock through it, never globals."""

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        knowledge: KnowledgeState,
        clock: Clock = utc_now,
        force_sync: bool = False,
        extensions: Sequence[str] = EXTENSIONS,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            # Default intents suffice: DMs and mentions carry their content without the
            # privileged message_content intent.
            intents=discord.Intents.default(),
            # User text can never ping anyone unless a message opts in explicitly.
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=ExamCommandTree,
            # How long READY waits for late GUILD_CREATEs (discord.py's default, 2 s);
            # the end-to-end tests, whose fake Discord has no guilds, pass a tiny one.
            guild_ready_timeout=guild_ready_timeout,
        )
        self.settings = settings
        self.db = db
        self.knowledge = knowledge
        self.clock = clock
        self.force_sync = force_sync
        self.extension_names = tuple(extensions)
        # One question per member per window, shared by /ask, the menu, DMs and mentions.
        self.cooldown = MemberCooldown(lambda: self.settings.free_text_cooldown_seconds, self.now)
        # The exam each member was just talking about ("it", "again"), for 30 minutes.
        self.memory = RecentExams()

    def now(self) -> dt.datetime:
        """The current instant, aware UTC; injectable so tests control "today"."""
        return self.clock()

    def reload_knowledge(self, data_dir: Path | None = None) -> KnowledgeState:
        """Load the knowledge files again; on ``KnowledgeError`` the old ones stay in use."""
        fresh = KnowledgeState.load(data_dir)
        self.knowledge = fresh
        return fresh

    async def setup_hook(self) -> None:
        for name in self.extension_names:
            await self.load_extension(name)
        await self.sync_commands()

    def command_fingerprint(self) -> str:
        """A hash of the command set, to sync globally only when it changed."""
        payload = sorted(
            (command.to_dict(self.tree) for command in self.tree.get_commands()),
            key=lambda item: (item.get("type", 1), item["name"]),
        )
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    async def sync_commands(self) -> None:
        """Dev guild: sync there, instantly. Otherwise globally, only when needed."""
        if self.settings.dev_guild_id:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("Synced %d commands to dev guild %s", len(synced), guild.id)
            return
        fingerprint = self.command_fingerprint()
        marker = Path(self.settings.database_path).parent / "command-sync.sha256"
        previous = marker.read_text().strip() if marker.exists() else None
        if not self.force_sync and previous == fingerprint:
            log.info("Command set unchanged since the last global sync; not syncing")
            return
        synced = await self.tree.sync()
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(fingerprint)
        log.info("Synced %d global commands", len(synced))
