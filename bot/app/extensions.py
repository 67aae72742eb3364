"""The feature packages this bot is made of, and the feature declarations they make.

Extensions are loaded by name (discord.py's ``load_extension``), in this order; a failed load fails
startup. Each package may declare features in its ``spec.py``; :func:`features` collects them once.
``bot.*`` never imports ``cogs.*`` directly: this list of names is the only place the core meets them.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util

from bot.core.features import FeatureRegistry, FeatureSpec

EXTENSIONS: tuple[str, ...] = (
    "cogs.setup",
    "cogs.rewards",
    "cogs.vote",
    "cogs.links",
    "cogs.reminders",
    "cogs.status",
    "cogs.milestones",
    "cogs.reviews",
    "cogs.wipes",
    "cogs.leaderboards",
    "cogs.stats",
    "cogs.giveaways",
    "cogs.events",
    "cogs.forwarding",
)


def declared_features(extensions: tuple[str, ...] = EXTENSIONS) -> FeatureRegistry:
    specs: list[FeatureSpec] = []
    for extension in extensions:
        name = f"{extension}.spec"
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        specs.extend(module.FEATURES)
    return FeatureRegistry.of(specs)


@functools.cache
def features() -> FeatureRegistry:
    """The declarations of :data:`EXTENSIONS` (imported once; spec modules only declare)."""
    return declared_features()
