"""Shared fixtures: paths of the repository and its examples."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("examples/*/mlops.yaml"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def mlops_bin() -> str:
    """The real console script installed next to this interpreter."""
    candidate = Path(sys.executable).parent / "mlops"
    found = str(candidate) if candidate.exists() else shutil.which("mlops")
    assert found, "the mlops console script is not installed (pip install -e .)"
    return found
