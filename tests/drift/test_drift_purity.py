"""The drift engine runs inside AWS jobs: it must not pull in pulumi or pydantic."""

from __future__ import annotations

import subprocess
import sys


def test_drift_imports_neither_pulumi_nor_pydantic():
    code = (
        "import sys, mlops_spec.drift, mlops_spec.drift.cli; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pydantic')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
