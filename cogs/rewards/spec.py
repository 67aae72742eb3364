"""The ``vote`` toggle: /vote and the rewards of each vote (thank-you message, temporary voter role)."""

from bot.core.features import FeatureSpec, SettingSpec

THANK_YOU = SettingSpec("thank_you", "bool", True, "Post a thank-you message for each vote", label="thank-you messages")
ROLE_HOURS = SettingSpec(
    "role_hours",
    "int",
    None,
    "Keep the voter role this many hours (0: until the member may vote again)",
    minimum=1,
    maximum=720,
    zero_means_off=True,
    off_text="until the member may vote again",
    label="voter role duration",
    unit="hour",
)

VOTE = FeatureSpec(
    "vote",
    "Vote rewards (/vote, thank-yous, voter role)",
    grants_role=True,
    enabled_by_default=True,
    settings=(THANK_YOU, ROLE_HOURS),
    package="rewards",
    posts="thank-yous for votes",
)

FEATURES = (VOTE,)
