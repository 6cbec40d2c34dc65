"""`mlops init --project DIR`: a repository a team commits, scaffolded outside this checkout
and used there with the installed console script (validate, plan, explain, diff)."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from mlops_spec.schema import render
from tests.scaffold.conftest import STACKS, outside_checkout, run

FILES = {
    "Pulumi.yaml",
    "__main__.py",
    "stacks/Pulumi.dev.yaml",
    "stacks/Pulumi.prod.yaml",
    "mlops.yaml",
    ".mlops/mlops-spec.v1.schema.json",
    "requirements.txt",
    ".github/workflows/mlops-review.yml",
    ".github/workflows/mlops-prices.yml",
    ".github/workflows/mlops-deploy.yml",
    ".gitignore",
    "README.md",
}
OPTIONS = ("--system", "fraud", "--owner", "risk@example.com", "--region", "eu-west-1")


def _yaml(path: Path) -> dict:
    return YAML(typ="safe", pure=True).load(path.read_text())


def scaffold(mlops_bin: str, parent: Path, *extra: str) -> Path:
    project = outside_checkout(parent) / "fraud-ml"
    result = run(mlops_bin, "init", "--project", str(project), *OPTIONS, *extra)
    assert result.returncode == 0, result.stderr
    return project


@pytest.fixture(scope="module")
def project(mlops_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One scaffolded project, read but never changed by the tests that use it."""
    return scaffold(mlops_bin, tmp_path_factory.mktemp("team"))


def test_project_holds_every_file_a_team_commits(project: Path) -> None:
    written = {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}
    assert written == FILES


def test_pulumi_project_and_one_stack_file_per_environment(project: Path) -> None:
    pulumi_yaml = _yaml(project / "Pulumi.yaml")
    assert pulumi_yaml["name"] == "fraud"
    assert pulumi_yaml["runtime"]["name"] == "python"
    assert (pulumi_yaml["main"], pulumi_yaml["stackConfigDir"]) == (".", "stacks")
    assert pulumi_yaml["config"]["spec"]["type"] == "string"  # typed: the project's own key
    spec = _yaml(project / "mlops.yaml")
    assert set(spec["environments"]) == set(STACKS)
    for stack in STACKS:
        config = _yaml(project / f"stacks/Pulumi.{stack}.yaml")["config"]
        assert config == {"fraud:spec": "mlops.yaml", "aws:region": "eu-west-1"}


def test_program_is_one_component_call(project: Path) -> None:
    tree = ast.parse((project / "__main__.py").read_text())
    imported = {
        alias.name if isinstance(node, ast.Import) else node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported == {"pulumi", "mlops_components"}
    calls = [
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    ]
    assert calls.count("MlSystem") == 1
    assert set(calls) == {"MlSystem", "MlSystemArgs"}


def test_requirements_pin_this_package(project: Path) -> None:
    lines = [
        line
        for line in (project / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines == [f"mlops-spec=={version('mlops-spec')}"]


def test_spec_carries_the_schema_modeline_and_the_schema_beside_it(project: Path) -> None:
    modeline = (project / "mlops.yaml").read_text().splitlines()[0]
    assert modeline == "# yaml-language-server: $schema=.mlops/mlops-spec.v1.schema.json"
    assert (project / ".mlops/mlops-spec.v1.schema.json").read_text() == render()


def test_gitignore_keeps_the_virtualenv_out(project: Path) -> None:
    assert ".venv/" in (project / ".gitignore").read_text().splitlines()


def _workflow(project: Path) -> dict:
    return _yaml(project / ".github/workflows/mlops-review.yml")


def test_workflow_runs_on_pull_requests_with_read_only_token(project: Path) -> None:
    workflow = _workflow(project)
    assert "pull_request" in workflow["on"]
    assert workflow["permissions"] == {"contents": "read"}
    uses = [s["uses"] for job in workflow["jobs"].values() for s in job["steps"] if "uses" in s]
    assert uses, "checkout and setup-python"
    for action in uses:  # third-party actions pinned to a full commit SHA
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action


def test_workflow_steps_validate_and_plan_every_stack(mlops_bin: str, project: Path) -> None:
    """The workflow's own shell steps, run here with the installed `mlops` on PATH."""
    (job,) = _workflow(project)["jobs"].values()
    steps = [s for s in job["steps"] if "run" in s and "mlops " in s["run"]]
    # planning every stack (base and head) is the review step's, tested in tests/review
    assert [s["name"] for s in steps] == ["Validate the spec and every environment"]
    env = {**os.environ, "PATH": f"{Path(mlops_bin).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    for step in steps:
        result = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
    assert f"mlops.yaml is valid ({', '.join(sorted(STACKS))})" in result.stdout


def test_existing_files_are_never_overwritten_without_force(mlops_bin: str, tmp_path: Path) -> None:
    project = outside_checkout(tmp_path) / "fraud-ml"
    project.mkdir()
    (project / "README.md").write_text("ours\n")
    (project / "stacks").mkdir()
    (project / "stacks/Pulumi.prod.yaml").write_text("config: {}\n")
    refused = run(mlops_bin, "init", "--project", str(project), *OPTIONS)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    for name in ("README.md", "stacks/Pulumi.prod.yaml"):  # all of them named at once
        assert f"{project / name}: file exists" in refused.stderr
    assert "--force" in refused.stderr
    assert not (project / "Pulumi.yaml").exists()  # nothing written at all
    assert (project / "README.md").read_text() == "ours\n"
    forced = run(mlops_bin, "init", "--project", str(project), *OPTIONS, "--force")
    assert forced.returncode == 0, forced.stderr
    assert (project / "README.md").read_text() != "ours\n"


def test_usage_errors_write_nothing(mlops_bin: str, tmp_path: Path) -> None:
    project = outside_checkout(tmp_path) / "p"
    both = run(mlops_bin, "init", "--project", str(project), "-o", str(tmp_path / "x.yaml"))
    assert both.returncode == 2 and "--project" in both.stderr
    bad = run(mlops_bin, "init", "--project", str(project), "--system", "Bad_ID")
    assert bad.returncode == 2 and "--system" in bad.stderr and "Bad_ID" in bad.stderr
    assert not project.exists() and not (tmp_path / "x.yaml").exists()


def test_plan_runs_the_projects_own_program(mlops_bin: str, tmp_path: Path) -> None:
    """`mlops plan` finds the project above the spec and runs its `main` (not infra/ of this
    checkout, nor the project of the working directory)."""
    project = scaffold(mlops_bin, tmp_path)
    program = project / "__main__.py"
    program.write_text(program.read_text() + 'pulumi.export("team_marker", "ours")\n')
    other = tmp_path / "other"  # another project around the working directory
    other.mkdir()
    (other / "Pulumi.yaml").write_text("name: other\nruntime: python\nmain: .\n")
    (other / "__main__.py").write_text("raise SystemExit('the wrong program ran')\n")
    for stack, cwd, spec in (
        ("dev", project, "mlops.yaml"),
        ("prod", other, "../fraud-ml/mlops.yaml"),
    ):
        result = run(mlops_bin, "plan", spec, "--stack", stack, "-f", "json", cwd=cwd)
        assert result.returncode == 0, result.stderr
        plan = json.loads(result.stdout)
        assert (plan["project"], plan["stack"]) == ("fraud", stack)
        assert plan["outputs"]["team_marker"] == "ours"
        assert plan["outputs"]["environment"] == stack
        types = {r["type"] for r in plan["resources"]}
        assert "mlops:system:MlSystem" in types and "aws:sagemaker/pipeline:Pipeline" in types


def test_validate_explain_and_diff_inside_the_project(mlops_bin: str, tmp_path: Path) -> None:
    project = scaffold(mlops_bin, tmp_path)
    validated = run(mlops_bin, "validate", "mlops.yaml", cwd=project)
    assert validated.returncode == 0 and "is valid (dev, prod)" in validated.stdout
    explained = run(
        mlops_bin, "explain", "mlops.yaml", "-s", "prod", "system.region", "-f", "json", cwd=project
    )
    assert explained.returncode == 0, explained.stderr
    assert json.loads(explained.stdout)[0]["value"] == "eu-west-1"
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "scaffold"]):
        subprocess.run([*git, *args], cwd=project, check=True)
    spec = project / "mlops.yaml"
    spec.write_text(spec.read_text().replace("threshold: 0.2", "threshold: 0.3"))
    diffed = run(
        mlops_bin,
        "diff",
        "mlops.yaml",
        "-s",
        "prod",
        "--base-ref",
        "HEAD",
        "-f",
        "json",
        cwd=project,
    )
    assert diffed.returncode == 0, diffed.stderr
    changed = json.dumps(json.loads(diffed.stdout)["changed"])
    assert "thresholds" in changed and "0.3" in changed


def test_deploy_workflow_previews_then_updates_each_stack_in_order(
    mlops_bin: str, tmp_path: Path
) -> None:
    project = scaffold(mlops_bin, tmp_path)
    workflow = _yaml(project / ".github/workflows/mlops-deploy.yml")
    assert workflow["on"]["push"] == {"branches": ["main"]}
    job = workflow["jobs"]["deploy"]
    assert job["strategy"] == {
        "max-parallel": 1,
        "fail-fast": True,
        "matrix": {"stack": ["dev", "prod"]},
    }
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    steps = job["steps"]
    commands = [
        s["with"]["command"] for s in steps if s.get("uses", "").startswith("pulumi/actions@")
    ]
    assert commands == ["preview", "up"]
    aws = next(
        s for s in steps if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
    )
    assert aws["with"]["aws-region"] == "eu-west-1"  # the spec's region, filled in
    assert all(
        "@" in s["uses"] and len(s["uses"].split("@")[1].split()[0]) == 40
        for s in steps
        if "uses" in s
    )
