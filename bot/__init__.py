"""Adapters around the pure core: Discord client and cogs, storage, rendering, CLI."""
