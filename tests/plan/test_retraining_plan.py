"""Retraining plan: runtime configs the Lambdas read, rules, table and dead-letter queue."""

from __future__ import annotations

import json

from mlops_runtime.config import DeployConfig, TriggerConfig
from mlops_spec.plan import render
from tests.plan.conftest import example, full, mini

REFS = {"account": "123456789012", "key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k"}


def test_trigger_config_lists_retrain_alarms_and_new_data() -> None:
    retraining = full("prod").retraining
    assert retraining is not None
    trigger = retraining.function("trigger")
    assert trigger and trigger.handler == "mlops_runtime.trigger.handler"
    config = TriggerConfig.from_json(render(trigger.config, REFS))
    assert config.alarms == {"full-prod-rt-drift": "rt"}
    assert sorted(config.models) == ["bt", "la", "lb", "reg", "rt", "sl"]
    assert config.models["rt"].pipeline_name == "full-prod-rt-train"
    assert config.table_name == retraining.table.name == "full-prod-retraining"
    sources = {(s.bucket, s.prefix): s.models for s in config.data_sources}
    assert sources == {
        ("acme-full-prod-data-events-us-west-2", "events/"): ("bt", "la", "lb", "rt"),
        ("acme-shared-exports", "exports/"): ("reg", "sl"),
    }


def test_cooldown_and_daily_limit_come_from_the_spec() -> None:
    trigger = example("churn", "prod").retraining.function("trigger")  # type: ignore[union-attr]
    config = TriggerConfig.from_json(render(trigger.config, REFS))  # type: ignore[union-attr]
    model = config.models["churn-classifier"]
    assert (model.cooldown_hours, model.max_runs_per_day) == (24.0, 1)


def test_deploy_config_mirrors_the_endpoint_plan() -> None:
    deployment = example("churn", "prod")
    deploy = deployment.retraining.function("deploy")  # type: ignore[union-attr]
    assert deploy is not None
    config = DeployConfig.from_json(render(deploy.config, REFS))
    target = config.endpoints["churn-prod-churn-classifier"]
    serving = deployment.serving_for("churn-classifier")
    assert serving and serving.endpoint
    assert target.endpoint_name == serving.endpoint.name
    assert target.rollback_alarms == serving.rollback_alarms
    assert (target.traffic.strategy, target.traffic.step_percent) == ("canary", 10)
    assert (target.traffic.wait_minutes, target.traffic.bake_minutes) == (15, 5)
    assert (
        target.execution_role_arn
        == "arn:aws:iam::123456789012:role/churn-prod-churn-classifier-serve"
    )
    assert target.data_capture and target.data_capture.sampling_percent == 25
    assert target.kms_key_id == REFS["key_arn"]
    assert (target.instance_type, target.initial_instance_count) == ("ml.c5.large", 2)


def test_serverless_deploy_target() -> None:
    deploy = example("ltv", "dev").retraining.function("deploy")  # type: ignore[union-attr]
    config = DeployConfig.from_json(render(deploy.config, REFS))  # type: ignore[union-attr]
    target = config.endpoints["ltv-dev-ticket-router"]
    assert target.serverless and target.serverless_memory_mb == 3072
    assert target.serverless_max_concurrency == 2 and target.kms_key_id is None


def test_rules_and_dead_letters() -> None:
    retraining = full("prod").retraining
    assert retraining is not None
    rules = {r.key: r for r in retraining.rules}
    assert set(rules) == {"alarm-retrain", "new-data-events", "new-data-shared", "package-approved"}
    alarm = json.loads(rules["alarm-retrain"].event_pattern)
    assert alarm["detail"] == {"alarmName": ["full-prod-rt-drift"], "state": {"value": ["ALARM"]}}
    data = json.loads(rules["new-data-events"].event_pattern)
    assert data["detail"] == {
        "bucket": {"name": ["acme-full-prod-data-events-us-west-2"]},
        "object": {"key": [{"prefix": "events/"}]},
    }
    approved = json.loads(rules["package-approved"].event_pattern)
    assert approved["detail"] == {
        "ModelPackageGroupName": ["full-prod-la"],
        "ModelApprovalStatus": ["Approved"],
    }
    assert rules["package-approved"].function == "deploy"
    queue = retraining.queue
    sender = next(s for s in queue.policy.statements if s.sid == "EventBridgeDeadLetters")
    assert set(sender.conditions[0].values) == {r.arn for r in retraining.rules}
    assert queue.alarm.metric and queue.alarm.metric.dimension_map == {
        "QueueName": "full-prod-events-dlq"
    }
    assert retraining.table.retain and not full("dev").retraining.table.retain  # type: ignore[union-attr]


def test_no_loop_without_triggers_or_latest_approved() -> None:
    assert mini().retraining is None


def test_deploy_role_can_roll_out_with_rollback_and_encryption() -> None:
    deploy = example("churn", "prod").retraining.function("deploy")  # type: ignore[union-attr]
    assert deploy is not None
    statements = {s.sid: s for s in deploy.role.policy.statements}
    assert statements["ReadRollbackAlarms"].resources == (
        "arn:aws:cloudwatch:eu-west-1:${account}:alarm:churn-prod-churn-classifier-p99-latency",
        "arn:aws:cloudwatch:eu-west-1:${account}:alarm:churn-prod-churn-classifier-server-errors",
    )
    grant = statements["GrantKeyToSageMaker"]
    assert grant.resources == ("${key_arn}",)
    assert grant.conditions[0].key == "kms:GrantIsForAWSResource"
    assert statements["PassRole"].resources == (
        "arn:aws:iam::${account}:role/churn-prod-churn-classifier-serve",
    )
    assert "arn:aws:sagemaker:eu-west-1:${account}:endpoint/churn-prod-churn-classifier" in (
        statements["ServeModel"].resources
    )
