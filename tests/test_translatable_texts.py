"""No English text reaches a member untranslated: every literal in the features and the core that reads like a
sentence or a label goes through the catalog (``_``, ``n_``, ``p_``, ``N_``).

Not people's texts, so left out: docstrings, log lines, exceptions for operators (ValueError, RuntimeError …),
SQL, and the slash commands' decorators, whose texts are extracted from the command tree (bot/cli/catalogs.py)
and translated by the CommandTranslator. What remains and is English on purpose is listed in ``ALLOWED`` with
its reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_TEXTS = {
    "bot/core/i18n.py": "each language's own name, shown as it is in every language",
    "bot/core/command_translator.py": "the translator itself: catalog contexts and comments for translators",
    "bot/core/games.py": "game titles: brand names, shown as they are",
    "bot/core/charts.py": "matplotlib's own keys; every text a chart shows comes from its caller, translated",
}
SCANNED = sorted(
    path
    for path in [*ROOT.glob("cogs/**/*.py"), *ROOT.glob("bot/core/*.py"), ROOT / "bot/votes/credentials.py"]
    if path.relative_to(ROOT).as_posix() not in NOT_TEXTS
)
MARKERS = {"_", "n_", "p_", "N_", "N_plural"}
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}
OPERATOR_ERRORS = {
    "ValueError", "RuntimeError", "LookupError", "TypeError", "KeyError", "NotImplementedError", "AssertionError",
    "ConfigError", "MigrationError", "OSError", "ConnectionError", "TimeoutError", "ProtocolError", "RetryLater",
    "QueryError",
}  # fmt: skip
COMMAND_DECLARATIONS = {"command", "describe", "rename", "choices", "Choice", "Group", "guild_only"}
SQL = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER)\b|\bFROM\s+\w+\s|\bWHERE\b|\b(ORDER|GROUP) BY\b",
    re.IGNORECASE,
)
WORDS = re.compile(r"[^\W\d_]{2,}[ '’][^\W\d_]{2,}")  # two words: a phrase someone reads
LABEL = re.compile(r"[A-Z][a-z]{2,}[.!?]?")  # one capitalised word: a heading, a button

OPTION_DESCRIPTION = "an option's description: extracted from the command tree and translated by the CommandTranslator"
PROBE_DETAIL = "a probe's technical detail, shown inside a translated 'bad answer: {detail}' (cogs/status/views.py)"
ALLOWED: dict[tuple[str, str], str] = {
    # (file, the text's start): why it stays English
    ("bot/core/turns.py", "Context"): "a type variable's name",
    ("bot/core/audit_texts.py", "Discord"): "a name, the same in every language (and API beside it)",
    ("cogs/rewards/roles.py", "voter roles in guild"): "the name of the guild's role turns in log lines and tasks",
    ("cogs/rewards/thanks.py", "thank-you posts in channel"): "the name of the channel's turns in log lines and tasks",
    ("bot/core/autocomplete.py", "Game server, by name or id"): OPTION_DESCRIPTION,
    ("bot/core/features.py", "failed check"): "a unit's key; its words come from the plural-aware unit texts",
    ("cogs/status/spec.py", "failed check"): "a unit's key; its words come from the plural-aware unit texts",
    ("bot/core/guild_checks.py", "View Channel"): "a permission label compared in code; translated where shown",
    ("bot/core/guild_checks.py", "Send Messages"): "a permission label compared in code; translated where shown",
    ("bot/core/guild_checks.py", "Embed Links"): "a permission label compared in code; translated where shown",
    ("bot/core/messaging.py", "Missing Permissions"): "Discord's own error text, shown as Discord words it",
    ("bot/core/link_proof.py", "unknown code"): "an outcome of the HTTP API for game-server plugins",
    ("bot/core/link_proof.py", "code expired"): "an outcome of the HTTP API for game-server plugins",
    ("bot/core/link_proof.py", "code already used"): "an outcome of the HTTP API for game-server plugins",
    ("bot/core/link_proof.py", "code was issued for another"): "an outcome of the HTTP API for game-server plugins",
    ("bot/core/link_proof.py", "too many failed attempts"): "an outcome of the HTTP API for game-server plugins",
    ("bot/votes/credentials.py", "<set webhooks.public_url>"): "a stand-in URL; Discord shows a translated note",
    ("bot/votes/credentials.py", "<this machine's public address>"): "a stand-in; Discord shows a translated note",
    ("bot/votes/credentials.py", "Votifier"): "a brand name",
    ("cogs/events/service.py", "no feature handles "): "a note in the event API's JSON answer",
    ("cogs/events/service.py", "server removed"): "a note in the event API's JSON answer",
    ("cogs/giveaways/cog.py", "Giveaways"): "the cog's key",
    ("cogs/giveaways/views.py", "Giveaways"): "the cog's key",
    ("cogs/reminders/views.py", "Reminders"): "the cog's key",
    ("cogs/links/service.py", "`/votebot link "): "the in-game command of the game-server plugin",
    ("cogs/reviews/repository.py", " IS NOT NULL DO UPDATE"): "SQL",
    ("cogs/reviews/repository.py", "', $2, $3, $4, $5)"): "SQL",
    ("cogs/reviews/topgg.py", "Authorization"): "an HTTP header",
    ("cogs/reviews/topgg.py", "Bearer "): "an HTTP header",
    ("cogs/setup/cog.py", "I am not in guild {guild_id}"): "!sync: the bot owner's own command (no locale known)",
    ("cogs/setup/cog.py", "globally (Discord may take"): "!sync: the bot owner's own command (no locale known)",
    ("cogs/setup/cog.py", "to guild "): "!sync: the bot owner's own command (no locale known)",
    ("cogs/setup/cog.py", "Synced "): "!sync: the bot owner's own command (no locale known)",
    ("cogs/setup/cog.py", "Usage: `!sync`"): "!sync: the bot owner's own command (no locale known)",
    ("cogs/setup/cog.py", "Sync failed"): "!sync: the bot owner's own command (no locale known)",
    ("cogs/status/http_probe.py", "HTTP connection to a private"): "a log line's text",
    ("cogs/status/http_probe.py", "aiohttp with ClientSession"): "a comment for developers",
    ("cogs/status/targets.py", "minecraft java"): "a protocol key",
    ("cogs/status/targets.py", "minecraft bedrock"): "a protocol key",
    ("cogs/status/targets.py", "7 days to die"): "a protocol key",
    ("cogs/status/targets.py", "query port"): "an argument's key",
    **{
        ("cogs/status/query.py", start): PROBE_DETAIL
        for start in (
            "not JSON",
            "player count is not",
            "player count out of",
            "unexpected answer type",
            "dynamic.json is not",
            " has no status call",
            "no answer within ",
            "connection refused",
            "network error: ",
            "bad answer: ",
        )
    },
    **{
        ("cogs/status/wire.py", start): PROBE_DETAIL
        for start in (
            "answer larger than ",
            "more than ",
            "broken bz2 data",
            " KiB once decompressed",
            "truncated bz2 data",
            "CRC32 mismatch",
            "split packet ",
            "Source",
        )
    },
}


def _called(node: ast.Call) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _skipped_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()

    def skip(node: ast.AST) -> None:
        skipped.update(id(sub) for sub in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip(first)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip(node)  # attribute docstrings
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for decorator in node.decorator_list:
                skip(decorator)
        if isinstance(node, ast.ClassDef):
            for keyword in node.keywords:
                skip(keyword)
        if isinstance(node, ast.Call):
            name = _called(node)
            logged = isinstance(node.func, ast.Attribute) and name in LOG_METHODS
            if name in MARKERS or name in COMMAND_DECLARATIONS or logged:
                skip(node)
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and _called(node.exc) in OPERATOR_ERRORS:
            skip(node)
    return skipped


def untranslated(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _skipped_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            text = node.value
            if (WORDS.search(text) and not SQL.search(text)) or LABEL.fullmatch(text.strip()):
                found.append((node.lineno, text))
    return sorted(found)


def test_every_text_a_person_reads_goes_through_the_catalog() -> None:
    hits = []
    used = set()
    for path in SCANNED:
        relative = path.relative_to(ROOT).as_posix()
        for line, text in untranslated(path):
            allowed = next((key for key in ALLOWED if key[0] == relative and text.startswith(key[1])), None)
            if allowed is None:
                hits.append(f"{relative}:{line}: {text[:80]!r}")
            else:
                used.add(allowed)
    assert hits == []
    assert set(ALLOWED) - used == set(), "ALLOWED lists texts that are gone"
