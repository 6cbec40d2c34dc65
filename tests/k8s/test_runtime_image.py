"""docker/runtime.Dockerfile installs what mlops_runtime imports, at pyproject.toml's bounds.

No image is built here (no Docker on this machine); ``make lint-docker`` runs hadolint on it.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "docker" / "runtime.Dockerfile"


def _installed() -> dict[str, Requirement]:
    """Requirements of the image's ``pip install``, by canonical name."""
    text = DOCKERFILE.read_text()
    found = [Requirement(spec) for spec in re.findall(r'^\s+"([^"]+)" \\$', text, re.MULTILINE)]
    return {canonicalize_name(req.name): req for req in found}


def _third_party_imports() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "mlops_runtime").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "mlops_runtime"}


def test_the_image_installs_the_libraries_at_pyprojects_bounds():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {canonicalize_name(r.name): r for r in map(Requirement, project["dependencies"])}
    installed = _installed()
    assert installed, "no pip requirement found in the Dockerfile"
    for name, requirement in installed.items():
        assert name in declared, f"{name} is installed in the image but not a dependency"
        assert requirement.specifier == declared[name].specifier, name


def test_every_library_mlops_runtime_imports_is_in_the_image():
    installed = _installed()
    allowed = set(installed)
    for name in installed:  # what pip brings along with them
        for spec in importlib.metadata.requires(name) or []:
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                allowed.add(canonicalize_name(requirement.name))
    distributions = importlib.metadata.packages_distributions()
    for module in sorted(_third_party_imports()):
        owners = {canonicalize_name(d) for d in distributions.get(module, [module])}
        assert owners & allowed, f"mlops_runtime imports {module} ({owners}); the image lacks it"


def test_the_image_runs_as_a_non_root_user_and_defaults_to_the_proxy():
    text = DOCKERFILE.read_text()
    assert re.search(r"^USER 10001$", text, re.MULTILINE)
    assert 'CMD ["mlops_runtime.proxy"]' in text
    assert "COPY mlops_runtime/ /app/mlops_runtime/" in text
    assert not re.search(r"mlops_spec|pulumi|pydantic", text.split("FROM", 1)[1])
