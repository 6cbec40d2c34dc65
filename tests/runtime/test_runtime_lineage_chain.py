"""The chain of decisions follows ids: approval (``audit_id``) -> deploy (``approval_id``,
``endpoint_config``) -> rollback (``requested_config``), from the deploy function's real
records (in-memory adapters: an approval, its rollout, and SageMaker rolling the update back)."""

from __future__ import annotations

from typing import Any

from test_runtime_deploy_decisions import GROUP, World, _decide, config

from mlops_runtime.core.lineage_chain import chain


def _package(world: World, arn: str) -> dict[str, Any]:
    package = world.registry.package(arn)
    return {"arn": arn, "status": package.status, "created_at": None}


def test_approval_deploy_and_rollback_link_by_id() -> None:
    world = World()
    cfg = config()
    first = world.registry.register(GROUP)
    world.on(first, cfg)
    second = world.registry.register(GROUP, status="PendingManualApproval")
    approved = _decide(world, "approve", second)
    world.endpoints.next_ending = "roll-back"  # an alarm trips during the bake
    started = world.package_event(second, cfg)
    assert started["decision"] == "deployed"
    world.in_service(cfg)  # the IN_SERVICE event after SageMaker rolled the update back
    audit = {unit: world.audit.records(unit, "churn") for unit in ("approval", "deploy")}
    links = chain(None, _package(world, second), audit)
    assert [link["step"] for link in links] == ["approval", "deploy", "rollback"]
    approval, deploy, rollback = links
    assert deploy["approval_id"] == approval["audit_id"] == approved["audit_id"]
    assert rollback["requested_config"] == deploy["endpoint_config"] == started["endpoint_config"]
