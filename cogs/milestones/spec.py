"""The ``milestones`` toggle: monthly vote thresholds, an every-N-votes total, and rank-ups."""

from bot.core.features import FeatureSpec, SettingSpec
from bot.core.i18n import N_

THRESHOLDS = SettingSpec(
    "thresholds",
    "int_list",
    [50, 100, 250, 500, 1000],
    N_("Monthly vote counts, e.g. 50, 100, 250, 500, 1000 (each announced once per month)"),
    minimum=1,
    maximum=10**9,
    max_items=20,
    # Translators: the name of a setting, lower case.
    label=N_("milestone thresholds"),
    unit="vote",
)
EVERY = SettingSpec(
    "every",
    "int",
    None,
    N_("Also announce every N votes in total (0 turns it off)"),
    minimum=1,
    maximum=1_000_000,
    zero_means_off=True,
    # Translators: the name of a setting, lower case (an announcement every N votes in total).
    label=N_("total-votes announcement"),
    unit="vote",
    every=True,
)

MILESTONES = FeatureSpec(
    "milestones",
    N_("Vote milestones and rank-ups"),
    needs_channel=True,
    settings=(THRESHOLDS, EVERY),
    package="milestones",
    # Translators: fits "Survival's … will be posted in this channel."
    posts=N_("vote milestones and rank-ups"),
)

FEATURES = (MILESTONES,)
