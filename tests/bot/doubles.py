"""Interaction doubles built from discord.py's own types, recording what a member sees.

The real cog callbacks run against these; tests then assert on :class:`Reply` objects:
content, embeds, the ephemeral flag, buttons and files, in the order they were sent.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FunctionType
from typing import Any
from unittest.mock import AsyncMock, MagicMock

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


@functools.cache
def _spec_names(cls: type) -> tuple[str, ...]:
    """``dir(cls)``, once per session: a mock's allowed attribute names."""
    return tuple(dir(cls))


@functools.cache
def _method(cls: type, name: str) -> tuple[bool, inspect.Signature] | None:
    """``(is_async, signature without self)`` of the plain method ``cls.name``, or
    ``None`` when it is not one. Computed once per session."""
    attribute = inspect.getattr_static(cls, name, None)
    if not isinstance(attribute, FunctionType):
        return None
    signature = inspect.signature(attribute)
    parameters = list(signature.parameters.values())[1:]
    return inspect.iscoroutinefunction(attribute), signature.replace(parameters=parameters)


class SpecDouble(MagicMock):
    """A mock of an instance of a discord.py class, as strict as
    ``create_autospec(cls, instance=True)``: ``isinstance`` holds, a missing attribute
    raises ``AttributeError``, async methods are ``AsyncMock`` and every method call is
    checked against the real signature (a wrong argument raises ``TypeError``).

    Cheap, unlike autospec (20–40 ms per interaction) or even ``MagicMock(spec=cls)``,
    which inspects every attribute of the class on every build: the class is inspected
    once per session, and only the methods a test touches are built. Make them with
    :func:`spec_double`. :meth:`answer` gives a method its side effect before it is
    built, so that wiring a :class:`Recorder` builds nothing either.
    """

    def answer(self, name: str, side_effect: Callable[..., Any]) -> None:
        if name in self._mock_children:  # already built (touched by the test)
            getattr(self, name).side_effect = side_effect
        else:
            self.__dict__.setdefault("_double_answers", {})[name] = side_effect

    def _get_child_mock(self, /, **kw: Any) -> Any:
        name = kw.get("_new_name", "")
        spec_class = self.__dict__.get("_spec_class")
        method = _method(spec_class, name) if spec_class is not None and name else None
        if method is None:
            return super()._get_child_mock(**kw)
        is_async, signature = method
        child = AsyncMock(**kw) if is_async else MagicMock(**kw)

        def checksig(_mock_self: Any, /, *args: Any, **kwargs: Any) -> None:
            signature.bind(*args, **kwargs)

        # What create_autospec does for each method, with the signature computed once.
        type(child)._mock_check_sig = checksig
        type(child).__signature__ = signature
        answer = self.__dict__.get("_double_answers", {}).pop(name, None)
        if answer is not None:
            child.side_effect = answer
        return child


def spec_double(cls: type, **attributes: Any) -> Any:
    """A :class:`SpecDouble` of an instance of ``cls``, with ``attributes`` set."""
    double = SpecDouble(spec=_spec_names(cls), **attributes)
    double.__class__ = cls  # isinstance(double, cls); also where methods are looked up
    return double


class Recorder:
    """Wires an interaction double so that every reply is captured in order."""

    def __init__(self, interaction: Any) -> None:
        self.interaction = interaction
        self.replies: list[Reply] = []
        self._done = False
        self._ephemeral_default = False
        response = interaction.response
        response.answer("is_done", lambda: self._done)
        response.answer("send_message", self._send_message)
        response.answer("defer", self._defer)
        response.answer("edit_message", self._edit_message)
        response.answer("send_modal", self._send_modal)
        response.answer("autocomplete", self._autocomplete)
        interaction.followup.answer("send", self._followup)
        interaction.answer("edit_original_response", self._edit_original)

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
        return spec_double(discord.WebhookMessage)

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
        return spec_double(discord.InteractionMessage)

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
    """A ``discord.Interaction`` double (:class:`SpecDouble`: checked like an autospec)
    from ``user_id`` in a guild (or a DM)."""
    interaction = spec_double(discord.Interaction)
    interaction.client = client
    interaction.user = spec_double(discord.Member if guild_id else discord.User)
    interaction.user.id = user_id
    interaction.user.bot = False
    interaction.user.mention = f"<@{user_id}>"
    interaction.user.display_name = f"member{user_id}"
    interaction.guild_id = guild_id
    interaction.guild = spec_double(discord.Guild, id=guild_id) if guild_id else None
    permissions = discord.Permissions(manage_guild=manage_guild)
    interaction.permissions = permissions
    interaction.user.guild_permissions = permissions
    interaction.namespace = MagicMock(**(namespace or {}))
    interaction.response = spec_double(discord.InteractionResponse)
    interaction.followup = spec_double(discord.Webhook)
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
        return spec_double(discord.Message)

    message = spec_double(discord.Message)
    message.id = message_id
    message.content = content
    message.author = spec_double(discord.Member if guild_id else discord.User)
    message.author.id = author_id
    message.author.bot = author_bot
    message.author.mention = f"<@{author_id}>"
    message.guild = spec_double(discord.Guild, id=guild_id) if guild_id else None
    message.mentions = list(mentions or [])
    message.channel = spec_double(discord.DMChannel if guild_id is None else discord.TextChannel)
    message.channel.send = AsyncMock(side_effect=_send)
    message.reply = AsyncMock(side_effect=_send)
    message.to_reference = MagicMock(return_value=spec_double(discord.MessageReference))
    return message, sent
