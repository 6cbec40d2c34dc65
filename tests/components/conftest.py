"""Every example stack and the all-tiers spec, run once through the real Pulumi program
(infra/__main__.py) under mlops_preview's recording mocks. Tests assert on recorded inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_preview import PlanDocument, preview_project
from mlops_spec.load import resolve
from mlops_spec.plan import DeploymentPlan, plan
from tests.conftest import ROOT

FULL_SPEC = ROOT / "tests/components/specs/full.yaml"
STACKS: dict[str, tuple[Path, str, str]] = {
    "churn-dev": (ROOT / "examples/churn/mlops.yaml", "dev", "eu-west-1"),
    "churn-staging": (ROOT / "examples/churn/mlops.yaml", "staging", "eu-west-1"),
    "churn-prod": (ROOT / "examples/churn/mlops.yaml", "prod", "eu-west-1"),
    "ltv-dev": (ROOT / "examples/ltv/mlops.yaml", "dev", "us-east-1"),
    "ltv-prod": (ROOT / "examples/ltv/mlops.yaml", "prod", "us-east-1"),
    "full-dev": (FULL_SPEC, "dev", "us-west-2"),
    "full-prod": (FULL_SPEC, "prod", "us-west-2"),
}
PRODUCTION = {"churn-staging", "churn-prod", "ltv-prod", "full-prod"}


class Stack:
    """A previewed stack: its recorded plan document and the planner's plan."""

    def __init__(self, key: str) -> None:
        spec, stack, region = STACKS[key]
        self.key, self.stack = key, stack
        self.doc: PlanDocument = preview_project(
            ROOT, stack, config={"mlops:spec": str(spec), "aws:region": region}
        )
        self.plan: DeploymentPlan = plan(resolve(spec, stack))

    def of_type(self, type_: str) -> list:
        return [r for r in self.doc.resources if r.type == type_]

    def linked(self, type_: str, urn: str, prop: str = "bucket") -> list:
        """Resources of ``type_`` whose input ``prop`` comes from resource ``urn``."""
        return [r for r in self.of_type(type_) if urn in r.property_dependencies.get(prop, ())]


_CACHE: dict[str, Stack] = {}


@pytest.fixture(scope="session")
def stacks() -> dict[str, Stack]:
    """All previewed stacks (each run once per test process)."""
    for key in STACKS:
        if key not in _CACHE:
            _CACHE[key] = Stack(key)
    return _CACHE
