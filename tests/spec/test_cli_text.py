"""The commands' text output, as people read it (the JSON output is tested in test_cli.py).
Rich loads only when a command prints text (``mlops_spec.cli_common``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


def test_explain_prints_a_table_as_text(mlops_bin: str, root: Path) -> None:
    spec = str(root / "examples/churn/mlops.yaml")
    path = "models.churn-classifier.serving.instance_type"
    result = subprocess.run(
        [mlops_bin, "explain", spec, "--stack", "dev", path],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert path in result.stdout
    assert "ml.c5.large" in result.stdout


def test_validate_prints_the_summary_table_as_text(mlops_bin: str, root: Path) -> None:
    spec = str(root / "examples/churn/mlops.yaml")
    result = subprocess.run(
        [mlops_bin, "validate", spec], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Resolved spec per stack" in result.stdout
    assert "churn-classifier" in result.stdout


def test_a_location_on_line_100_prints_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    """Rich reads ``:100:`` as an emoji code; the CLI's consoles must print it as text."""
    from mlops_spec.cli_common import fail
    from mlops_spec.errors import Problem

    fail([Problem(file="mlops.yaml", line=100, column=9, loc=("system",), message="bad")])
    assert "mlops.yaml:100:9: spec.system: bad" in capsys.readouterr().err


def test_the_summary_sizes_cluster_models_by_their_pods(mlops_bin: str, root: Path) -> None:
    """churn-k8s: the classifier trains in a 2 CPU / 8 GiB Job and serves from 1 CPU / 2 GiB
    pods (the example's values), not from SageMaker instance types it never uses."""
    spec = str(root / "examples/churn-k8s/mlops.yaml")
    result = subprocess.run(
        [mlops_bin, "validate", spec, "--stack", "prod"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "churn-classifier" in line)
    assert "1 CPU, 2 GiB x2-6" in row and "k8s 2 CPU, 8 GiB spot" in row
    assert "ml." not in row
