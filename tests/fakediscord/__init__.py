"""Fake Discord REST + gateway server for end-to-end tests of discord.py bots (127.0.0.1 only)."""

from .server import FakeDiscord, InteractionHandle, RecordedRequest

__all__ = ["FakeDiscord", "InteractionHandle", "RecordedRequest"]
