"""The pure core never imports pulumi (components do)."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
sys.modules['pulumi'] = None  # any import of pulumi now raises ImportError
import mlops_spec.cli, mlops_spec.load, mlops_spec.naming, mlops_spec.schema, mlops_spec.explain
import pkgutil, importlib, mlops_spec
for module in pkgutil.walk_packages(mlops_spec.__path__, 'mlops_spec.'):
    importlib.import_module(module.name)
assert not any(name == 'pulumi' or name.startswith('pulumi.') or name.startswith('pulumi_')
               for name, mod in sys.modules.items() if mod is not None)
print('pure')
"""


def test_mlops_spec_imports_without_pulumi() -> None:
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "pure"
