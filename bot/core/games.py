"""Game names as people read them: servers store the game as owners typed it, in lower case (``minecraft``,
``csgo``); members see ``Minecraft`` and ``Counter-Strike: Global Offensive``."""

from __future__ import annotations

_NAMES: dict[str, str] = {
    "minecraft": "Minecraft",
    "mc": "Minecraft",
    "minecraft java": "Minecraft: Java Edition",
    "minecraft bedrock": "Minecraft: Bedrock Edition",
    "bedrock": "Minecraft: Bedrock Edition",
    "mcbe": "Minecraft: Bedrock Edition",
    "fivem": "FiveM",
    "redm": "RedM",
    "gta5": "Grand Theft Auto V",
    "samp": "San Andreas Multiplayer",
    "csgo": "Counter-Strike: Global Offensive",
    "csgo2": "Counter-Strike 2",
    "cs2": "Counter-Strike 2",
    "css": "Counter-Strike: Source",
    "cstrike": "Counter-Strike",
    "counter-strike": "Counter-Strike",
    "tf2": "Team Fortress 2",
    "gmod": "Garry's Mod",
    "garrysmod": "Garry's Mod",
    "ark": "ARK: Survival Evolved",
    "l4d": "Left 4 Dead",
    "l4d2": "Left 4 Dead 2",
    "left4dead2": "Left 4 Dead 2",
    "dayz": "DayZ",
    "arma3": "Arma 3",
    "7dtd": "7 Days to Die",
    "7 days to die": "7 Days to Die",
    "conan": "Conan Exiles",
    "hl2dm": "Half-Life 2: Deathmatch",
    "dod": "Day of Defeat",
    "dods": "Day of Defeat: Source",
    "projectzomboid": "Project Zomboid",
    "pz": "Project Zomboid",
    "vrising": "V Rising",
}


def game_name(game: str) -> str:
    """``minecraft`` → ``Minecraft``, ``csgo`` → ``Counter-Strike: Global Offensive``; a game the bot does not know
    is shown with its words capitalised (``space engineers`` → ``Space Engineers``)."""
    key = " ".join(game.split()).lower()
    if key in _NAMES:
        return _NAMES[key]
    return " ".join(word[:1].upper() + word[1:] for word in key.split(" "))
