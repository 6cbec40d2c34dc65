"""The built wheel, installed into a fresh virtualenv, is all a team needs: it scaffolds a
repository outside this checkout, validates and plans its stacks, and ships the runtime code
the components upload from the installed files.

The wheel is built from a clean copy of the sources (no stale ``build/``), with pip's usual
isolated build (setuptools from PyPI or pip's cache). The fresh virtualenv gets the wheel alone
(``--no-deps``) and borrows the third-party dependencies of this project's virtualenv through a
``.pth`` line: that directory joins ``sys.path`` without its own ``.pth`` files being run, so the
editable install of this checkout stays invisible and only the wheel's packages can be imported.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from mlops_spec.schema import render
from tests.conftest import ROOT
from tests.scaffold.conftest import STACKS, outside_checkout, run

pytestmark = pytest.mark.slow

PACKAGES = ("mlops_spec", "mlops_runtime", "mlops_preview", "mlops_components")
IMPORTED = (*PACKAGES, "mlops_runtime.drift", "mlops_runtime.contract")


def _call(*args: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=600
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _build_wheel(work: Path) -> Path:
    source = work / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    _call(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", work / "dist", source)
    (wheel,) = (work / "dist").glob("mlops_spec-*.whl")
    return wheel


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding the built wheel (and this project's dependencies)."""
    work = outside_checkout(tmp_path_factory.mktemp("wheel"))
    wheel = _build_wheel(work)
    env = work / "venv"
    _call(sys.executable, "-m", "venv", "--without-pip", env)
    python = env / "bin" / "python"
    purelib = _purelib(env)
    (purelib / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _call(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel)
    return env


def _purelib(venv: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return Path(_call(venv / "bin" / "python", "-c", code).strip())


def test_the_wheel_alone_provides_every_package_and_template(venv: Path) -> None:
    code = (
        "import importlib, importlib.resources, json\n"
        f"mods = {{m: importlib.import_module(m).__file__ for m in {IMPORTED!r}}}\n"
        "t = importlib.resources.files('mlops_spec') / 'templates'\n"
        "print(json.dumps({'modules': mods, 'templates': sorted(p.name for p in t.iterdir())}))"
    )
    found = json.loads(_call(venv / "bin" / "python", "-c", code, cwd=venv))
    purelib = _purelib(venv)
    for module, file in found["modules"].items():
        assert Path(file).is_relative_to(purelib), (module, file)
    assert (purelib / "mlops_components" / "py.typed").is_file()  # typed for a team's mypy
    assert set(found["templates"]) >= {
        "Pulumi.yaml.tmpl",
        "program.py.tmpl",
        "mlops-review.yml.tmpl",
    }
    schema = run(str(venv / "bin" / "mlops"), "schema")
    assert schema.returncode == 0 and schema.stdout == render()


def test_a_scaffolded_repository_validates_and_plans_with_the_installed_package(
    venv: Path, tmp_path: Path
) -> None:
    mlops = str(venv / "bin" / "mlops")
    project = outside_checkout(tmp_path) / "team"
    created = run(mlops, "init", "--project", str(project), "--system", "fraud", "--tier", "batch")
    assert created.returncode == 0, created.stderr
    validated = run(mlops, "validate", "mlops.yaml", cwd=project)
    assert validated.returncode == 0, validated.stderr
    runtime = _purelib(venv) / "mlops_runtime"
    for stack in STACKS:
        planned = run(mlops, "plan", "mlops.yaml", "--stack", stack, "-f", "json", cwd=project)
        assert planned.returncode == 0, planned.stderr
        plan = json.loads(planned.stdout)
        assert (plan["project"], plan["stack"], plan["outputs"]["system"]) == (
            "fraud",
            stack,
            "fraud",
        )
        (code,) = [r for r in plan["resources"] if "source" in r["inputs"]]
        assets = code["inputs"]["source"]["archive"]["assets"]
        assert "mlops_runtime/drift/compare.py" in assets
        for name, asset in assets.items():  # uploaded from the installed files
            path = (project / asset["asset"]["path"]).resolve()
            assert path == runtime.parent / name and path.is_file(), name
