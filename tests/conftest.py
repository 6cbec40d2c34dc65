"""Shared fixtures: paths of the repository and its examples."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("examples/*/mlops.yaml"))


def pytest_configure(config: pytest.Config) -> None:
    """The commands' caches (botocore facts, model descriptions) in a directory of this test
    process, for it and the commands it starts: a test neither reads what the developer's
    machine holds nor leaves anything there."""
    cache = tempfile.mkdtemp(prefix="mlops-test-cache-")
    config.add_cleanup(lambda: shutil.rmtree(cache, ignore_errors=True))
    os.environ["XDG_CACHE_HOME"] = cache


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
