"""The interaction doubles stay as strict as ``create_autospec``, while cheap to build."""

from __future__ import annotations

from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from tests.bot.doubles import make_interaction


async def test_should_reject_calls_the_real_methods_would_reject():
    interaction, recorder = make_interaction(MagicMock())

    with pytest.raises(TypeError):
        await interaction.response.send_message("hi", no_such_option=True)
    with pytest.raises(TypeError):
        await interaction.edit_original_response("content is keyword-only")
    with pytest.raises(TypeError):
        await interaction.followup.send("hi", ephemral=True)
    with pytest.raises(TypeError):
        interaction.response.is_done(True)
    with pytest.raises(AttributeError):
        _ = interaction.response.no_such_method
    with pytest.raises(AttributeError):
        _ = interaction.no_such_attribute
    assert recorder.replies == []


async def test_should_be_typed_like_the_real_objects():
    interaction, recorder = make_interaction(MagicMock())

    assert isinstance(interaction, discord.Interaction)
    assert isinstance(interaction.response, discord.InteractionResponse)
    assert isinstance(interaction.original_response, AsyncMock)  # untouched methods too
    await interaction.response.defer(ephemeral=True, thinking=True)
    await interaction.followup.send("done", ephemeral=True)
    assert [(r.kind, r.ephemeral) for r in recorder.replies] == [
        ("defer", True),
        ("followup", True),
    ]


async def test_should_let_a_test_replace_an_answer():
    interaction, _ = make_interaction(MagicMock())
    interaction.response.defer.side_effect = discord.NotFound(MagicMock(status=404), "gone")

    with pytest.raises(discord.NotFound):
        await interaction.response.defer(ephemeral=True)
    assert interaction.response.is_done() is False
