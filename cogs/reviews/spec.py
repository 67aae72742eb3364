"""The ``reviews`` toggle: /review and alerts for new reviews (members', pushed, and Top.gg's count)."""

from bot.core.features import FeatureSpec
from bot.core.i18n import N_

MAX_BODY = 4000  # characters of a review kept (the form and the API refuse more); alerts show less

REVIEWS = FeatureSpec(
    "reviews",
    N_("New review alerts"),
    needs_channel=True,
    package="reviews",
    # Translators: fits "Survival's … will be posted in this channel."
    posts=N_("new reviews"),
)

FEATURES = (REVIEWS,)
