"""docs/plan-and-diff.md states the danger table the code uses."""

from __future__ import annotations

import re
from pathlib import Path

from mlops_preview.stateful import STATEFUL_TYPES

DOC = Path(__file__).resolve().parents[2] / "docs" / "plan-and-diff.md"


def test_danger_table_matches_the_module():
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$", DOC.read_text(), re.M)
    documented = {
        type_: (what.strip(), holds.strip(), frozenset(re.findall(r"`([^`]+)`", inputs)))
        for type_, what, holds, inputs in rows
    }
    assert documented == {
        type_: (entry.description, entry.holds, entry.replace_on)
        for type_, entry in STATEFUL_TYPES.items()
    }
