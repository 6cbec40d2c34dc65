"""Plans of edited copies of the churn example, made once per test session.

Each spec is written to ``<tmp>/<name>/mlops.yaml`` and planned from that directory, so its
facts name the file ``mlops.yaml`` (no machine path reaches a golden) and a base and a head
pair as the same spec. The program is this repository's (``--project-dir``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest

from mlops_preview.document import PlanDocument
from mlops_spec.plan_cli import run_plan
from tests.conftest import ROOT

CHURN = (ROOT / "examples/churn/mlops.yaml").read_text()
LINK_BASE = "https://github.com/acme/churn-ml/blob/4f1c2e9/"

Planner = Callable[[str, str, str], PlanDocument]


def edit(text: str, *replacements: tuple[str, str]) -> str:
    """``text`` with each (old, new) replaced; each old must occur exactly once."""
    for old, new in replacements:
        assert text.count(old) == 1, f"the example changed: {old!r} is not there once"
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="session")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Planner:
    """``planned(name, spec_text, stack)``: the plan document of that spec, cached."""
    cache: dict[tuple[str, str], PlanDocument] = {}
    root = tmp_path_factory.mktemp("specs")

    def plan(name: str, text: str, stack: str) -> PlanDocument:
        key = (text, stack)
        if key not in cache:
            folder = root / name
            folder.mkdir(exist_ok=True)
            (folder / "mlops.yaml").write_text(text)
            with contextlib.chdir(folder):
                cache[key] = run_plan(Path("mlops.yaml"), stack, ROOT)
        return cache[key]

    return plan
