"""Plan documents of the example stacks (and the all-tiers spec's production stack, the only
one with a Pulumi-owned real-time endpoint), written by the offline preview once per process
exactly as `mlops plan -f json` writes them (format_version 2, with facts)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.conftest import ROOT

SPECS = {
    "churn": ROOT / "examples/churn/mlops.yaml",
    "ltv": ROOT / "examples/ltv/mlops.yaml",
    "full": ROOT / "tests/components/specs/full.yaml",
}
_CACHE: dict[str, dict[str, Any]] = {}


def planned(key: str) -> dict[str, Any]:
    """A fresh copy (tests mutate it) of the plan document of ``<spec>-<stack>``."""
    from mlops_spec.plan_cli import run_plan  # here: the pack's own venv runs these tests too

    if key not in _CACHE:
        spec, stack = key.split("-", 1)
        _CACHE[key] = json.loads(run_plan(SPECS[spec], stack, ROOT).to_json())
    return copy.deepcopy(_CACHE[key])


@pytest.fixture
def churn_prod() -> dict[str, Any]:
    return planned("churn-prod")


@pytest.fixture
def full_prod() -> dict[str, Any]:
    return planned("full-prod")
