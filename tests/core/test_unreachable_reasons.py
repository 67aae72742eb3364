"""An Unreachable's reason: English for logs, in the language in force where a notice shows it."""

from __future__ import annotations

import discord
import pytest
from babel.support import NullTranslations

from bot.core import i18n
from bot.core.guild_checks import refusal_to_grant
from bot.core.i18n import N_
from bot.core.messaging import DangerousRole, Gone, Unreachable


class PseudoFrench(NullTranslations):
    def gettext(self, message: str) -> str:
        return f"[fr] {message}"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"[fr] {singular if n == 1 else plural}"


@pytest.fixture(autouse=True)
def pseudo_french(monkeypatch: pytest.MonkeyPatch) -> None:
    english = NullTranslations()
    monkeypatch.setattr(i18n, "_translations", lambda identifier: PseudoFrench() if identifier == "fr" else english)


FRENCH = i18n.language("fr")


def test_a_reason_is_english_for_logs_and_translated_when_shown() -> None:
    assert FRENCH is not None
    with i18n.speaking(FRENCH):  # raised inside a server's language: still English in the log
        gone = Gone(N_("the role no longer exists"))
        refused = Unreachable(N_("Discord refused ({error})"), error="Missing Access")
    assert gone.reason == str(gone) == "the role no longer exists"
    assert refused.reason == "Discord refused (Missing Access)"
    assert gone.shown == "the role no longer exists"
    with i18n.speaking(FRENCH):
        assert gone.shown == "[fr] the role no longer exists"
        assert refused.shown == "[fr] Discord refused (Missing Access)"


def test_a_dangerous_role_is_worded_with_its_permissions_in_each_language() -> None:
    assert FRENCH is not None
    permissions = discord.Permissions(ban_members=True, kick_members=True)
    error = DangerousRole(lambda: refusal_to_grant(permissions) or "")
    assert error.reason == "it carries the Ban Members and Kick Members permissions, which I never hand out"
    with i18n.speaking(FRENCH):
        assert error.shown == (
            "[fr] it carries [fr] the [fr] Ban Members et [fr] Kick Members permissions, which I never hand out"
        )
