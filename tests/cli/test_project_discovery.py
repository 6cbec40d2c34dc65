"""Which Pulumi project `mlops plan` runs: the one the spec sits in, else the working
directory's, else a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_spec.errors import SpecError
from mlops_spec.plan_cli import project_root


def _project(directory: Path) -> Path:
    directory.mkdir(parents=True)
    (directory / "Pulumi.yaml").write_text(f"name: {directory.name}\nruntime: python\n")
    return directory


def test_the_spec_belongs_to_the_project_above_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = _project(tmp_path / "team")
    (team / "specs").mkdir()
    spec = team / "specs" / "mlops.yaml"
    monkeypatch.chdir(_project(tmp_path / "elsewhere"))
    assert project_root(spec) == team.resolve()


def test_a_spec_outside_any_project_uses_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = _project(tmp_path / "team")
    (team / "infra").mkdir()
    monkeypatch.chdir(team / "infra")
    (tmp_path / "loose").mkdir()
    assert project_root(tmp_path / "loose" / "mlops.yaml") == team.resolve()


def test_no_project_anywhere_is_a_located_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "mlops.yaml"
    with pytest.raises(SpecError) as caught:
        project_root(spec)
    (problem,) = caught.value.problems
    assert problem.file == str(spec)
    assert "no Pulumi.yaml found above the spec or the current directory" in problem.message
    assert "mlops init --project" in (problem.hint or "")


def test_an_explicit_project_dir_must_hold_pulumi_yaml(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"no Pulumi\.yaml in the project directory"):
        project_root(tmp_path / "mlops.yaml", tmp_path)
    team = _project(tmp_path / "team")
    assert project_root(tmp_path / "mlops.yaml", team) == team.resolve()
