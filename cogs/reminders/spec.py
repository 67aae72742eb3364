"""The ``reminders`` toggle: personal reminders and the channel ping when a new vote window opens."""

from bot.core.features import FeatureSpec, SettingSpec
from bot.core.i18n import N_

CHANNEL_PING = SettingSpec(
    "channel_ping",
    "bool",
    True,
    N_("Ping the channel (and the role) each time the server's vote cooldown starts over"),
    # Translators: a setting's name in listings ("channel ping when voting opens again: on").
    label=N_("channel ping when voting opens again"),
)

REMINDERS = FeatureSpec(
    "reminders",
    # Translators: a feature's name in /feature listings.
    N_("Vote reminders"),
    needs_channel=True,
    uses_role=True,
    settings=(CHANNEL_PING,),
    package="reminders",
    channel_use=N_(
        "Each time voting opens again I ping that channel (and the role, if there is one), and members whose "
        "direct messages are closed get their personal reminders there too."
    ),
    # Translators: fits "Survival's … will be posted in this channel."
    posts=N_("vote reminders"),
)

FEATURES = (REMINDERS,)
