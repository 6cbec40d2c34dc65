"""Every example stack and the all-tiers spec, run once through the real Pulumi program
(infra/__main__.py) under mlops_preview's recording mocks, by the same code path as
``mlops plan <spec> --stack <name>`` (``plan_cli.run_plan``: the spec decides the region).
Tests assert on recorded inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_preview import PlanDocument
from mlops_spec.load import resolve, validate_file
from mlops_spec.plan import DeploymentPlan, plan
from mlops_spec.plan_cli import run_plan
from tests.conftest import EXAMPLES, ROOT

FULL_SPEC = ROOT / "tests/components/specs/full.yaml"


def _key(spec: Path, stack: str) -> str:
    return f"{spec.parent.name if spec.name == 'mlops.yaml' else spec.stem}-{stack}"


STACKS: dict[str, tuple[Path, str]] = {
    _key(spec, stack): (spec, stack)
    for spec in [*EXAMPLES, FULL_SPEC]
    for stack in sorted(validate_file(spec).stacks)
}
"""Every stack of every example, and of the all-tiers spec: ``<example>-<stack>``."""
PRODUCTION = {"churn-staging", "churn-prod", "ltv-prod", "full-prod", "churn-k8s-prod"}


class Stack:
    """A previewed stack: its recorded plan document and the planner's plan."""

    def __init__(self, key: str) -> None:
        spec, stack = STACKS[key]
        self.key, self.stack = key, stack
        self.doc: PlanDocument = run_plan(spec, stack, ROOT)
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
