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
SCANNED = sorted([*ROOT.glob("cogs/**/*.py"), *ROOT.glob("bot/core/*.py"), ROOT / "bot/votes/credentials.py"])
MARKERS = {"_", "n_", "p_", "N_"}
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}
OPERATOR_ERRORS = {
    "ValueError", "RuntimeError", "LookupError", "TypeError", "KeyError", "NotImplementedError", "AssertionError",
    "ConfigError", "MigrationError", "OSError", "ConnectionError", "TimeoutError", "ProtocolError",
}  # fmt: skip
COMMAND_DECLARATIONS = {"command", "describe", "rename", "choices", "Choice", "Group", "guild_only"}
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER)\b|\bFROM\s+\w+\s|\bWHERE\b", re.IGNORECASE)
WORDS = re.compile(r"[^\W\d_]{2,}[ '’][^\W\d_]{2,}")  # two words: a phrase someone reads
LABEL = re.compile(r"[A-Z][a-z]{2,}[.!?]?")  # one capitalised word: a heading, a button

ALLOWED: dict[tuple[str, str], str] = {
    # (file, the text's start): why it stays English
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
            if name in MARKERS or name in COMMAND_DECLARATIONS:
                skip(node)
            elif isinstance(node.func, ast.Attribute) and name in LOG_METHODS:
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
