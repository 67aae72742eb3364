"""A wire-level fake of Discord (REST v10 + gateway) for running the real discord.py client against."""

from .server import FakeDiscord
from .state import FakeError

__all__ = ["FakeDiscord", "FakeError"]
