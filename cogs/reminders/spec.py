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
        "The channel gets a ping (with the role, if you give one) each time the vote cooldown starts over, "
        "and the reminders of members whose direct messages are closed."
    ),
)

FEATURES = (REMINDERS,)
