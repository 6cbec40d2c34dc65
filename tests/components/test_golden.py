"""The plan of every example stack equals its golden file (tests/components/golden/)."""

from __future__ import annotations

import pytest

from tests.components.conftest import STACKS, Stack
from tests.components.golden import GOLDEN_DIR, difference, stable
from tests.conftest import ROOT

pytestmark = pytest.mark.xdist_group("components")


@pytest.mark.parametrize("key", STACKS)
def test_plan_matches_its_golden_file(stacks: dict[str, Stack], key: str) -> None:
    problem = difference(key, stacks[key].doc)
    assert problem is None, f"{problem}\nrefresh: python -m tests.components.golden --update"


@pytest.mark.parametrize("key", STACKS)
def test_plans_hold_no_machine_paths(stacks: dict[str, Stack], key: str) -> None:
    text = stacks[key].doc.to_json()
    assert str(ROOT) not in text
    # asset paths are relative to the program directory (probes' HTTP paths are not files)
    probes = ('"path": "/ping"', '"path": "/metrics"', '"path": "/healthz"')
    for probe in probes:
        text = text.replace(probe, "")
    assert '"path": "/' not in text
    assert str(ROOT) not in stable(stacks[key].doc).to_json()


def test_every_golden_file_is_a_stack() -> None:
    assert {p.stem for p in GOLDEN_DIR.glob("*.json")} == set(STACKS)
