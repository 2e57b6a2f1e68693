"""A loopback fake of Discord's gateway and REST API, just big enough for the bot.

discord.py sends every REST call to ``Route.BASE`` and opens its gateway at
``DiscordWebSocket.DEFAULT_GATEWAY``; pointing both at this aiohttp server on 127.0.0.1
lets the unmodified bot log in, sync commands, receive interactions and messages, and
answer them — while the test reads what a member would have seen.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = 900000000000000001
BOT_USER_ID = 900000000000000001
HEARTBEAT_MS = 45_000

_ids = itertools.count(1_000_000_000_000_000)


def snowflake() -> str:
    return str(next(_ids))


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
    }


@dataclass
class Sent:
    """One thing the bot sent: an interaction response, a follow-up or a message."""

    route: str
    payload: dict[str, Any]

    @property
    def content(self) -> str:
        return str(self.payload.get("content") or "")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.payload.get("embeds") or [])

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.payload.get("flags") or 0) & 64)

    @property
    def text(self) -> str:
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields", [])]
            parts.append((embed.get("footer") or {}).get("text", ""))
        return "\n".join(p for p in parts if p)

    @property
    def custom_ids(self) -> list[str]:
        ids = []
        for row in self.payload.get("components") or []:
            for component in row.get("components", []):
                if "custom_id" in component:
                    ids.append(component["custom_id"])
        return ids


@dataclass
class FakeDiscord:
    """The server and everything it saw. ``sent`` is appended as the bot talks."""

    sent: list[Sent] = field(default_factory=list)
    synced_commands: list[dict[str, Any]] = field(default_factory=list)
    identifies: int = 0
    resumes: int = 0
    # What GET /gateway/bot answers (the bot is an AutoShardedBot: it asks how many shards
    # to run, and its identify gate asks for max_concurrency).
    shards: int = 1
    max_concurrency: int = 1
    # Messages by their enforced nonce, and the repeats Discord dropped (no new message).
    messages_by_nonce: dict[str, dict[str, Any]] = field(default_factory=dict)
    dropped_repeats: list[str] = field(default_factory=list)
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _sequence: int = 0
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None
    base_url: str = ""

    # -- lifecycle ---------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> Any:
        """Wait until ``predicate()`` returns something truthy, and return it."""

        async def _wait() -> Any:
            async with self._changed:
                while not (result := predicate()):
                    await self._changed.wait()
                return result

        return await asyncio.wait_for(_wait(), timeout)

    # -- gateway -----------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_MS}})
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            op = frame.get("op")
            if op == 1:
                await socket.send_json({"op": 11})
            elif op == 2:
                self.identifies += 1
                shard = (frame.get("d") or {}).get("shard") or [0, 1]
                await self._dispatch(socket, "READY", self._ready_payload(shard))
            elif op == 6:
                self.resumes += 1
                await self._dispatch(socket, "RESUMED", {})
            await self._notify()
        if socket in self._sockets:
            self._sockets.remove(socket)
        return socket

    def _ready_payload(self, shard: list[int]) -> dict[str, Any]:
        return {
            "v": 10,
            "user": user_payload(BOT_USER_ID, "ExamBot", bot=True),
            "guilds": [],
            "session_id": "fake-session",
            "resume_gateway_url": f"ws://{self.base_url.removeprefix('http://')}/gateway",
            "application": {"id": str(APP_ID), "flags": 0},
            "shard": shard,  # [id, count], as the IDENTIFY asked
        }

    async def _dispatch(self, socket: web.WebSocketResponse, event: str, data: Any) -> None:
        self._sequence += 1
        await socket.send_json({"op": 0, "t": event, "s": self._sequence, "d": data})

    async def dispatch(self, event: str, data: Any) -> None:
        """Send a gateway event to the connected bot."""
        socket = await self.wait_for(lambda: self._sockets[-1] if self._sockets else None)
        await self._dispatch(socket, event, data)

    async def drop_connection(self) -> None:
        """Close the gateway socket as a network hiccup would (the bot should resume)."""
        socket = self._sockets.pop()
        await socket.close(code=4000, message=b"simulated disconnect")

    # -- REST --------------------------------------------------------------------
    async def _payload(self, request: web.Request) -> dict[str, Any]:
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            raw = form.get("payload_json")
            payload = json.loads(str(raw)) if raw is not None else {}
            payload["_files"] = [k for k in form if k != "payload_json"]
            return payload
        if request.can_read_body:
            body = await request.read()
            return json.loads(body) if body else {}
        return {}

    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        # discord.py parses JSON only when the content type is exactly application/json
        # (aiohttp's content_type= would append "; charset=utf-8").
        return web.Response(
            body=json.dumps(data).encode(),
            status=status,
            headers={"Content-Type": "application/json"},
        )

    def _message(self, channel_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": snowflake(),
            "channel_id": channel_id,
            "author": user_payload(BOT_USER_ID, "ExamBot", bot=True),
            "content": payload.get("content") or "",
            "timestamp": "2026-11-26T12:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": payload.get("embeds") or [],
            "components": [],
            "pinned": False,
            "type": 0,
            "flags": payload.get("flags") or 0,
        }

    async def _rest(self, request: web.Request) -> web.Response:
        tail = request.match_info["tail"]
        method = request.method
        payload = await self._payload(request)
        parts = tail.split("/")
        response: web.Response
        if tail == "users/@me" and method == "GET":
            response = self._json(user_payload(BOT_USER_ID, "ExamBot", bot=True))
        elif tail == "gateway/bot" and method == "GET":
            response = self._json(self._gateway_bot())
        elif tail == "oauth2/applications/@me":
            response = self._json(
                {
                    "id": str(APP_ID),
                    "name": "ExamBot",
                    "icon": None,
                    "description": "",
                    "rpc_origins": [],
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "owner": user_payload(1, "owner"),
                    "summary": "",
                    "verify_key": "0" * 64,
                    "flags": 0,
                }
            )
        elif parts[0] == "applications" and parts[-1] == "commands" and method == "PUT":
            # Discord answers with every field filled in, e.g. "" descriptions on menus.
            commands = [
                {
                    "description": "",
                    **c,
                    "id": snowflake(),
                    "application_id": str(APP_ID),
                    "version": "1",
                }
                for c in payload  # type: ignore[union-attr]
            ]
            self.synced_commands = commands
            response = self._json(commands)
        elif parts[0] == "interactions" and parts[-1] == "callback":
            data = payload.get("data") or {}
            self.sent.append(Sent(f"callback:{payload.get('type')}", data))
            response = self._json({"interaction": {"id": parts[1], "type": payload.get("type")}})
        elif parts[0] == "webhooks":
            self.sent.append(Sent(f"webhook:{method}", payload))
            response = self._json(self._message("0", payload))
        elif tail == "users/@me/channels" and method == "POST":
            recipient = payload.get("recipient_id")
            response = self._json(
                {
                    "id": str(int(recipient or 0) + 1),
                    "type": 1,
                    "recipients": [user_payload(int(recipient or 0), "member")],
                    "last_message_id": None,
                }
            )
        elif parts[0] == "channels" and parts[-1] == "messages" and method == "POST":
            # enforce_nonce, as Discord does it: a repeat of a nonce the bot already used
            # creates no message; the first one is returned instead.
            nonce = str(payload["nonce"]) if payload.get("enforce_nonce") else None
            if nonce is not None and nonce in self.messages_by_nonce:
                self.dropped_repeats.append(nonce)
                response = self._json(self.messages_by_nonce[nonce])
            else:
                self.sent.append(Sent(f"message:{parts[1]}", payload))
                message = self._message(parts[1], payload)
                if nonce is not None:
                    message["nonce"] = nonce
                    self.messages_by_nonce[nonce] = message
                response = self._json(message)
        else:
            response = self._json({"message": f"fake: {method} {tail} not handled", "code": 0}, 404)
        await self._notify()
        return response

    def _gateway_bot(self) -> dict[str, Any]:
        # The gateway URL is wherever the test pointed discord.py's default gateway (this
        # fake's own, or a closed port): discord.py connects to the URL answered here.
        from discord.gateway import DiscordWebSocket

        return {
            "url": str(DiscordWebSocket.DEFAULT_GATEWAY),
            "shards": self.shards,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 86_400_000,
                "max_concurrency": self.max_concurrency,
            },
        }

    # -- building events ---------------------------------------------------------
    def command_id(self, name: str) -> str:
        for command in self.synced_commands:
            if command["name"] == name:
                return str(command["id"])
        raise KeyError(name)

    def slash_interaction(
        self,
        name: str,
        options: list[dict[str, Any]] | None = None,
        *,
        user_id: int,
        guild_id: int | None = None,
        permissions: str = "0",
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload for ``/name`` with ``options``."""
        user = user_payload(user_id, f"member{user_id}")
        payload: dict[str, Any] = {
            "id": snowflake(),
            "application_id": str(APP_ID),
            "type": 2,
            "token": f"token-{snowflake()}",
            "version": 1,
            "data": {
                "id": self.command_id(name),
                "name": name,
                "type": 1,
                "options": options or [],
            },
            "channel_id": snowflake(),
            "locale": "en-US",
            "app_permissions": "0",
            "attachment_size_limit": 10 * 1024 * 1024,
            "entitlements": [],
            "authorizing_integration_owners": {},
        }
        if guild_id is None:
            payload["user"] = user
            payload["context"] = 1
        else:
            payload["guild_id"] = str(guild_id)
            payload["guild_locale"] = "en-US"
            payload["context"] = 0
            payload["member"] = {
                "user": user,
                "roles": [],
                "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": permissions,
            }
        return payload

    def button_interaction(
        self, custom_id: str, *, user_id: int, guild_id: int | None = None
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload for a press of button ``custom_id`` on one of the
        bot's messages (discord.py rebuilds dynamic items from that message)."""
        payload = self.slash_interaction("help", user_id=user_id, guild_id=guild_id)
        channel_id = payload["channel_id"]
        message = self._message(channel_id, {"content": "an answer"})
        message["components"] = [
            {
                "type": 1,
                "components": [{"type": 2, "style": 2, "label": "button", "custom_id": custom_id}],
            }
        ]
        payload["type"] = 3
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        payload["message"] = message
        return payload

    def dm_message(self, content: str, *, user_id: int) -> dict[str, Any]:
        """A MESSAGE_CREATE payload for a DM from ``user_id``."""
        return {
            "id": snowflake(),
            "channel_id": str(user_id + 1),
            "author": user_payload(user_id, f"member{user_id}"),
            "content": content,
            "timestamp": "2026-11-26T12:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
        }
