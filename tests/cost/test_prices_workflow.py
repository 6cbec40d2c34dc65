"""The monthly price-refresh workflow a scaffolded repository gets (template
mlops_spec/templates/mlops-prices.yml.tmpl): rendered for a region, it fetches that region's
table and passes the offline workflow linters."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from mlops_spec.scaffold import fill
from tests.conftest import ROOT

TEMPLATE = ROOT / "mlops_spec/templates/mlops-prices.yml.tmpl"


def render(tmp_path: Path) -> Path:
    text = fill(TEMPLATE.read_text(encoding="utf-8"), {"region": "eu-west-1"})
    path = tmp_path / ".github/workflows/mlops-prices.yml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_renders_a_monthly_job_for_the_specs_region(tmp_path: Path) -> None:
    path = render(tmp_path)
    text = path.read_text()
    assert "<<" not in text
    workflow = YAML(typ="safe").load(text)
    assert workflow["on"]["schedule"] == [{"cron": "17 6 1 * *"}]
    steps = workflow["jobs"]["refresh"]["steps"]
    commands = " ".join(step.get("run", "") for step in steps)
    assert 'mlops prices fetch --region "$REGION" -o "$RUNNER_TEMP/mlops-prices.csv"' in commands
    fetch = next(step for step in steps if step.get("name") == "Fetch the prices")
    assert fetch["env"] == {"REGION": "eu-west-1"}
    assert "gh pr create" in commands
    assert all(
        "@" in step["uses"] and len(step["uses"].split("@")[1]) == 40
        for step in steps
        if "uses" in step
    ), "third-party actions pinned to commit SHAs"


@pytest.mark.parametrize("tool", ["actionlint", "zizmor"])
def test_passes_the_offline_workflow_linters(tmp_path: Path, tool: str) -> None:
    binary = Path(sys.executable).parent / tool
    found = str(binary) if binary.exists() else shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} is not installed")
    path = render(tmp_path)
    args = [found, str(path)] if tool == "actionlint" else [found, "--offline", str(path)]
    result = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
