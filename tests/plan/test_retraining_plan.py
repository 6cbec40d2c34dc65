"""Retraining plan: runtime configs the Lambdas read, rules, table and dead-letter queue."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from mlops_runtime.aws import endpoint_requests
from mlops_runtime.contract.config import DeployConfig, TriggerConfig
from mlops_spec.plan import render
from tests.plan.conftest import MINIMAL, example, full, mini

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
    assert (target.traffic.strategy, target.traffic.step_percent) == ("canary", 50)
    assert (target.traffic.bake_minutes, target.traffic.termination_wait_minutes) == (15, 5)
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


def test_serverless_provisioned_concurrency_is_deployed() -> None:
    deployment = mini(
        serving={
            "tier": "serverless",
            "memory_mb": 2048,
            "max_concurrency": 8,
            "provisioned_concurrency": 3,
        },
        monitors={"lat": {"type": "latency", "threshold_ms": 100, "action": "notify"}},
    )
    deploy = deployment.retraining.function("deploy")  # type: ignore[union-attr]
    assert deploy is not None
    (target,) = DeployConfig.from_json(render(deploy.config, REFS)).endpoints.values()
    assert target.serverless_provisioned_concurrency == 3
    variant = endpoint_requests.endpoint_config_request(target, "m")["ProductionVariants"][0]
    assert variant["ServerlessConfig"]["ProvisionedConcurrency"] == 3
    # the serving plan agrees (the one Pulumi uses for pinned serverless endpoints)
    (serving,) = deployment.serving
    assert serving.endpoint and serving.endpoint.serverless
    assert serving.endpoint.serverless.provisioned_concurrency == 3


def test_rules_and_dead_letters() -> None:
    retraining = full("prod").retraining
    assert retraining is not None
    rules = {r.key: r for r in retraining.rules}
    assert set(rules) == {
        "alarm-retrain",
        "new-data-events",
        "new-data-shared",
        "package-approved",
        "endpoint-in-service-la",
    }
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
        "ModelApprovalStatus": ["Approved", "Rejected"],
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


def test_a_training_schedule_alone_creates_the_trigger() -> None:
    training = {**MINIMAL["models"]["mm"]["training"], "schedule": "rate(1 day)"}
    retraining = mini(training=training, retraining={"cooldown_hours": 12}).retraining
    assert retraining is not None
    trigger = retraining.function("trigger")
    assert trigger is not None and [f.key for f in retraining.functions] == ["trigger"]
    assert retraining.rules == ()  # the schedule invokes the function directly
    queue_policy = json.loads(retraining.queue.policy.to_json())  # no rule may send to it
    assert [s["Sid"] for s in queue_policy["Statement"]] == ["DenyInsecureTransport"]
    (schedule,) = retraining.schedules
    assert (schedule.model, schedule.target_arn, schedule.state) == ("mm", trigger.arn, "DISABLED")
    config = TriggerConfig.from_json(render(trigger.config, REFS))
    assert config.models["mm"].pipeline_name == "mini-dev-mm-train"
    assert config.models["mm"].cooldown_hours == 12.0  # scheduled runs obey the cooldown
    statements = {s.sid: s for s in trigger.role.policy.statements}
    assert statements["StartPipelines"].resources == (
        "arn:aws:sagemaker:eu-west-1:${account}:pipeline/mini-dev-mm-train",
    )


def test_schedule_events_are_what_the_trigger_understands() -> None:
    from datetime import UTC, datetime

    from mlops_runtime.core.trigger_events import Request, interpret

    retraining = example("churn", "prod").retraining
    assert retraining is not None
    trigger, schedule = retraining.function("trigger"), retraining.schedule_for("churn-classifier")
    assert trigger and schedule
    config = TriggerConfig.from_json(render(trigger.config, REFS))
    # EventBridge Scheduler fills the context attribute in before it invokes the function
    event = json.loads(
        schedule.input.replace("<aws.scheduler.scheduled-time>", "2026-01-05T03:00:00Z")
    )
    (request,) = interpret(event, config, datetime(2026, 1, 5, 3, 0, 1, tzinfo=UTC))
    assert isinstance(request, Request)
    assert (request.model, request.trigger) == ("churn-classifier", "schedule")
    assert "2026-01-05T03:00:00Z" in request.key


def test_latest_approved_realtime_endpoints_get_autoscaling_and_an_in_service_rule() -> None:
    deployment = example("churn", "prod")
    retraining = deployment.retraining
    assert retraining is not None
    deploy = retraining.function("deploy")
    assert deploy is not None
    target = DeployConfig.from_json(render(deploy.config, REFS)).endpoints[
        "churn-prod-churn-classifier"
    ]
    assert target.autoscaling is not None
    scaling = target.autoscaling
    assert (scaling.min_capacity, scaling.max_capacity) == (2, 6)
    assert scaling.target_invocations_per_instance == 200.0
    assert (scaling.scale_in_cooldown_seconds, scaling.scale_out_cooldown_seconds) == (300, 60)
    assert scaling.policy_name == "churn-prod-churn-classifier-invocations"
    rule = next(r for r in retraining.rules if r.key == "endpoint-in-service-churn-classifier")
    assert rule.name == "churn-prod-churn-classifier-in-service"
    assert rule.function == "deploy"
    assert json.loads(rule.event_pattern) == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Endpoint State Change"],
        "detail": {
            "EndpointName": ["churn-prod-churn-classifier"],
            "EndpointStatus": ["IN_SERVICE"],
        },
    }
    sender = next(
        s for s in retraining.queue.policy.statements if s.sid == "EventBridgeDeadLetters"
    )
    assert rule.arn in sender.conditions[0].values  # the same dead-letter queue as the others
    # staging scales 1-2; a fixed-size endpoint (full: la, 1-1) has no autoscaling but the rule
    staging = example("churn", "staging").retraining.function("deploy")  # type: ignore[union-attr]
    staged = DeployConfig.from_json(render(staging.config, REFS))  # type: ignore[union-attr]
    assert staged.endpoints["churn-staging-churn-classifier"].autoscaling.max_capacity == 2  # type: ignore[union-attr]
    full_prod = full("prod").retraining
    assert full_prod is not None
    la = DeployConfig.from_json(render(full_prod.function("deploy").config, REFS))  # type: ignore[union-attr]
    assert la.endpoints["full-prod-la"].autoscaling is None
    assert any(r.key == "endpoint-in-service-la" for r in full_prod.rules)


def test_serverless_latest_approved_endpoints_get_an_in_service_rule_too() -> None:
    """Every rollout ends with the IN_SERVICE state change: the deploy function settles it
    (rollback memory) and promotes the served package's references then, serverless or not."""
    retraining = example("ltv", "dev").retraining
    assert retraining is not None
    (rule,) = [r for r in retraining.rules if r.key.startswith("endpoint-in-service")]
    assert json.loads(rule.event_pattern)["detail"] == {
        "EndpointName": ["ltv-dev-ticket-router"],
        "EndpointStatus": ["IN_SERVICE"],
    }
    deploy = retraining.function("deploy")
    config = DeployConfig.from_json(render(deploy.config, REFS))  # type: ignore[union-attr]
    assert config.endpoints["ltv-dev-ticket-router"].autoscaling is None


def test_the_deploy_function_announces_rollbacks_and_promotes_the_served_references() -> None:
    deployment = example("churn", "prod")
    deploy = deployment.retraining.function("deploy")  # type: ignore[union-attr]
    assert deploy is not None
    config = DeployConfig.from_json(render(deploy.config, REFS))
    assert config.notification_topic_arn == deployment.monitoring.topic.arn.replace(
        "${account}", REFS["account"]
    )
    (target,) = config.endpoints.values()
    profile = deployment.training_for("churn-classifier").profile
    monitor = deployment.monitoring.model("churn-classifier").job
    assert target.references is not None and monitor is not None
    artifacts = "s3://acme-churn-prod-artifacts-eu-west-1/models/churn-classifier"
    assert (target.references.packages_uri, target.references.current_uri) == (
        f"{artifacts}/profiles/",
        f"{artifacts}/reference/",
    )
    assert profile.packages_uri == target.references.packages_uri
    # what the monitoring job reads is what the function copies into the current prefix
    assert monitor.profile_uri == f"{target.references.current_uri}profile.json"
    assert target.references.files == ("profile.json", "predictions.json")
    assert target.references.kms_key_id == REFS["key_arn"]
    statements = deploy.role.policy.statements
    bucket = "arn:aws:s3:::acme-churn-prod-artifacts-eu-west-1"
    reads = {  # besides its configuration object (test_aws_limits_plan)
        r
        for s in statements
        if "s3:GetObject" in s.actions and s.sid != "ReadRuntimeConfig"
        for r in s.resources
    }
    writes = {r for s in statements if "s3:PutObject" in s.actions for r in s.resources}
    assert reads == {f"{bucket}/models/churn-classifier/profiles/*"}
    assert writes == {f"{bucket}/models/churn-classifier/reference/*"}
    (publish,) = [s for s in statements if "sns:Publish" in s.actions]
    assert publish.resources == (deployment.monitoring.topic.arn,)


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


def test_an_in_service_rule_name_over_the_eventbridge_limit_is_refused_at_load() -> None:
    system = {**MINIMAL["system"], "id": "a" * 20}
    model = {**MINIMAL["models"]["mm"], "serving": {"tier": "realtime"}}  # latest_approved
    long_id = "m" * 29  # <system>-dev-<model> is 54 characters: the role names still fit
    with pytest.raises(ValidationError, match="derived EventBridge rule name"):
        mini({"system": system, "models": {long_id: model}})
