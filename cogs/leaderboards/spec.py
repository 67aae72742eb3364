"""The leaderboards package's toggles: the monthly top-voter role, the daily post and the live top-10 board."""

from bot.core.features import FeatureSpec, SettingSpec
from bot.core.i18n import N_

TIES = SettingSpec(
    "ties",
    "choice",
    "all",
    N_("Top-voter role on a tie: everyone tied, or only the first to reach the count"),
    choices=("all", "first"),
    # Translators: the name of a setting, lower case, as in "The tie rule is …".
    label=N_("tie rule"),
    choice_labels=(N_("everyone tied gets the role"), N_("only the first to reach the count gets the role")),
)
POST_TIME = SettingSpec(
    "post_time",
    "time",
    "09:00",
    N_("Local time of the daily leaderboard post, e.g. 09:00 (server time zone)"),
    # Translators: the name of a setting, lower case.
    label=N_("daily post time"),
)
MONTHLY_RECAP = SettingSpec(
    "monthly_recap",
    "bool",
    True,
    N_("Post last month's recap (total, top 10, best day, chart) on the 1st at the daily post time"),
    # Translators: a setting's name in listings ("monthly recap: on").
    label=N_("monthly recap"),
)
REFRESH_MINUTES = SettingSpec(
    "refresh_minutes",
    "int",
    10,
    N_("Minutes between top-10 board refreshes (votes also update it)"),
    minimum=1,
    maximum=60,
    option="board_refresh",
    # Translators: the name of a setting, lower case (how often the live top-10 board is refreshed).
    label=N_("board refresh"),
    unit="minute",
    every=True,
)

TOP_VOTER_ROLE = FeatureSpec(
    "top_voter_role",
    N_("Top-voter role"),
    needs_role=True,
    grants_role=True,
    settings=(TIES,),
    package="leaderboards",
    role_use=N_(
        "On the 1st of each month (in the server's time zone) I give it to last month's top voter and take it "
        "from the previous holders."
    ),
)
DAILY_LEADERBOARD = FeatureSpec(
    "daily_leaderboard",
    N_("Daily leaderboard post"),
    needs_channel=True,
    settings=(POST_TIME, MONTHLY_RECAP),
    package="leaderboards",
    # Translators: fits "Survival's … will be posted in this channel."
    posts=N_("daily vote leaderboard"),
)
TOP10_BOARD = FeatureSpec(
    "top10_board",
    N_("Live top-10 voters board"),
    needs_channel=True,
    settings=(REFRESH_MINUTES,),
    package="leaderboards",
    # Translators: fits "Survival's … will be posted in this channel."
    posts=N_("live top-10 voters board"),
)

FEATURES = (TOP_VOTER_ROLE, DAILY_LEADERBOARD, TOP10_BOARD)
