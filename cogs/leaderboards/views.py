"""The top-10 board and the daily leaderboard post. Player names are escaped; nothing pings anyone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import discord

from bot.core.i18n import N_, _, day_name, n_, number, percent
from bot.core.people import Person, Presence
from bot.core.text import escape, safe_name
from bot.core.time import day_label, month_label
from bot.db.records import Server
from bot.db.votes import Voter
from cogs.leaderboards.recap import MonthFigures

MEDALS = ("🥇", "🥈", "🥉")
VOTE_COLOUR = discord.Colour.from_rgb(88, 101, 242)
# Translators: stands for a voter Discord no longer knows (a deleted account), in a ranking.
FORMER_MEMBER = N_("a former member")


def voter_label(voter: Voter, people: Mapping[int, Person]) -> str:
    """A member still in the guild is mentioned (Discord shows their name); anyone else is named in plain text."""
    suffix = f" ({safe_name(voter.name)})" if voter.name else ""
    if voter.member_id is None:
        return safe_name(voter.name)
    person = people.get(voter.member_id)
    if person is None or person.presence in (Presence.MEMBER, Presence.UNCHECKED):
        return f"<@{voter.member_id}>{suffix}"
    if person.presence is Presence.OUTSIDER and person.name:
        return f"{safe_name(person.name, _(FORMER_MEMBER))}{suffix}"
    return f"{_(FORMER_MEMBER)}{suffix}"


def ranking_lines(voters: Sequence[Voter], people: Mapping[int, Person], empty: str) -> str:
    lines = []
    for position, voter in enumerate(voters, start=1):
        mark = MEDALS[position - 1] if position <= len(MEDALS) else f"`{position:>2}.`"
        lines.append(
            # Translators: a line of a leaderboard; {mark} is a medal or the position, {voter} a mention or a name.
            n_(
                "{mark} {voter} — **{count}** vote",
                "{mark} {voter} — **{count}** votes",
                voter.votes,
                mark=mark,
                voter=voter_label(voter, people),
            )
        )
    return "\n".join(lines) or empty


def top10_embed(
    server: Server, month_key: str, voters: Sequence[Voter], now: dt.datetime, people: Mapping[int, Person]
) -> discord.Embed:
    month = month_label(month_key)
    embed = discord.Embed(
        # Translators: title of the live top-10 board; {month} is a heading such as "November 2026".
        title=_("Top voters of {server} — {month}", server=escape(server.name), month=month),
        description=ranking_lines(voters, people, _("No votes yet in {month}.", month=month)),
        colour=VOTE_COLOUR,
        timestamp=now,
    )
    # Translators: footer of the live top-10 board, followed by the time of the last update (shown by Discord).
    embed.set_footer(text=_("Last updated"))
    return embed


def daily_embed(
    server: Server,
    day_key: str,
    yesterday: Sequence[Voter],
    month_key: str,
    month: Sequence[Voter],
    *,
    month_over: bool,
    people: Mapping[int, Person],
) -> discord.Embed:
    """Day D's post: D-1's voters, and the month of D-1 — so far, or its final standings when D is the 1st."""
    embed = discord.Embed(title=_("{server} vote leaderboard", server=escape(server.name)), colour=VOTE_COLOUR)
    embed.add_field(
        # Translators: a heading of the daily leaderboard post; {day} is a date such as "30 November 2026".
        name=_("Yesterday ({day})", day=day_label(day_key)),
        value=ranking_lines(yesterday, people, _("No votes were cast yesterday.")),
        inline=False,
    )
    name = month_label(month_key)
    if month_over:
        # Translators: a heading of the daily leaderboard post on the 1st; {month} is "November 2026".
        title, empty = _("{month} — final standings", month=name), _("No votes were cast in {month}.", month=name)
    else:
        # Translators: a heading of the daily leaderboard post; {month} is "November 2026".
        title, empty = _("{month} so far", month=name), _("No votes yet in {month}.", month=name)
    embed.add_field(name=title, value=ranking_lines(month, people, empty), inline=False)
    return embed


def recap_chart_title(figures: MonthFigures) -> str:
    """The recap chart's title, also its picture's alt text."""
    # Translators: the title of the monthly recap's chart (bars per day, stacked by listing site); {month} is
    # "October 2026".
    return _("Votes per day in {month}, by listing site", month=month_label(figures.month.key))


def signed(value: int) -> str:
    """``+12``, ``-3``, ``0`` in the language in force."""
    return f"+{number(value)}" if value > 0 else number(value)


def change_text(figures: MonthFigures) -> str:
    """The month's total against the month before: absolute and signed percent (no percent after an empty month)."""
    month, before = month_label(figures.month.key), month_label(figures.before.key)
    values = {"month": month, "before": before}
    ratio = figures.ratio
    if ratio is None:
        # Translators: the monthly recap's total when the month before had no votes; {month} and {before} are
        # "October 2026" and "September 2026".
        return n_(
            "**{count}** vote in {month}; none in {before}.",
            "**{count}** votes in {month}; none in {before}.",
            figures.total,
            **values,
        )
    change = signed(figures.change)
    shown = ("+" if ratio > 0 else "") + percent(ratio)
    # Translators: the monthly recap's total; {change} is the difference in votes (+12, -3, 0) and {percent}
    # the same as a share of the month before (+25%, -10%).
    return n_(
        "**{count}** vote in {month}: {change} ({percent}) against {previous} in {before}.",
        "**{count}** votes in {month}: {change} ({percent}) against {previous} in {before}.",
        figures.total,
        change=change,
        percent=shown,
        previous=number(figures.previous_total),
        **values,
    )


def recap_embed(
    server: Server, figures: MonthFigures, people: Mapping[int, Person], image_url: str | None
) -> discord.Embed:
    """The monthly recap: the total against the month before, the top voters, the best day and the chart."""
    month = month_label(figures.month.key)
    embed = discord.Embed(
        # Translators: the title of the monthly recap posted on the 1st; {month} is "October 2026".
        title=_("{server} — {month} in review", server=escape(server.name), month=month),
        description=change_text(figures),
        colour=VOTE_COLOUR,
    )
    embed.add_field(
        # Translators: a heading of the monthly recap.
        name=_("Top voters"),
        # Translators: in the monthly recap, when the month's votes carry no voter (no player name, no member).
        value=ranking_lines(figures.voters, people, _("No named voters in {month}.", month=month)),
        inline=False,
    )
    best = figures.best_day
    if best is not None:
        day, count = best
        embed.add_field(
            # Translators: a heading of the monthly recap: the day with the most votes.
            name=_("Best day"),
            # Translators: {day} is a date such as "October 12, 2026".
            value=n_("{day}: **{count}** vote", "{day}: **{count}** votes", count, day=day_name(day)),
            inline=False,
        )
    if image_url:
        embed.set_image(url=image_url)
    return embed


def role_refused_text(server: Server, role: int, reason: str) -> str:
    return _(
        "I can't hand out the top-voter role <@&{role}> of **{server}**: {reason}. "
        "I keep retrying; fix it in Server Settings → Roles or pick another role with /feature enable.",
        role=role,
        server=escape(server.name),
        reason=reason,
    )


def daily_refused_text(server: Server, channel_id: int, reason: str) -> str:
    return _(
        "I can't post the daily leaderboard of **{server}** in <#{channel}> ({reason}). "
        "I keep retrying for a few hours; fix my permissions there or pick another channel with /feature enable.",
        server=escape(server.name),
        channel=channel_id,
        reason=reason,
    )


def settings_text(
    server: Server, refresh_minutes: int, post_time: str, ties: str, *, recap: bool = True, changed: bool = True
) -> str:
    """The reply to /leaderboards settings: what is now in force (and whether anything was just saved), then whether
    the monthly recap is posted."""
    if recap:
        # Translators: follows the leaderboard settings; {time} is the daily post time, e.g. 09:00.
        recap_text = _("The monthly recap of the month before is posted on the 1st at {time}.", time=post_time)
    else:
        # Translators: follows the leaderboard settings.
        recap_text = _("The monthly recap is off.")
    return _ranking_settings_text(server, refresh_minutes, post_time, ties, changed=changed) + " " + recap_text


def _ranking_settings_text(server: Server, refresh_minutes: int, post_time: str, ties: str, *, changed: bool) -> str:
    values = {"server": escape(server.name), "time": post_time, "zone": server.timezone}
    if changed and ties == "all":
        return n_(
            "Leaderboard settings of **{server}** saved: the live top-10 board refreshes every minute, "
            "the daily post goes out at {time} ({zone}), and on a tie the top-voter role goes to "
            "everyone tied for the most votes.",
            "Leaderboard settings of **{server}** saved: the live top-10 board refreshes every {count} minutes, "
            "the daily post goes out at {time} ({zone}), and on a tie the top-voter role goes to "
            "everyone tied for the most votes.",
            refresh_minutes,
            **values,
        )
    if changed:
        return n_(
            "Leaderboard settings of **{server}** saved: the live top-10 board refreshes every minute, "
            "the daily post goes out at {time} ({zone}), and on a tie the top-voter role goes to "
            "only the first to reach the most votes.",
            "Leaderboard settings of **{server}** saved: the live top-10 board refreshes every {count} minutes, "
            "the daily post goes out at {time} ({zone}), and on a tie the top-voter role goes to "
            "only the first to reach the most votes.",
            refresh_minutes,
            **values,
        )
    if ties == "all":
        return n_(
            "Leaderboard settings of **{server}** (nothing changed: give an option to change it): the live top-10 "
            "board refreshes every minute, the daily post goes out at {time} ({zone}), and on a tie the top-voter "
            "role goes to everyone tied for the most votes.",
            "Leaderboard settings of **{server}** (nothing changed: give an option to change it): the live top-10 "
            "board refreshes every {count} minutes, the daily post goes out at {time} ({zone}), and on a tie the "
            "top-voter role goes to everyone tied for the most votes.",
            refresh_minutes,
            **values,
        )
    return n_(
        "Leaderboard settings of **{server}** (nothing changed: give an option to change it): the live top-10 "
        "board refreshes every minute, the daily post goes out at {time} ({zone}), and on a tie the top-voter "
        "role goes to only the first to reach the most votes.",
        "Leaderboard settings of **{server}** (nothing changed: give an option to change it): the live top-10 "
        "board refreshes every {count} minutes, the daily post goes out at {time} ({zone}), and on a tie the "
        "top-voter role goes to only the first to reach the most votes.",
        refresh_minutes,
        **values,
    )
