"""The real `mlops` console script: exit codes, text and JSON output, no tracebacks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mlops_spec.schema import render

CORPUS = Path(__file__).parent / "corpus"


def run(mlops_bin: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([mlops_bin, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_validate_example_exits_0(mlops_bin: str, root: Path) -> None:
    result = run(mlops_bin, "validate", str(root / "examples/churn/mlops.yaml"))
    assert result.returncode == 0, result.stderr
    assert "is valid (dev, prod, staging)" in result.stdout


def test_validate_bad_exits_1_with_located_errors(mlops_bin: str) -> None:
    path = CORPUS / "bad/tier_typo.yaml"
    result = run(mlops_bin, "validate", str(path))
    assert result.returncode == 1
    assert f"{path}:" in result.stderr and "did you mean 'realtime'?" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_validate_json_lists_every_problem(mlops_bin: str) -> None:
    result = run(mlops_bin, "validate", str(CORPUS / "bad/secrets.yaml"), "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    paths = {p["path"] for p in report["problems"]}
    assert "models.fraud.training.hyperparameters.api_key" in paths
    assert all(p["line"] for p in report["problems"])


def test_validate_json_success(mlops_bin: str, root: Path) -> None:
    result = run(
        mlops_bin, "validate", str(root / "examples/ltv/mlops.yaml"), "-s", "prod", "-f", "json"
    )
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["stacks"]["prod"]["environment"]["protect"] is True


def test_unknown_stack_is_an_error(mlops_bin: str, root: Path) -> None:
    result = run(mlops_bin, "validate", str(root / "examples/ltv/mlops.yaml"), "--stack", "qa")
    assert result.returncode == 1
    assert "no environment 'qa'" in result.stderr and "allowed dev, prod" in result.stderr


def test_missing_file_is_exit_1(mlops_bin: str, tmp_path: Path) -> None:
    result = run(mlops_bin, "validate", str(tmp_path / "nope.yaml"))
    assert result.returncode == 1 and "no such file" in result.stderr


def test_usage_error_is_exit_2(mlops_bin: str) -> None:
    assert run(mlops_bin, "validate").returncode == 2
    assert run(mlops_bin, "validate", "x.yaml", "--format", "xml").returncode == 2


def test_schema_matches_committed_copy(mlops_bin: str, root: Path) -> None:
    result = run(mlops_bin, "schema")
    assert result.returncode == 0
    committed = (root / "schema/mlops-spec.v1.schema.json").read_text()
    assert result.stdout == committed == render(), "stale schema: run `make schema`"


def test_explain_names_the_source_of_each_value(mlops_bin: str, root: Path) -> None:
    spec = str(root / "examples/churn/mlops.yaml")
    result = run(
        mlops_bin,
        "explain",
        spec,
        "--stack",
        "dev",
        "models.churn-classifier.serving",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    origins = {o["path"]: o for o in json.loads(result.stdout)}
    prefix = "models.churn-classifier.serving."
    assert origins[prefix + "instance_type"]["source"] == "base"
    assert origins[prefix + "instance_type"]["line"] == 77
    assert origins[prefix + "data_capture_percent"]["source"] == "overlay:dev"
    assert origins[prefix + "autoscaling.max_instances"]["source"] == "preset:development"
    assert origins[prefix + "rollout.termination_wait_minutes"]["source"] == "default"


def test_explain_unknown_path(mlops_bin: str, root: Path) -> None:
    result = run(
        mlops_bin, "explain", str(root / "examples/churn/mlops.yaml"), "-s", "dev", "models.nope"
    )
    assert result.returncode == 1 and "no value at 'models.nope'" in result.stderr


@pytest.mark.parametrize("tier", ["realtime", "serverless", "batch"])
def test_init_scaffolds_a_valid_spec(mlops_bin: str, tmp_path: Path, tier: str) -> None:
    target = tmp_path / "mlops.yaml"
    result = run(
        mlops_bin,
        "init",
        "-o",
        str(target),
        "--system",
        "fraud",
        "--tier",
        tier,
        "--owner",
        "risk@example.com",
    )
    assert result.returncode == 0, result.stderr
    assert run(mlops_bin, "validate", str(target)).returncode == 0
    again = run(mlops_bin, "init", "-o", str(target))
    assert again.returncode == 1 and "file exists" in again.stderr


def test_init_refuses_bad_ids_as_a_usage_error(mlops_bin: str, tmp_path: Path) -> None:
    result = run(mlops_bin, "init", "-o", str(tmp_path / "x.yaml"), "--system", "Bad_ID")
    assert result.returncode == 2 and "--system" in result.stderr and "Bad_ID" in result.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_init_writes_the_schema_for_editors(mlops_bin: str, tmp_path: Path) -> None:
    target = tmp_path / "mlops.yaml"
    assert run(mlops_bin, "init", "-o", str(target)).returncode == 0
    modeline = target.read_text().splitlines()[0]
    schema = tmp_path / modeline.split("$schema=", 1)[1]
    assert schema.read_text() == render()


def test_init_to_stdout(mlops_bin: str, tmp_path: Path) -> None:
    result = run(mlops_bin, "init", "-o", "-", "--tier", "batch", cwd=tmp_path)
    assert result.returncode == 0 and "tier: batch" in result.stdout
    assert not list(tmp_path.iterdir())


def test_unwritable_outputs_are_clear_errors(mlops_bin: str, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir"
    for args in (["init", "-o", str(missing / "x.yaml")], ["schema", "-o", str(missing / "s")]):
        result = run(mlops_bin, *args)
        assert result.returncode == 1, args
        assert "cannot write" in result.stderr and "Traceback" not in result.stderr


def test_validate_prints_each_note_once_naming_its_stacks(mlops_bin: str, root: Path) -> None:
    spec = root / "examples/churn/mlops.yaml"
    result = run(mlops_bin, "validate", str(spec))
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if ": note: " in line]
    assert len(notes) == 3, notes  # webhook parameter, latest_approved endpoint, quality labels
    assert all(line.endswith("(stacks dev, prod, staging)") for line in notes), notes
    webhook = next(line for line in notes if "webhook_url_ssm_parameter" in line)
    assert webhook.startswith(f"{spec}:18:30: note: spec.notifications.webhook_url_ssm_parameter:")
    assert "churn-<stack>-notify" in webhook


def test_validate_json_carries_notes_and_problems_as_data(mlops_bin: str, root: Path) -> None:
    result = run(mlops_bin, "validate", str(root / "examples/churn/mlops.yaml"), "-f", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] is True and report["problems"] == []
    paths = {note["path"]: note for note in report["notes"]}
    quality = paths["models.churn-classifier.monitors.quality"]
    assert quality["stacks"] == ["dev", "prod", "staging"] and quality["line"] == 122
    assert "clients must pass InferenceId" in quality["message"]


def test_a_planner_error_is_a_located_problem(mlops_bin: str) -> None:
    path = CORPUS / "bad/kubernetes_training_planned.yaml"
    result = run(mlops_bin, "validate", str(path), "-f", "json")
    assert result.returncode == 1
    (problem,) = json.loads(result.stdout)["problems"]
    assert (problem["path"], problem["environment"], problem["line"]) == (
        "models.fraud.training.platform",
        "dev",
        14,
    )
    assert problem["message"].startswith(
        "a cluster trains only on a stack with system.platform: kubernetes"
    )
