"""What each runtime unit may import: Lambdas only boto3; jobs also the scientific stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} must not be imported here")
sys.meta_path.insert(0, Block())
"""


def imports_cleanly(modules: list[str], blocked: set[str]) -> subprocess.CompletedProcess[str]:
    code = f"BLOCKED = {sorted(blocked)!r}\n{BLOCKER}\n" + "\n".join(f"import {m}" for m in modules)
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parents[2],
    )


def test_lambda_handlers_need_only_boto3() -> None:
    done = imports_cleanly(
        ["mlops_runtime.trigger", "mlops_runtime.deploy", "mlops_runtime.notify"],
        {"pulumi", "pydantic", "numpy", "pandas", "scipy", "sklearn", "mlops_spec"},
    )
    assert done.returncode == 0, done.stderr


def test_jobs_never_import_pulumi_or_pydantic() -> None:
    done = imports_cleanly(
        [
            "mlops_runtime.evaluate",
            "mlops_runtime.monitor_job",
            "mlops_runtime.profile_job",
            "mlops_runtime.champion",
        ],
        {"pulumi", "pydantic"},
    )
    assert done.returncode == 0, done.stderr
