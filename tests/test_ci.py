"""CI runs exactly the README's test command, after installing Debian's chromium for the browser tests."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readmes_test_command_after_installing_chromium() -> None:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"\*\*Install and test\*\*[^\n]*\n`([^`]+)`", readme)
    assert found, "the README has no test command"
    steps = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert steps[-1] == found.group(1)  # the README's command itself, last and unchanged
    chromium = next(i for i, line in enumerate(steps) if "apt-get install" in line)
    assert steps[chromium].startswith("command -v chromium >/dev/null ||") and chromium < len(steps) - 1
    assert "chromium" in readme[found.end() : found.end() + 400]  # the README says the browser tests need it
