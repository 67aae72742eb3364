"""The ``wipes`` toggle: the wipe and event calendar and its announcements."""

from bot.core.features import FeatureSpec

WIPES = FeatureSpec("wipes", "Wipe and event announcements", needs_channel=True, uses_role=True, package="wipes")

FEATURES = (WIPES,)
