"""The ``giveaways`` toggle: giveaways with an Enter button, and winners pushed by a listing site."""

from bot.core.features import FeatureSpec

GIVEAWAYS = FeatureSpec(
    "giveaways", "Giveaways", needs_channel=True, package="giveaways", posts="giveaways and their winners"
)

FEATURES = (GIVEAWAYS,)
