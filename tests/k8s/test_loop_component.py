"""The Loop component alone under the recording mocks: it registers exactly the planned
objects, typed, with the plan's manifests as inputs (valid once the mocks' floats are ints
again), and no training Job and no Rollout (the controller creates those)."""

from __future__ import annotations

from typing import Any

import pytest

from mlops_components.k8s.loop import Loop, LoopArgs
from mlops_preview import PlanDocument, preview
from tests.k8s import harness
from tests.k8s.loop_samples import loop_plan
from tests.k8s.manifests import clean


@pytest.fixture(scope="module")
def recorded() -> PlanDocument:
    return preview(
        lambda: Loop("loop", LoopArgs(loop_plan())), project="mlops", stack="dev", preview=False
    )


def _manifest(resource: Any) -> dict[str, Any]:
    inputs = clean(resource.inputs)
    inputs.get("metadata", {}).get("annotations", {}).pop("pulumi.com/skipAwait", None)
    if inputs.get("metadata", {}).get("annotations") == {}:
        del inputs["metadata"]["annotations"]
    return inputs


def test_it_registers_exactly_the_planned_objects(recorded: PlanDocument) -> None:
    registered = sorted(
        (_manifest(r) for r in recorded.resources if r.type.startswith("kubernetes:")),
        key=lambda m: (m["kind"], m["metadata"]["name"]),
    )
    planned = sorted(
        (clean(m) for m in loop_plan().manifests()),
        key=lambda m: (m["kind"], m["metadata"]["name"]),
    )
    assert registered == planned
    kinds = [m["kind"] for m in registered]
    assert "Job" not in kinds and "Rollout" not in kinds
    assert harness.errors(registered) == []


def test_the_controllers_service_does_not_make_pulumi_wait(recorded: PlanDocument) -> None:
    (service,) = [r for r in recorded.resources if r.type == "kubernetes:core/v1:Service"]
    assert service.inputs["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
