"""The ``giveaways`` toggle: giveaways with an Enter button, and winners pushed by a listing site."""

from bot.core.features import FeatureSpec
from bot.core.i18n import N_

GIVEAWAYS = FeatureSpec(
    "giveaways",
    N_("Giveaways"),
    needs_channel=True,
    package="giveaways",
    # Translators: fits "Survival's … will be posted in this channel."
    posts=N_("giveaways and their winners"),
)

FEATURES = (GIVEAWAYS,)
