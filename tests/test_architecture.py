"""The layout of DESIGN.md, checked: package dependencies, SQL only in repositories, small cog modules, one clock."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_COG_LINES = 400
SQL = re.compile(
    r"\b(SELECT\b[\s\S]+\bFROM\b|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|ON\s+CONFLICT\b)", re.IGNORECASE
)
WALL_CLOCK = re.compile(
    r"\b(datetime\.(now|utcnow|today)|date\.today|utils\.utcnow|time\.(time|gmtime|localtime))\("
    r"|(?<![\w.])utcnow\(\)"  # bot.core.time.utcnow called instead of handed over as the default Clock
)
# The only modules that may read the host's clock, and why.
WALL_CLOCK_READERS = {
    "bot.core.time": "utcnow(): the production Clock every service is given",
    "bot.core.scheduling": "maps a clock time to APScheduler's real-time run date",
    "bot.votes.votifier.protocol": "the Votifier client stamps the vote it sends",
    "bot.cli.test_vote": "`votebot test-vote` sends a real, freshly signed vote to a running bot",
}


def modules() -> dict[str, Path]:
    found = {}
    for top in ("bot", "cogs"):
        for path in (ROOT / top).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path: Path, name: str) -> set[str]:
    """Every module ``name`` imports, statically (including ``TYPE_CHECKING`` and function-level imports)."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {m for m in found if m.split(".")[0] in ("bot", "cogs")}


def unit(module: str) -> str:
    """The package a module belongs to for the dependency rules: bot.<layer> or cogs.<feature>."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else parts[0]


def dependency_graph() -> dict[str, set[str]]:
    known = modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in known.items():
        for target in imports_of(path, name):
            known_target = target in known or any(k.startswith(target + ".") for k in known)
            if known_target and unit(target) != unit(name):
                graph[unit(name)].add(unit(target))
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[str]:
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for target in sorted(graph.get(node, ())):
            if target in path:
                cycles.append(" → ".join([*path[path.index(target) :], target]))
            elif len(path) < 12:
                visit(target, [*path, target])

    for start in sorted(graph):
        visit(start, [start])
    return sorted(set(cycles))


def test_no_import_cycle_between_packages() -> None:
    cycles = find_cycles(dependency_graph())
    assert not cycles, "import cycles between packages:\n" + "\n".join(cycles)


def test_the_core_never_imports_a_feature_package() -> None:
    offenders = [
        f"{name} imports {target}"
        for name, path in modules().items()
        if name.startswith("bot")
        for target in imports_of(path, name)
        if target.startswith("cogs")
    ]
    assert not offenders, "\n".join(offenders)


def test_no_feature_package_imports_another() -> None:
    offenders = [
        f"{name} imports {target}"
        for name, path in modules().items()
        if name.startswith("cogs.")
        for target in imports_of(path, name)
        if target.startswith("cogs.") and unit(target) != unit(name)
    ]
    assert not offenders, "\n".join(offenders)


def is_repository(name: str) -> bool:
    return name.startswith("bot.db.") or name.endswith(".repository")


def string_text(node: ast.AST) -> str | None:
    """A string literal's text; an f-string's with ``{}`` for each placeholder (``f"SELECT {cols} FROM t"``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def test_sql_lives_only_in_repository_modules() -> None:
    offenders = []
    for name, path in modules().items():
        if is_repository(name):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            text = string_text(node)
            if text is not None and SQL.search(text):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text.strip()[:60]!r}")
    assert not offenders, "SQL outside repository modules:\n" + "\n".join(offenders)


def test_cog_modules_stay_small() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in (ROOT / "cogs").rglob("cog.py")
        if (lines := len(path.read_text().splitlines())) > MAX_COG_LINES
    }
    assert not long, f"cog modules over {MAX_COG_LINES} lines (a service is missing): {long}"


def test_time_comes_from_the_injected_clock() -> None:
    """Anything that decides by time reads the Clock it was given, so tests pin it to any instant."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for name, path in modules().items()
        if name not in WALL_CLOCK_READERS
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if WALL_CLOCK.search(line)
    ]
    assert not offenders, "the host's clock read outside bot.core.time:\n" + "\n".join(offenders)


def test_every_feature_package_has_the_layout() -> None:
    for package in sorted(p for p in (ROOT / "cogs").iterdir() if p.is_dir() and not p.name.startswith("_")):
        names = {p.name for p in package.iterdir()}
        assert {"__init__.py", "cog.py"} <= names, f"{package.name}: needs __init__.py (setup) and cog.py"
        init = (package / "__init__.py").read_text()
        assert "async def setup(" in init, f"{package.name}/__init__.py must define setup(bot)"


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    """The detectors themselves: a cycle, SQL in a string, a relative import resolved to its package."""
    assert SQL.search("SELECT id FROM votes") and SQL.search("insert into x values (1)")
    fstring = ast.parse('f"SELECT {columns} FROM votes"').body[0].value  # type: ignore[attr-defined]
    assert SQL.search(string_text(fstring) or "")
    assert WALL_CLOCK.search("now = dt.datetime.now(dt.UTC)") and WALL_CLOCK.search("int(time.time())")
    assert WALL_CLOCK.search("now = utcnow()") and WALL_CLOCK.search("dt.date.today()")
    assert not WALL_CLOCK.search("now = self._clock()") and not WALL_CLOCK.search("clock: Clock = utcnow,")
    assert not WALL_CLOCK.search("started = time.monotonic()")  # durations, not the time of day
    assert find_cycles({"bot.core": {"bot.db"}, "bot.db": {"bot.core"}, "cogs.x": {"bot.core"}}) == [
        "bot.core → bot.db → bot.core",
        "bot.db → bot.core → bot.db",
    ]
    assert find_cycles({"cogs.x": {"bot.core"}, "bot.core": {"bot.db"}}) == []
    module = tmp_path / "mod.py"
    module.write_text("from .repository import X\nfrom bot.db import votes\n")
    assert imports_of(module, "cogs.demo.mod") >= {"cogs.demo.repository", "bot.db", "bot.db.votes"}
