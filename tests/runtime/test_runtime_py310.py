"""The processing jobs run on the SageMaker scikit-learn image's Python (3.10 for 1.4-2).

No 3.10 interpreter is needed: every module a job can import (followed from the job entry
points through ``mlops_runtime`` and ``mlops_spec`` imports), and every ``mlops_runtime/drift``
module except the CLI, must parse with the 3.10 grammar and must not use standard-library names
added in 3.11 or later outside ``if TYPE_CHECKING:``. Each of those modules must also be in the
runtime archive the components upload (``mlops_spec.plan.storage.RUNTIME_PACKAGES``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mlops_spec.plan.images import (
    RUNTIME_PYTHON,
    SKLEARN_IMAGE_PYTHON,
    SKLEARN_PYTHON,
    SKLEARN_VERSION,
    sklearn_image,
)
from mlops_spec.plan.storage import RUNTIME_PACKAGES

ROOT = Path(__file__).parents[2]
JOBS = (
    "mlops_runtime.evaluate",
    "mlops_runtime.monitoring_job",
    "mlops_runtime.profile_job",
    "mlops_runtime.champion",
)
NOT_ON_THE_IMAGE: set[str] = set()
PYTHON = SKLEARN_PYTHON
"""The Python of the pinned scikit-learn image (``mlops_spec.plan.images``)."""

# Standard-library names added in Python 3.11+ (module -> names).
NEWER: dict[str, set[str]] = {
    "enum": {"StrEnum", "ReprEnum", "EnumCheck", "FlagBoundary", "verify", "member", "nonmember"},
    "typing": {
        "Self",
        "Never",
        "LiteralString",
        "assert_never",
        "assert_type",
        "reveal_type",
        "Required",
        "NotRequired",
        "TypeVarTuple",
        "Unpack",
        "dataclass_transform",
        "get_overloads",
        "clear_overloads",
        "override",
        "TypeAliasType",
    },
    "datetime": {"UTC"},
    "asyncio": {"TaskGroup", "timeout", "Runner"},
    "contextlib": {"chdir"},
    "hashlib": {"file_digest"},
    "itertools": {"batched"},
    "math": {"cbrt", "exp2"},
    "operator": {"call"},
    "logging": {"getLevelNamesMapping"},
}
NEWER_MODULES = {"tomllib", "wsgiref.types"}
NEWER_BUILTINS = {"ExceptionGroup", "BaseExceptionGroup"}


def module_path(module: str) -> Path:
    base = ROOT / module.replace(".", "/")
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def imported(path: Path, module: str) -> set[str]:
    """First-party modules (``mlops_runtime``, ``mlops_spec``) that ``module`` imports."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for name in names:
            while name and name.split(".")[0] in {"mlops_runtime", "mlops_spec"}:
                if module_path(name).is_file():
                    found.add(name)
                    break
                name = name.rpartition(".")[0]
    return found


def job_modules() -> set[str]:
    """Every first-party module a job can import, its parent packages included."""
    seen: set[str] = set()
    todo = list(JOBS)
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        todo += sorted(imported(module_path(module), module) - seen)
    return seen


def checked_files() -> list[str]:
    drift = {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "mlops_runtime" / "drift").glob("*.py")
    }
    jobs = {module_path(m).relative_to(ROOT).as_posix() for m in job_modules()}
    return sorted((drift | jobs) - NOT_ON_THE_IMAGE)


def newer_names(tree: ast.AST) -> list[str]:
    """Uses of 3.11+ standard-library names, except under ``if TYPE_CHECKING:``."""
    problems: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        line = getattr(node, "lineno", "?")
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in NEWER_MODULES:
                    problems.append(f"line {line}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and not node.level:
            module = node.module or ""
            if module in NEWER_MODULES:
                problems.append(f"line {line}: from {module} import ...")
            for alias in node.names:
                if alias.name in NEWER.get(module, set()):
                    problems.append(f"line {line}: from {module} import {alias.name}")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.attr in NEWER.get(node.value.id, set()):
                problems.append(f"line {line}: {node.value.id}.{node.attr}")
        elif isinstance(node, ast.Name) and node.id in NEWER_BUILTINS:
            problems.append(f"line {line}: {node.id}")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return problems


def test_the_check_covers_the_jobs_and_what_they_import() -> None:
    files = checked_files()
    for expected in (
        "mlops_runtime/profile_job.py",
        "mlops_runtime/champion.py",
        "mlops_runtime/contract/config.py",
        "mlops_runtime/jobs/capture.py",
        "mlops_runtime/core/registry.py",
        "mlops_runtime/core/ports.py",
        "mlops_runtime/aws/registry.py",
        "mlops_runtime/drift/stats.py",
    ):
        assert expected in files
    # The jobs import nothing of the control plane.
    assert not [m for m in job_modules() if m.startswith("mlops_spec")]
    # The Lambda-only modules stay out of the jobs (they may use Python 3.11+).
    assert not {"mlops_runtime.trigger", "mlops_runtime.deploy"} & job_modules()


@pytest.mark.parametrize("relative", checked_files())
def test_parses_as_python_310_without_newer_stdlib_names(relative: str) -> None:
    source = (ROOT / relative).read_text()
    tree = ast.parse(source, filename=relative, feature_version=PYTHON)
    assert newer_names(tree) == [], f"{relative} uses Python 3.11+ names"


def test_the_runtime_archive_holds_every_module_a_job_imports() -> None:
    shipped = [package.rstrip("/") + "/" for package in RUNTIME_PACKAGES]
    missing = [
        path
        for path in checked_files()
        if not any(path.startswith(prefix) for prefix in shipped)
        # source_archive adds the __init__.py of each shipped tree's parent packages
        and not (
            path.endswith("/__init__.py")
            and any(prefix.startswith(Path(path).parent.as_posix() + "/") for prefix in shipped)
        )
    ]
    assert missing == []


def test_the_checker_catches_newer_names() -> None:
    source = (
        "from enum import StrEnum\nimport datetime\nfrom typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from typing import Self\nx = datetime.UTC\n"
    )
    assert newer_names(ast.parse(source)) == [
        "line 1: from enum import StrEnum",
        "line 6: datetime.UTC",
    ]
    with pytest.raises(SyntaxError):
        ast.parse("try:\n    pass\nexcept* ValueError:\n    pass\n", feature_version=PYTHON)


def test_the_pinned_image_runs_the_python_the_jobs_need() -> None:
    # 1.2-1 ships Python 3.9: kw_only dataclasses and ``int | float`` in isinstance fail there.
    assert SKLEARN_PYTHON >= RUNTIME_PYTHON, (SKLEARN_VERSION, SKLEARN_PYTHON)
    assert SKLEARN_IMAGE_PYTHON["1.2-1"] < RUNTIME_PYTHON  # the check refuses the old pin
    # The image the plans use is that pin, and the grammar checked above is its Python.
    uri = sklearn_image("eu-west-1", "aws").uri
    assert uri.endswith(f"/sagemaker-scikit-learn:{SKLEARN_VERSION}-cpu-py3"), uri
    assert PYTHON == SKLEARN_PYTHON
