"""The README's invite URL asks for every permission the features declare they need, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import discord

from bot.app.extensions import features
from bot.core.guild_checks import invite_url, needed_permissions

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_invite_url_grants_what_the_features_need() -> None:
    text = README.read_text()
    urls = re.findall(r"https://discord\.com/oauth2/authorize\?\S+", text)
    assert urls, "the README shows no invite URL"
    needed = needed_permissions(features())
    assert needed.manage_events  # the wipes' Discord scheduled events
    assert needed.manage_roles and needed.send_messages and needed.embed_links
    for url in urls:
        asked = discord.Permissions(int(re.search(r"permissions=(\d+)", url).group(1)))  # type: ignore[union-attr]
        missing = [name for name, value in needed if value and not getattr(asked, name)]
        assert not missing, f"the README's invite URL lacks {missing}"
        assert asked == needed, "the README's invite URL asks for more than the features need"
        assert url == invite_url(0, needed).replace("client_id=0", "client_id=APP_ID")
    assert f"permissions {needed.value} =" in text  # the explanation names the same number
