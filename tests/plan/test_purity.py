"""The planner is pure: it imports and plans with pulumi made unimportable."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

CODE = """
import sys
sys.modules['pulumi'] = None
sys.modules['pulumi_aws'] = None
from pathlib import Path
from mlops_spec.load import resolve
from mlops_spec.plan import plan
import mlops_spec.outputs
for example in sorted(Path('examples').glob('*/mlops.yaml')):
    plan(resolve(example, 'dev'))
assert not [n for n, m in sys.modules.items() if m is not None and n.split('.')[0] in ('pulumi', 'pulumi_aws')]
print('pure')
"""


def test_planner_runs_without_pulumi() -> None:
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "pure"
