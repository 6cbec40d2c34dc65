"""The README's layout table matches the tree: every top-level directory of the repository
has a row, and every directory a row names exists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROW = re.compile(r"^\| (?P<paths>[^|]+) \| (?P<what>[^|]*) \|$")
CODE = re.compile(r"`([^`]+)`")


def _layout_rows(readme: str) -> list[tuple[list[str], list[str]]]:
    section = readme.split("## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        match = ROW.match(line)
        if match and not line.startswith("| path ") and not line.startswith("| ---"):
            rows.append((CODE.findall(match["paths"]), CODE.findall(match["what"])))
    return rows


def test_every_top_level_directory_has_a_row_and_every_row_exists(root: Path) -> None:
    rows = _layout_rows((root / "README.md").read_text())
    listed = {path.rstrip("/") for paths, _ in rows for path in paths}
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    top_dirs = {f.split("/", 1)[0] for f in tracked if "/" in f and not f.startswith(".")}
    assert top_dirs <= listed, f"directories without a row: {sorted(top_dirs - listed)}"
    for paths, mentioned in rows:
        for path in paths:
            assert (root / path).is_dir(), path
        for sub in (m for m in mentioned if re.fullmatch(r"[\w.-]+/", m)):  # `plan/` and such
            assert any((root / path / sub).is_dir() for path in paths), (paths, sub)
