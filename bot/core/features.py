"""The per-server feature toggles (see DESIGN.md) and what each one needs to run."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import UserError

MASTER_SWITCH = "all"


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    name: str
    label: str
    needs_channel: bool = False
    needs_role: bool = False
    uses_role: bool = False
    grants_role: bool = False  # the bot hands the role out (so it must sit below the bot's own role)
    enabled_by_default: bool = False


FEATURES: dict[str, FeatureSpec] = {
    spec.name: spec
    for spec in (
        FeatureSpec("vote", "/vote command and voter rewards", grants_role=True, enabled_by_default=True),
        FeatureSpec("reminders", "Vote reminders", needs_channel=True, uses_role=True),
        FeatureSpec("status_board", "Live status board", needs_channel=True),
        FeatureSpec("offline_alerts", "Offline and recovery alerts", needs_channel=True, uses_role=True),
        FeatureSpec("milestones", "Vote milestones and rank-ups", needs_channel=True),
        FeatureSpec("reviews", "New review alerts", needs_channel=True),
        FeatureSpec("wipes", "Wipe and event announcements", needs_channel=True, uses_role=True),
        FeatureSpec("top_voter_role", "Top-voter role", needs_role=True, grants_role=True),
        FeatureSpec("giveaways", "Giveaways", needs_channel=True),
        FeatureSpec("daily_leaderboard", "Daily leaderboard post", needs_channel=True),
        FeatureSpec("top10_board", "Live top-10 voters board", needs_channel=True),
    )
}


def feature_spec(name: str) -> FeatureSpec:
    """The feature called ``name``; a clear :class:`UserError` for anything else (command input is not trusted)."""
    try:
        return FEATURES[name]
    except KeyError:
        known = ", ".join([*FEATURES, MASTER_SWITCH])
        raise UserError(f"Unknown feature {name[:40]!r}; choose one of: {known}.") from None
