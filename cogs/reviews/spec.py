"""The ``reviews`` toggle: /review and alerts for new reviews (members', pushed, and Top.gg's count)."""

from bot.core.features import FeatureSpec

REVIEWS = FeatureSpec("reviews", "New review alerts", needs_channel=True, package="reviews")

FEATURES = (REVIEWS,)
