"""Pulumi.yaml and the stack files follow the rules the Pulumi CLI enforces on load."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from mlops_spec.load import validate_file


def _yaml(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text())


def test_project_file_shape(root: Path) -> None:
    project = _yaml(root / "Pulumi.yaml")
    assert project["runtime"]["name"] == "python"
    assert project["main"] == "infra/" and (root / "infra/__main__.py").is_file()
    assert project["stackConfigDir"] == "stacks"
    name = project["name"]
    for key, value in project.get("config", {}).items():
        typed = isinstance(value, dict) and "type" in value
        if typed:  # Pulumi refuses typed keys outside the project's namespace
            assert ":" not in key or key.startswith(f"{name}:"), key


def test_every_stack_file_names_a_valid_spec_for_its_stack(root: Path) -> None:
    name = _yaml(root / "Pulumi.yaml")["name"]
    stacks = sorted((root / "stacks").glob("Pulumi.*.yaml"))
    assert stacks
    for path in stacks:
        stack = path.name.split(".")[1]
        config = _yaml(path)["config"]
        for key in config:
            assert ":" in key, f"{path.name}: config keys are namespaced ({key})"
        spec = root / config[f"{name}:spec"]
        resolved = validate_file(spec, stack).stacks[stack].spec
        assert config["aws:region"] == resolved.spec.system.region
