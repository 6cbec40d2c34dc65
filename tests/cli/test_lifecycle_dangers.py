"""Dangers Pulumi cannot see: endpoints the deploy function owns."""

from __future__ import annotations

from mlops_preview import PlanDocument, diff_plans
from mlops_spec.plan_cli import with_lifecycle_dangers


def _doc(models: dict) -> PlanDocument:
    return PlanDocument(project="p", stack="prod", resources=(), outputs={"models": models})


def test_removing_a_latest_approved_model_warns_that_its_endpoint_keeps_running() -> None:
    owned = {"endpoint_owner": "deploy-function", "endpoint_name": "sys-prod-m2"}
    pinned = {"endpoint_owner": "pulumi", "endpoint_name": "sys-prod-m1"}
    before, after = _doc({"m1": pinned, "m2": owned}), _doc({"m1": pinned})
    result = with_lifecycle_dangers(diff_plans(before, after), before, after)
    [danger] = result.dangers
    assert "sys-prod-m2" in danger.reason and "leaves it running" in danger.reason
    assert "delete-endpoint --endpoint-name sys-prod-m2" in danger.reason
    unchanged = with_lifecycle_dangers(diff_plans(before, before), before, before)
    assert not unchanged.dangers
