"""The one way the bot sends a direct message: never raises, says whether it worked."""

from __future__ import annotations

import logging
import secrets

import discord

log = logging.getLogger(__name__)


async def send_dm(
    client: discord.Client,
    user_id: int,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    nonce: str | None = None,
) -> bool:
    """Send a DM to ``user_id``; ``False`` when the member blocks DMs or Discord fails.

    Reminders and personal answers depend on DMs, and a closed DM channel is normal
    (privacy settings), so callers decide what to do instead of handling exceptions.
    ``nonce`` (at most 25 characters) makes a repeat droppable: discord.py sends it with
    ``enforce_nonce``, so Discord creates no second message with the same nonce from the
    bot for a few minutes and answers with the first one. Without it discord.py picks a
    random nonce (no protection).
    """
    try:
        channel = await client.create_dm(discord.Object(id=user_id))
        await channel.send(
            content,
            embed=embed if embed is not None else discord.utils.MISSING,
            view=view if view is not None else discord.utils.MISSING,
            allowed_mentions=discord.AllowedMentions.none(),
            # discord.py's own default when there is none: a random one.
            nonce=nonce if nonce is not None else secrets.randbits(64),
        )
    except discord.Forbidden:
        log.info("DMs closed for user %s", user_id)
        return False
    except discord.HTTPException as exc:
        log.warning("DM to user %s failed: %s", user_id, exc.status)
        return False
    return True
