"""docs/cost.md shows what `mlops cost` prints for the churn example with the fixture prices."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from mlops_spec.cli import app
from tests.conftest import ROOT

DOC = ROOT / "docs" / "cost.md"


def test_the_example_output_is_what_the_command_prints() -> None:
    result = CliRunner().invoke(
        app,
        [
            "cost",
            str(ROOT / "examples/churn/mlops.yaml"),
            "--stack",
            "prod",
            "--prices",
            str(ROOT / "tests/cost/fixtures/prices.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    printed = [re.sub(r"[│┃]", " ", line).split() for line in result.stdout.splitlines()]
    doc = DOC.read_text()
    shown = [line.split() for line in doc.splitlines() if line.startswith(" churn-classifier ")]
    assert shown and all(row in printed for row in shown)
    for line in doc.splitlines():
        if line.startswith(("total: ", "[1] ", "[2] ", "[3] ", "[4] ", "CloudWatch, not priced")):
            assert line in result.stdout
