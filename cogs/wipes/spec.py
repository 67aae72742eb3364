"""The ``wipes`` toggle: the wipe and event calendar and its announcements."""

from bot.core.features import FeatureSpec

WIPES = FeatureSpec(
    "wipes",
    "Wipe and event announcements",
    needs_channel=True,
    uses_role=True,
    bot_permissions=("manage_events",),  # a wipe's optional Discord scheduled event (discord_event)
    package="wipes",
    posts="wipe and event announcements",
)

FEATURES = (WIPES,)
