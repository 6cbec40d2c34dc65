"""Helpers for tests of a team's own repository (``mlops init --project``), run outside this
checkout through a real console script."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import ROOT

STACKS = ("dev", "prod")


def run(
    mlops: str, *args: str, cwd: Path | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    """``mlops ARGS`` in ``cwd``, with no PYTHONPATH and no ambient Pulumi config (so nothing
    but the installed package can be imported and nothing of this checkout is configured)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("PULUMI_")}
    return subprocess.run(
        [mlops, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout
    )


def outside_checkout(path: Path) -> Path:
    """``path``, asserted not to be inside this repository (whose Pulumi.yaml must not be
    found by walking up)."""
    assert not path.resolve().is_relative_to(ROOT), f"{path} is inside the checkout"
    return path
