"""Persistent components that more than one feature shows.

The "Remind me" button appears under /vote and under thank-you messages; the reminders feature handles
presses (its ``DynamicItem`` matches :data:`REMIND_ME_TEMPLATE`). Other features only build the button.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.core.i18n import _

REMIND_ME_TEMPLATE = r"reminders:remind:(?P<server_id>[0-9]{1,19})"


def remind_me_custom_id(server_id: int) -> str:
    return f"reminders:remind:{server_id}"


def remind_me_button(server_id: int) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        # Translators: button under /vote and thank-you posts; asks for a DM when the member may vote again.
        label=_("Remind me"),
        emoji="⏰",
        style=discord.ButtonStyle.secondary,
        custom_id=remind_me_custom_id(server_id),
    )


def view_of(*items: discord.ui.Item[Any]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view
