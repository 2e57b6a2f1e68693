"""``/mydata export|forget``: a member's data, theirs to take or erase."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ExamBot
from bot.errors import ExamView

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
CONFIRM_TIMEOUT_SECONDS = 120.0


class ForgetConfirmView(ExamView):
    """Confirm/cancel buttons that only the member who asked can press.

    Not persistent on purpose: an erase confirmation should expire, not survive restarts.
    On expiry the buttons are removed, through ``origin`` (the ``/mydata forget``
    interaction), so a late press can't go unanswered.
    """

    def __init__(self, bot: ExamBot, origin: discord.Interaction[Any]) -> None:
        super().__init__(timeout=CONFIRM_TIMEOUT_SECONDS)
        self.bot = bot
        self.origin = origin
        self.owner_id = origin.user.id

    async def on_timeout(self) -> None:
        try:
            await self.origin.edit_original_response(
                content="⌛ Timed out: nothing was deleted. Run `/mydata forget` again if you "
                "meant it.",
                view=None,
            )
        except discord.HTTPException:
            log.info("Could not expire a /mydata forget confirmation (message gone?)")

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                "Only the member who asked can confirm this.", ephemeral=True
            )
            return False
        return True

    @discord.ui.button(label="Delete everything", style=discord.ButtonStyle.danger, emoji="🗑️")
    async def confirm(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        # Acknowledge before the delete: it may wait on another writer past Discord's 3 s.
        await interaction.response.defer()
        counts = await self.bot.db.forget_user(self.owner_id)
        self.bot.memory.forget(self.owner_id)  # nothing of the member is kept, even in memory
        self.stop()
        summary = ", ".join(f"{n} {table}" for table, n in counts.items() if n) or "nothing"
        await interaction.edit_original_response(
            content=f"🗑️ Done: deleted {summary}. I no longer hold any data about you.",
            view=None,
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(
            content="Cancelled: nothing was deleted.", view=None
        )


class MyDataCog(commands.Cog, name="MyData"):
    """Your data: export it or erase it."""

    mydata = app_commands.Group(name="mydata", description="Export or erase your data")

    def __init__(self, bot: ExamBot) -> None:
        self.bot = bot

    @mydata.command(name="export")
    async def export(self, interaction: discord.Interaction) -> None:
        """Download everything I store about you, as JSON."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await self.bot.db.export_user(interaction.user.id)
        data["exported_at"] = self.bot.now().isoformat()
        payload = json.dumps(data, indent=2, ensure_ascii=False).encode()
        file = discord.File(io.BytesIO(payload), filename=f"exambot-{interaction.user.id}.json")
        await interaction.followup.send(
            f"📦 Everything I store about you: {len(data.get('attempts', []))} attempt(s), "
            f"{len(data.get('reminders', []))} reminder(s), settings and feedback.",
            file=file,
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @mydata.command(name="forget")
    async def forget(self, interaction: discord.Interaction) -> None:
        """Erase everything I store about you (asks for confirmation)."""
        view = ForgetConfirmView(self.bot, interaction)
        await interaction.response.send_message(
            "⚠️ This deletes **all** your attempts, reminders, settings and feedback, for "
            "good. Sure?",
            view=view,
            ephemeral=True,
            allowed_mentions=NONE,
        )


async def setup(bot: ExamBot) -> None:
    await bot.add_cog(MyDataCog(bot))
