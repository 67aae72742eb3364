"""The ``wipes`` toggle: the wipe and event calendar and its announcements."""

from bot.core.features import FeatureSpec
from bot.core.i18n import N_

WIPES = FeatureSpec(
    "wipes",
    N_("Wipe and event announcements"),
    needs_channel=True,
    uses_role=True,
    bot_permissions=("manage_events",),  # a wipe's optional Discord scheduled event (discord_event)
    package="wipes",
    posts=N_("wipe and event announcements"),
)

FEATURES = (WIPES,)
