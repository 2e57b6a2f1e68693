"""``/exam``: the catalog card of one exam, date-aware."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ExamBot
from bot.rendering import exam_embed, truncate, uncatalogued_embed
from knowledge.codes import try_normalize_exam_code
from knowledge.models import KnowledgeBase

MAX_CHOICES = 25


def exam_choices(kb: KnowledgeBase, current: str) -> list[app_commands.Choice[str]]:
    """Catalog exams matching what was typed (code or title words), ≤ 25, codes sorted.

    Typing "ai1" finds AI-102 and AI-103: the dash and case are ignored. Pure and
    in-memory, so it is fast enough for every keystroke.
    """
    needle = "".join(ch for ch in current.casefold() if ch.isalnum())
    words = current.casefold().split()
    found = []
    for exam in sorted(kb.exams.values(), key=lambda e: e.code):
        code_key = exam.code.replace("-", "").casefold()
        title = f"{exam.title or ''} {exam.credential or ''}".casefold()
        if not needle or needle in code_key or (words and all(w in title for w in words)):
            label = f"{exam.code} — {exam.title}" if exam.title else exam.code
            found.append(app_commands.Choice(name=truncate(label, 100), value=exam.code))
    # Code prefix matches first: typing "ai" should show AI-xxx before titles mentioning AI.
    found.sort(key=lambda c: (not c.value.replace("-", "").casefold().startswith(needle), c.value))
    return found[:MAX_CHOICES]


class CatalogCog(commands.Cog):
    """Facts about individual exams from the sourced catalog."""

    def __init__(self, bot: ExamBot) -> None:
        self.bot = bot

    @app_commands.command(name="exam")
    @app_commands.describe(code="An exam code, like AI-103 or AZ-104")
    async def exam(self, interaction: discord.Interaction, code: str) -> None:
        """Show an exam's details: duration, passing score, retirement, successor."""
        canonical = try_normalize_exam_code(code)
        if canonical is None:
            await interaction.response.send_message(
                f"`{discord.utils.escape_markdown(code[:40])}` isn't an exam code: use 2–3 "
                "letters, a dash and 3 digits, like `AI-103`.",
                ephemeral=True,
            )
            return
        kb = self.bot.knowledge.kb
        exam = kb.exams.get(canonical)
        if exam is None:
            embed = uncatalogued_embed(canonical, kb)
        else:
            embed = exam_embed(exam, kb, self.bot.now())
        await interaction.response.send_message(embed=embed)

    @exam.autocomplete("code")
    async def exam_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return exam_choices(self.bot.knowledge.kb, current)


async def setup(bot: ExamBot) -> None:
    await bot.add_cog(CatalogCog(bot))
