"""The ``vote`` toggle: /vote and the rewards of each vote (thank-you message, temporary voter role)."""

from bot.core.features import FeatureSpec, SettingSpec
from bot.core.i18n import N_

# Labels, off texts and what a feature posts are translated where they are shown (``_(spec.label)``); the
# descriptions are slash-command option descriptions (translated from the command tree).
THANK_YOU = SettingSpec(
    "thank_you",
    "bool",
    True,
    N_("Post a thank-you message for each vote"),
    # Translators: a setting's name in listings ("thank-you messages: on").
    label=N_("thank-you messages"),
)
ROLE_HOURS = SettingSpec(
    "role_hours",
    "int",
    None,
    N_("Keep the voter role this many hours (0: until the member may vote again)"),
    minimum=1,
    maximum=720,
    zero_means_off=True,
    # Translators: what the voter role duration setting's "off" means, in listings.
    off_text=N_("until the member may vote again"),
    # Translators: a setting's name in listings ("voter role duration: 12 hours").
    label=N_("voter role duration"),
    unit="hour",
)

VOTE = FeatureSpec(
    "vote",
    # Translators: a feature's name in /feature listings.
    N_("Vote rewards (/vote, thank-yous, voter role)"),
    grants_role=True,
    enabled_by_default=True,
    settings=(THANK_YOU, ROLE_HOURS),
    package="rewards",
    # Translators: fits "Survival's … will be posted in this channel."
    posts=N_("thank-yous for votes"),
)

FEATURES = (VOTE,)
