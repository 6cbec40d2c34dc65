"""Where the command-line tools of the harness are, and what happens when one is missing.

``make test`` installs them project-locally (``make k8s-tools``): promtool and amtool from
Debian's ``prometheus`` and ``prometheus-alertmanager`` packages unpacked into
``.tools/prometheus``, checkov in its own virtualenv ``.tools/checkov`` (its pins would
downgrade boto3 in the project's). A test needing a missing tool is skipped with the reason,
except under CI (``CI`` set), where it fails: CI must run every check.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools"
CANDIDATES = {
    "promtool": TOOLS / "prometheus" / "usr" / "bin" / "promtool",
    "amtool": TOOLS / "prometheus" / "usr" / "bin" / "amtool",
    "checkov": TOOLS / "checkov" / "bin" / "checkov",
}


def find(name: str) -> str | None:
    """The tool's path: ``$MLOPS_<NAME>``, the project's ``.tools``, else ``PATH``."""
    override = os.environ.get(f"MLOPS_{name.upper()}")
    if override:
        return override
    local = CANDIDATES.get(name)
    if local is not None and local.exists():
        return str(local)
    return shutil.which(name)


def require(name: str) -> str:
    """The tool's path, or skip the calling test (fail it under CI) saying how to install it."""
    found = find(name)
    if found:
        return found
    reason = f"{name} is not installed: run `make k8s-tools` (installs it under .tools/)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)
