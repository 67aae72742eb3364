"""The ``milestones`` toggle: monthly vote thresholds, an every-N-votes total, and rank-ups."""

from bot.core.features import FeatureSpec, SettingSpec

THRESHOLDS = SettingSpec(
    "thresholds",
    "int_list",
    [50, 100, 250, 500, 1000],
    "Monthly vote counts, e.g. 50, 100, 250, 500, 1000 (each announced once per month)",
    minimum=1,
    maximum=10**9,
    max_items=20,
    label="milestone thresholds",
    unit="vote",
)
EVERY = SettingSpec(
    "every",
    "int",
    None,
    "Also announce every N votes in total (0 turns it off)",
    minimum=1,
    maximum=1_000_000,
    zero_means_off=True,
    label="total-votes announcement",
    unit="vote",
    every=True,
)

MILESTONES = FeatureSpec(
    "milestones",
    "Vote milestones and rank-ups",
    needs_channel=True,
    settings=(THRESHOLDS, EVERY),
    package="milestones",
    posts="vote milestones and rank-ups",
)

FEATURES = (MILESTONES,)
