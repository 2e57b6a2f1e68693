"""The Discord client: composition of settings, storage and knowledge, plus sync policy."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import discord
from discord.ext import commands

from bot.config import Settings
from bot.conversation_memory import RecentExams
from bot.cooldown import MemberCooldown
from bot.errors import ExamCommandTree
from bot.knowledge_state import KnowledgeState
from bot.storage import Database
from knowledge.loader import KnowledgeError

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

# This bot never joins voice: discord.py's start-up warnings about missing voice
# libraries (PyNaCl, davey) would only alarm an operator reading the log.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False
Sleep = Callable[[float], Awaitable[None]]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ExamBot(commands.AutoShardedBot):
    """The bot. Cogs reach storage, knowledge and the clock through it, never globals.

    Always an ``AutoShardedBot``: without ``DISCORD_SHARD_COUNT`` it asks Discord how many
    shards to run (one, below 1,000 servers or so) and runs them all in this process; with
    it, this process runs ``DISCORD_SHARD_IDS`` (all of them when unset). Discord sends DMs
    to shard 0 only, so the process running shard 0 is the one that answers them.
    Identifies wait for their slot in the database (:meth:`before_identify_hook`), and
    ``/kb reload`` in another process reaches this one through :meth:`poll_knowledge`.
    """

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
        sleep: Sleep = asyncio.sleep,
        max_concurrency: int | None = None,
    ) -> None:
        # Both None: discord.py's automatic sharding (it asks Discord for the count).
        sharding: dict[str, Any] = {"shard_count": settings.discord_shard_count}
        if settings.discord_shard_ids is not None:
            sharding["shard_ids"] = list(settings.discord_shard_ids)
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
            **sharding,
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
        # Waits (identify slots, the knowledge poll); injectable so tests never wait.
        self.sleep = sleep
        # Identifies per 5 s Discord allows this bot; None: asked at the first identify.
        self.max_concurrency = max_concurrency
        # The knowledge generation (bot.storage.coordination) self.knowledge belongs to.
        self.knowledge_generation = 0
        self._knowledge_poll: asyncio.Task[None] | None = None

    def now(self) -> dt.datetime:
        """The current instant, aware UTC; injectable so tests control "today"."""
        return self.clock()

    def reload_knowledge(self, data_dir: Path | None = None) -> KnowledgeState:
        """Load the knowledge files again (``data_dir``, else the ``KNOWLEDGE_DIR`` of this
        bot's settings); on ``KnowledgeError`` the old ones stay in use."""
        fresh = KnowledgeState.load(
            data_dir if data_dir is not None else self.settings.knowledge_dir
        )
        self.knowledge = fresh
        return fresh

    async def setup_hook(self) -> None:
        for name in self.extension_names:
            await self.load_extension(name)
        await self.sync_commands()
        await self._adopt_knowledge_generation()
        self._knowledge_poll = asyncio.create_task(self._poll_knowledge_forever(), name="kb-poll")
        ids = self.settings.discord_shard_ids
        if self.settings.discord_shard_count is not None:
            shown = ", ".join(map(str, ids)) if ids is not None else "all"
            log.info("Running shards %s of %d", shown, self.settings.discord_shard_count)
            if ids is not None and 0 not in ids:
                log.info("Shard 0 is not in this process: DMs are answered by the one running it")

    async def close(self) -> None:
        task, self._knowledge_poll = self._knowledge_poll, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task})  # never raises: a cancelled close() still cancels
        await super().close()

    # -- sharing state between processes ---------------------------------------------
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Wait for this shard's identify slot: one per 5 s per ``max_concurrency`` bucket
        (``shard_id % max_concurrency``), shared by every process through the database.

        Replaces discord.py's fixed 5 s sleep between identifies, which only knows about
        this process. If the database can't be reached, that fixed sleep is used instead.
        """
        bucket = (shard_id or 0) % await self._identify_concurrency()
        now = self.now()
        try:
            slot = await self.db.identify_gate.reserve(bucket, now)
        except Exception as exc:
            log.warning("Identify gate unavailable (%s); waiting 5 s instead", exc)
            if not initial:
                await self.sleep(5.0)
            return
        wait = (slot - now).total_seconds()
        if wait > 0:
            log.info(
                "Shard %s waits %.1f s for its identify slot (bucket %d)", shard_id, wait, bucket
            )
            await self.sleep(wait)

    async def _identify_concurrency(self) -> int:
        """Discord's ``max_concurrency`` for this bot, asked once; 1 (the strictest) when
        Discord can't say."""
        if self.max_concurrency is None:
            try:
                limits = await self.fetch_session_start_limits()
            except Exception as exc:
                log.warning("Could not read Discord's session start limits (%s); using 1", exc)
                return 1
            self.max_concurrency = max(1, limits.max_concurrency)
        return self.max_concurrency

    async def poll_knowledge(self) -> bool:
        """One look at the shared knowledge generation: when ``/kb reload`` raised it in
        another process, reload the knowledge files here too. Whether this process reloaded.

        Broken files keep the knowledge in use (one warning line) and are not retried
        until the generation moves again: the next ``/kb reload`` raises it.
        """
        generation = await self.db.knowledge.current()
        if generation <= self.knowledge_generation:
            return False
        self.knowledge_generation = generation
        try:
            state = await asyncio.to_thread(self.reload_knowledge)
        except KnowledgeError as exc:
            log.warning(
                "Knowledge generation %d: the files have %d problem(s); keeping the previous "
                "knowledge (run python -m bot kb check)",
                generation,
                len(exc.problems),
            )
            return False
        log.info(
            "Knowledge reloaded for generation %d (/kb reload in another process): %d entries",
            generation,
            len(state.kb.entries),
        )
        return True

    async def _adopt_knowledge_generation(self) -> None:
        """The generation the knowledge handed to this client belongs to. A fresh process
        just loaded the files, which are the current ones; a client made again after a
        lost connection may hold older knowledge, so once anyone has reloaded, the files
        are read again (cheap when unchanged: loads are remembered by content)."""
        generation = await self.db.knowledge.current()
        if generation > 0:
            self.knowledge_generation = generation - 1
            await self.poll_knowledge()
        self.knowledge_generation = generation

    async def _poll_knowledge_forever(self) -> None:
        while True:
            await self.sleep(self.settings.knowledge_poll_seconds)
            try:
                await self.poll_knowledge()
            except Exception as exc:  # the database busy or away: the next poll tries again
                log.warning("Could not check the knowledge generation: %s", exc)

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
