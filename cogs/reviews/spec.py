"""The ``reviews`` toggle: /review and alerts for new reviews (members', pushed, and Top.gg's count)."""

from bot.core.features import FeatureSpec

MAX_BODY = 4000  # characters of a review kept (the form and the API refuse more); alerts show less

REVIEWS = FeatureSpec("reviews", "New review alerts", needs_channel=True, package="reviews", posts="new reviews")

FEATURES = (REVIEWS,)
