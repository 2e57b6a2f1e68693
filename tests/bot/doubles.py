"""Interaction doubles built from discord.py's own types, recording what a member sees.

The real cog callbacks run against these; tests then assert on :class:`Reply` objects:
content, embeds, the ephemeral flag, buttons and files, in the order they were sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from unittest.mock import AsyncMock, MagicMock, create_autospec

import discord


@dataclass
class Reply:
    """One thing the member saw: a response, a follow-up, or an edit of the original."""

    kind: str  # "response", "followup", "edit", "defer", "modal", "autocomplete"
    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None
    ephemeral: bool = False
    files: list[discord.File] = field(default_factory=list)
    choices: list[Any] = field(default_factory=list)

    @property
    def embed(self) -> discord.Embed | None:
        return self.embeds[0] if self.embeds else None

    @property
    def text(self) -> str:
        """Content plus every embed's title, description and fields, for easy asserts."""
        parts = [self.content or ""]
        for embed in self.embeds:
            parts += [embed.title or "", embed.description or "", embed.footer.text or ""]
            parts += [f"{f.name}\n{f.value}" for f in embed.fields]
        return "\n".join(p for p in parts if p)

    @property
    def buttons(self) -> list[discord.ui.Button[Any]]:
        """Buttons, including those wrapped in a ``DynamicItem`` (persistent buttons)."""
        return [b for b in self.items if isinstance(b, discord.ui.Button)]

    @property
    def items(self) -> list[Any]:
        """The view's items with ``DynamicItem`` wrappers unwrapped."""
        if self.view is None:
            return []
        return [_unwrap(c) for c in self.view.children]

    @property
    def dynamic_items(self) -> list[discord.ui.DynamicItem[Any]]:
        """The persistent items themselves, whose ``callback`` tests can call."""
        if self.view is None:
            return []
        return [c for c in self.view.children if isinstance(c, discord.ui.DynamicItem)]

    @property
    def custom_ids(self) -> list[str]:
        return [b.custom_id or "" for b in self.buttons]

    @property
    def button_labels(self) -> list[str]:
        return [b.label or "" for b in self.buttons]


def _unwrap(item: Any) -> Any:
    return item.item if isinstance(item, discord.ui.DynamicItem) else item


class Recorder:
    """Wires an autospec'd interaction so that every reply is captured in order."""

    def __init__(self, interaction: Any) -> None:
        self.interaction = interaction
        self.replies: list[Reply] = []
        self._done = False
        self._ephemeral_default = False
        response = interaction.response
        response.is_done.side_effect = lambda: self._done
        response.send_message.side_effect = self._send_message
        response.defer.side_effect = self._defer
        response.edit_message.side_effect = self._edit_message
        response.send_modal.side_effect = self._send_modal
        response.autocomplete.side_effect = self._autocomplete
        interaction.followup.send.side_effect = self._followup
        interaction.edit_original_response.side_effect = self._edit_original

    def _mark_done(self) -> None:
        if self._done:
            raise discord.InteractionResponded(self.interaction)
        self._done = True

    @staticmethod
    def _embeds(kwargs: dict[str, Any]) -> list[discord.Embed]:
        embeds = list(kwargs.get("embeds") or [])
        if kwargs.get("embed") is not None:
            embeds.insert(0, kwargs["embed"])
        return embeds

    @staticmethod
    def _files(kwargs: dict[str, Any]) -> list[discord.File]:
        files = list(kwargs.get("files") or [])
        if kwargs.get("file") is not None:
            files.insert(0, kwargs["file"])
        return files

    async def _send_message(self, content: str | None = None, **kwargs: Any) -> None:
        self._mark_done()
        self.replies.append(
            Reply(
                "response",
                content,
                self._embeds(kwargs),
                kwargs.get("view"),
                bool(kwargs.get("ephemeral", False)),
                self._files(kwargs),
            )
        )

    async def _defer(self, *, ephemeral: bool = False, thinking: bool = False, **_: Any) -> None:
        self._mark_done()
        self._ephemeral_default = ephemeral
        self.replies.append(Reply("defer", ephemeral=ephemeral))

    async def _edit_message(self, content: str | None = None, **kwargs: Any) -> None:
        self._mark_done()
        self.replies.append(Reply("edit", content, self._embeds(kwargs), kwargs.get("view")))

    async def _send_modal(self, modal: discord.ui.Modal) -> None:
        self._mark_done()
        self.replies.append(Reply("modal", view=modal))

    async def _autocomplete(self, choices: list[Any]) -> None:
        self._mark_done()
        self.replies.append(Reply("autocomplete", choices=list(choices)))

    async def _followup(self, content: str | None = None, **kwargs: Any) -> MagicMock:
        if not self._done:
            raise discord.NotFound(MagicMock(status=404), "Unknown Webhook")
        self.replies.append(
            Reply(
                "followup",
                content,
                self._embeds(kwargs),
                kwargs.get("view"),
                bool(kwargs.get("ephemeral", False)),
                self._files(kwargs),
            )
        )
        return MagicMock(spec=discord.WebhookMessage)

    async def _edit_original(self, content: str | None = None, **kwargs: Any) -> MagicMock:
        if not self._done:
            raise discord.NotFound(MagicMock(status=404), "Unknown interaction")
        self.replies.append(
            Reply(
                "edit",
                content,
                self._embeds(kwargs),
                kwargs.get("view"),
                self._ephemeral_default,
                self._files(kwargs),
            )
        )
        return MagicMock(spec=discord.InteractionMessage)

    @property
    def visible(self) -> list[Reply]:
        """What the member actually sees (a bare defer shows only "thinking…")."""
        return [r for r in self.replies if r.kind not in {"defer"}]

    @property
    def last(self) -> Reply:
        assert self.visible, "the interaction was never answered"
        return self.visible[-1]


def make_interaction(
    client: discord.Client,
    *,
    user_id: int = 1001,
    guild_id: int | None = 5000,
    manage_guild: bool = False,
    namespace: dict[str, Any] | None = None,
) -> tuple[Any, Recorder]:
    """An autospec'd ``discord.Interaction`` from ``user_id`` in a guild (or a DM)."""
    interaction = create_autospec(discord.Interaction, instance=True)
    interaction.client = client
    interaction.user = MagicMock(spec=discord.Member if guild_id else discord.User)
    interaction.user.id = user_id
    interaction.user.bot = False
    interaction.user.mention = f"<@{user_id}>"
    interaction.user.display_name = f"member{user_id}"
    interaction.guild_id = guild_id
    interaction.guild = MagicMock(spec=discord.Guild, id=guild_id) if guild_id else None
    permissions = discord.Permissions(manage_guild=manage_guild)
    interaction.permissions = permissions
    interaction.user.guild_permissions = permissions
    interaction.namespace = MagicMock(**(namespace or {}))
    interaction.response = create_autospec(discord.InteractionResponse, instance=True)
    interaction.followup = create_autospec(discord.Webhook, instance=True)
    return interaction, Recorder(interaction)


@dataclass
class SentMessage:
    """One ``channel.send`` call captured from a message double."""

    content: str | None
    embeds: list[discord.Embed]
    view: discord.ui.View | None
    allowed_mentions: discord.AllowedMentions | None
    reference: Any = None

    @property
    def reply(self) -> Reply:
        """The same thing as a :class:`Reply`, for the same asserts as interactions."""
        return Reply("message", self.content, self.embeds, self.view)


def make_message(
    client: discord.Client,
    content: str,
    *,
    author_id: int = 1001,
    author_bot: bool = False,
    guild_id: int | None = 5000,
    mentions: list[Any] | None = None,
    message_id: int = 777,
) -> tuple[Any, list[SentMessage]]:
    """A ``discord.Message`` double in a DM (``guild_id=None``) or a guild channel.

    Every ``message.channel.send`` / ``message.reply`` is recorded in the returned list.
    """
    sent: list[SentMessage] = []

    async def _send(content: str | None = None, **kwargs: Any) -> MagicMock:
        sent.append(
            SentMessage(
                content,
                Recorder._embeds(kwargs),
                kwargs.get("view") if kwargs.get("view") is not discord.utils.MISSING else None,
                kwargs.get("allowed_mentions"),
                kwargs.get("reference"),
            )
        )
        return MagicMock(spec=discord.Message)

    message = MagicMock(spec=discord.Message)
    message.id = message_id
    message.content = content
    message.author = MagicMock(spec=discord.Member if guild_id else discord.User)
    message.author.id = author_id
    message.author.bot = author_bot
    message.author.mention = f"<@{author_id}>"
    message.guild = MagicMock(spec=discord.Guild, id=guild_id) if guild_id else None
    message.mentions = list(mentions or [])
    message.channel = MagicMock(spec=discord.DMChannel if guild_id is None else discord.TextChannel)
    message.channel.send = AsyncMock(side_effect=_send)
    message.reply = AsyncMock(side_effect=_send)
    message.to_reference = MagicMock(return_value=MagicMock(spec=discord.MessageReference))
    return message, sent
