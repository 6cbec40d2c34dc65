"""docs/guardrails.md lists the rules the code runs, with the stacks each applies to."""

from __future__ import annotations

import re

from mlops_spec.guardrails import RULES
from tests.conftest import ROOT

DOC = ROOT / "docs" / "guardrails.md"


def test_rule_table_matches_the_rules() -> None:
    rows = re.findall(r"^\| `([a-z-]+)` \| (every|production) \| ", DOC.read_text(), re.M)
    assert rows == [(r.id, "production" if r.production_only else "every") for r in RULES]
