"""`mlops check PLAN.json`: exit 0 when every rule passes, 1 naming each resource and rule
broken, the mode from the plan's facts (or --mode), JSON for machines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mlops_spec.cli import app
from tests.guardrails.conftest import planned

pytestmark = pytest.mark.xdist_group("guardrails")


def write(tmp_path: Path, document: dict[str, Any], name: str = "plan.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["check", *args])


def test_a_passing_plan_exits_0(tmp_path: Path) -> None:
    result = invoke(str(write(tmp_path, planned("churn-prod"))))
    assert result.exit_code == 0, result.output
    assert "✓ 10 rules passed" in result.stderr


def test_violations_exit_1_with_urn_rule_and_resource(tmp_path: Path) -> None:
    document = planned("churn-prod")
    alarm = next(r for r in document["resources"] if r["name"] == "churn-classifier-cpu-alarm")
    alarm["inputs"]["actionsEnabled"] = False
    result = invoke(str(write(tmp_path, document)))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{alarm['urn']}: [paging] churn-prod-churn-classifier-cpu: alarm actions are disabled "
        "(actionsEnabled: false): nobody is paged"
    ]
    assert "✗ 1 violations of 1 rules" in result.stderr


def test_json_for_machines(tmp_path: Path) -> None:
    result = invoke(str(write(tmp_path, planned("churn-staging"))), "-f", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["stack"] == "staging" and data["mode"] == "facts" and data["production"] is True
    assert {v["rule"] for v in data["violations"]} == {"paging", "two-instances"}
    assert set(data["violations"][0]) == {"rule", "urn", "resource", "type", "message"}


def test_skip_accepts_a_reviewed_exception(tmp_path: Path) -> None:
    plan = str(write(tmp_path, planned("churn-staging")))
    result = invoke(plan, "--skip", "paging", "--skip", "two-instances")
    assert result.exit_code == 0, result.output
    assert "skipped: two-instances (skipped with --skip); paging (skipped with --skip)" in (
        result.stderr
    )
    unknown = invoke(plan, "--skip", "pagin")
    assert unknown.exit_code == 2
    assert "unknown rule pagin" in unknown.output


def test_a_version_1_plan_is_checked_as_production_unless_told(tmp_path: Path) -> None:
    document = planned("churn-dev")
    del document["facts"]
    document["format_version"] = 1
    plan = str(write(tmp_path, document))
    assumed = invoke(plan)
    assert assumed.exit_code == 1
    assert "does not record the stack's mode" in assumed.stderr
    assert "[stateful-protected]" in assumed.stdout
    assert invoke(plan, "--mode", "development").exit_code == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", "not JSON"), ('{"stack": "dev"}', "not a plan document")],
)
def test_a_file_that_is_not_a_plan_is_an_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(text)
    result = invoke(str(path))
    assert result.exit_code == 1
    assert f"{path}: {message}" in result.stderr
