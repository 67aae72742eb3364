"""The ``reminders`` toggle: personal reminders and the channel ping when a new vote window opens."""

from bot.core.features import FeatureSpec, SettingSpec

CHANNEL_PING = SettingSpec(
    "channel_ping",
    "bool",
    True,
    "Ping the channel (and the role) each time the server's vote cooldown starts over",
    label="channel ping when voting opens again",
)

REMINDERS = FeatureSpec(
    "reminders",
    "Vote reminders",
    needs_channel=True,
    uses_role=True,
    settings=(CHANNEL_PING,),
    package="reminders",
    channel_use=(
        "Each time voting opens again I ping that channel (and the role, if there is one), and members whose "
        "direct messages are closed get their personal reminders there too."
    ),
    posts="vote reminders",
)

FEATURES = (REMINDERS,)
