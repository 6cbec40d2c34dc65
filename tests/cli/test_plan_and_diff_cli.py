"""`mlops plan` and `mlops diff` through the real console script (no cloud, no Pulumi CLI)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest


def run(mlops_bin: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([mlops_bin, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def churn_dev_plan(mlops_bin: str, root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plans") / "base.json"
    result = run(
        mlops_bin,
        "plan",
        str(root / "examples/churn/mlops.yaml"),
        "--stack",
        "dev",
        "--format",
        "json",
        "--output",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(out.read_text())
    return out


def test_plan_json_is_the_documented_shape(churn_dev_plan: Path, root: Path) -> None:
    plan = json.loads(churn_dev_plan.read_text())
    assert plan["project"] == "mlops-spec" and plan["stack"] == "dev"
    resource = plan["resources"][0]
    for key in (
        "urn",
        "type",
        "name",
        "parent",
        "custom",
        "inputs",
        "protect",
        "retain_on_delete",
        "depends_on",
        "property_dependencies",
    ):
        assert key in resource
    urns = [r["urn"] for r in plan["resources"]]
    assert urns == sorted(urns)
    assert all(u.startswith("urn:pulumi:dev::mlops-spec::") for u in urns)
    assert "pulumi:pulumi:Stack$" not in "".join(urns)  # engine URNs, not the mock's
    assert str(root) not in churn_dev_plan.read_text(), "plans must not hold machine paths"
    assert plan["outputs"]["environment"] == "dev"


def test_plan_text_shows_a_tree(mlops_bin: str, root: Path) -> None:
    result = run(mlops_bin, "plan", str(root / "examples/ltv/mlops.yaml"), "-s", "prod")
    assert result.returncode == 0, result.stderr
    assert "mlops:storage:Storage" in result.stdout and "total" in result.stdout


def test_plan_of_an_invalid_spec_exits_1(mlops_bin: str, root: Path) -> None:
    bad = root / "tests/spec/corpus/bad/tier_typo.yaml"
    result = run(mlops_bin, "plan", str(bad), "--stack", "dev")
    assert result.returncode == 1
    assert "unknown tier" in result.stderr and "Traceback" not in result.stderr


def _edited(root: Path, tmp: Path, old: str, new: str) -> Path:
    text = (root / "examples/churn/mlops.yaml").read_text()
    assert old in text
    target = tmp / "mlops.yaml"
    target.write_text(text.replace(old, new).replace("../../schema/", str(root / "schema") + "/"))
    return target


def test_diff_of_two_plans_flags_a_bucket_rename(
    mlops_bin: str, root: Path, tmp_path: Path, churn_dev_plan: Path
) -> None:
    spec = _edited(root, tmp_path, "bucket_namespace: acme", "bucket_namespace: acme2")
    head = tmp_path / "head.json"
    planned = run(
        mlops_bin,
        "plan",
        str(spec),
        "-s",
        "dev",
        "-f",
        "json",
        "-o",
        str(head),
        "--project-dir",
        str(root),
    )
    assert planned.returncode == 0, planned.stderr
    result = run(
        mlops_bin, "diff", str(churn_dev_plan), str(head), "-f", "json", "--fail-on-danger"
    )
    assert result.returncode == 1, result.stderr
    diff = json.loads(result.stdout)
    assert diff["dangers"], diff
    assert any("aws:s3/bucket:Bucket" in json.dumps(d) for d in diff["dangers"])
    quiet = run(mlops_bin, "diff", str(churn_dev_plan), str(head))
    assert quiet.returncode == 0  # without --fail-on-danger the diff is only reported


def test_diff_against_a_git_ref(mlops_bin: str, root: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    spec = repo / "mlops.yaml"
    shutil.copy(
        _edited(root, tmp_path, "instance_type: ml.c5.large", "instance_type: ml.c5.large"), spec
    )
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    spec.write_text(
        spec.read_text().replace("instance_type: ml.c5.large", "instance_type: ml.c5.xlarge")
    )
    result = run(
        mlops_bin,
        "diff",
        str(spec),
        "--stack",
        "prod",
        "--base-ref",
        "HEAD",
        "--project-dir",
        str(root),
        "-f",
        "json",
    )
    assert result.returncode == 0, result.stderr
    diff = json.loads(result.stdout)
    changed = json.dumps(diff["changed"])
    # the deploy function's document (its configuration object) names the new instance type
    assert "content<json>" in changed and "ml.c5.xlarge" in changed


def test_diff_rejects_a_file_that_is_not_a_plan(mlops_bin: str, tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text('{"hello": 1}')
    result = run(mlops_bin, "diff", str(junk), str(junk))
    assert result.returncode == 1 and "not a plan JSON document" in result.stderr


@pytest.mark.parametrize(("content", "kind"), [("[1, 2]", "a list"), ('"text"', "a str")])
def test_diff_of_json_that_is_not_an_object_says_so(
    mlops_bin: str, tmp_path: Path, content: str, kind: str
) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text(content)
    result = run(mlops_bin, "diff", str(junk), str(junk))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{junk}: not a plan JSON document" in result.stderr
    assert f"the top level is {kind}, not an object" in result.stderr
