"""Wiring between resources: rollback alarms, alarm dimensions, schedules, runtime configs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mlops_components.endpoint_provider import TYPE as ENDPOINT
from mlops_components.endpoint_provider import EndpointInputs
from mlops_components.teardown import TYPE as TEARDOWN
from mlops_runtime.aws.endpoint_requests import release
from mlops_runtime.contract.batch import BatchFeaturesConfig
from mlops_runtime.contract.config import (
    FILE_ENV_VAR,
    OBJECT_ENV_VAR,
    VERSION_ENV_VAR,
    DeployConfig,
    EvaluateConfig,
    MonitorConfig,
    NotifyConfig,
    ProfileConfig,
    TriggerConfig,
)
from mlops_runtime.contract.holdout import HoldoutConfig
from mlops_runtime.contract.lineage import LineageConfig
from mlops_spec.load import resolve
from tests.components.conftest import PRODUCTION, STACKS, Stack

pytestmark = pytest.mark.xdist_group("components")


def _alarm_names(stack: Stack) -> set[str]:
    return {a.inputs["name"] for a in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}


def _function_config(stack: Stack, function: Any) -> str:
    """The document a function reads: the object its environment names (and nothing else),
    uploaded in the same stack; a new version of it updates the function."""
    variables = function.inputs["environment"]["variables"]
    assert set(variables) == {OBJECT_ENV_VAR, VERSION_ENV_VAR}
    (upload,) = [
        o
        for o in stack.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
        if f"s3://{o.inputs['bucket']}/{o.inputs['key']}" == variables[OBJECT_ENV_VAR]
    ]
    assert upload.urn in function.property_dependencies["environment"]  # the version id
    assert upload.inputs["serverSideEncryption"] == "aws:kms"
    return str(upload.inputs["content"])


def _deploy_config(stack: Stack) -> DeployConfig | None:
    for function in stack.of_type("aws:lambda/function:Function"):
        if function.inputs["handler"] == "mlops_runtime.deploy.handler":
            return DeployConfig.from_json(_function_config(stack, function))
    return None


def _endpoint_names(stack: Stack) -> set[str]:
    """Endpoints Pulumi creates, and those the deploy function creates from its config."""
    names = {e.inputs["endpointName"] for e in stack.of_type(ENDPOINT)}
    deploy = _deploy_config(stack)
    return names | ({t.endpoint_name for t in deploy.endpoints.values()} if deploy else set())


@pytest.mark.parametrize("key", STACKS)
def test_rollback_alarms_exist_and_come_first(stacks: dict[str, Stack], key: str) -> None:
    stack = stacks[key]
    alarms = {
        a.inputs["name"]: a.urn for a in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    found: set[str] = set()
    for endpoint in stack.of_type(ENDPOINT):
        names = EndpointInputs.parse(endpoint.inputs).target.rollback_alarms
        for name in names:
            assert name in alarms and alarms[name] in endpoint.depends_on
        found |= set(names)
    deploy = _deploy_config(stack)
    for target in deploy.endpoints.values() if deploy else ():
        assert set(target.rollback_alarms) <= set(alarms)
    expected = {name for s in stack.plan.serving for name in s.rollback_alarms}
    found |= {n for t in (deploy.endpoints.values() if deploy else ()) for n in t.rollback_alarms}
    assert found == expected


@pytest.mark.parametrize("key", STACKS)
def test_alarm_dimensions_name_real_endpoints(stacks: dict[str, Stack], key: str) -> None:
    stack = stacks[key]
    endpoints = _endpoint_names(stack)
    for alarm in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        dimensions = [alarm.inputs.get("dimensions") or {}]
        dimensions += [
            q["metric"].get("dimensions", {})
            for q in alarm.inputs.get("metricQueries", [])
            if "metric" in q
        ]
        for dims in dimensions:
            if "EndpointName" in dims:
                assert dims["EndpointName"] in endpoints, alarm.name
                assert dims["VariantName"] == "AllTraffic"
            if "Model" in dims:
                assert dims["Environment"] == stack.stack
                assert dims["Model"] in stack.plan.models


@pytest.mark.parametrize("key", STACKS)
def test_schedules_match_the_spec(stacks: dict[str, Stack], key: str) -> None:
    stack = stacks[key]
    spec_path, name = STACKS[key]
    spec = resolve(spec_path, name).spec
    pipelines = {p.inputs["pipelineName"] for p in stack.of_type("aws:sagemaker/pipeline:Pipeline")}
    schedules = {s.inputs["name"]: s for s in stack.of_type("aws:scheduler/schedule:Schedule")}
    expected: dict[str, str] = {}
    for model_id, model in spec.models.items():
        if model.training.schedule and model.training.platform == "sagemaker":  # else a CronJob
            expected[f"{spec.system.id}-{name}-{model_id}-train"] = model.training.schedule
        if model.serving is not None and model.serving.tier == "batch":
            expected[f"{spec.system.id}-{name}-{model_id}-batch"] = model.serving.schedule
    for plan in stack.plan.monitoring.jobs:
        expected[plan.schedule.name] = plan.schedule.expression
    assert {n: s.inputs["scheduleExpression"] for n, s in schedules.items()} == expected
    state = "ENABLED" if stack.plan.policy.schedules_enabled else "DISABLED"
    functions = stack.of_type("aws:lambda/function:Function")
    trigger = next((f for f in functions if f.name == "retraining-trigger"), None)
    function_arn = f"arn:aws:lambda:{stack.plan.region}:123456789012:function:"
    for name_, schedule in schedules.items():
        assert schedule.inputs["state"] == state
        target = schedule.inputs["target"]
        assert target["roleArn"].endswith("-scheduler")
        if name_.endswith("-train"):  # retraining goes through the trigger (cooldown, limit)
            assert trigger is not None
            assert target["arn"] == function_arn + trigger.inputs["name"]
            assert trigger.urn in schedule.depends_on
            event = json.loads(target["input"])
            assert event["source"] == "mlops.schedule"
            assert event["scheduled_time"] == "<aws.scheduler.scheduled-time>"
            config = TriggerConfig.from_json(_function_config(stack, trigger))
            assert event["model"] in config.models
            assert f"{spec.system.id}-{name}-{event['model']}-train" == name_
        else:
            assert target["arn"] == "arn:aws:scheduler:::aws-sdk:sagemaker:startPipelineExecution"
            assert json.loads(target["input"])["PipelineName"] in pipelines
    for policy in stack.of_type("aws:iam/rolePolicy:RolePolicy"):
        if policy.inputs["name"] == "scheduler":  # may invoke the trigger function only
            for statement in json.loads(policy.inputs["policy"])["Statement"]:
                if statement["Action"] == "lambda:InvokeFunction":
                    assert trigger is not None
                    assert statement["Resource"] == function_arn + trigger.inputs["name"]


@pytest.mark.parametrize("key", STACKS)
def test_lambda_configs_name_real_resources(stacks: dict[str, Stack], key: str) -> None:
    stack = stacks[key]
    pipelines = {p.inputs["pipelineName"] for p in stack.of_type("aws:sagemaker/pipeline:Pipeline")}
    tables = {t.inputs["name"] for t in stack.of_type("aws:dynamodb/table:Table")}
    for function in stack.of_type("aws:lambda/function:Function"):
        text = _function_config(stack, function)
        assert function.inputs["runtime"] == "python3.12"
        assert "mlops_runtime/trigger.py" in function.inputs["code"]["archive"]["assets"]
        if function.inputs["handler"] == "mlops_runtime.trigger.handler":
            config = TriggerConfig.from_json(text)
            assert {m.pipeline_name for m in config.models.values()} <= pipelines
            assert set(config.alarms) <= _alarm_names(stack)
            assert config.table_name in tables
    rules = {r.inputs["name"]: r for r in stack.of_type("aws:cloudwatch/eventRule:EventRule")}
    targets = stack.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert len(targets) == len(rules)
    for target in targets:
        assert target.inputs["retryPolicy"]["maximumRetryAttempts"] > 0
        assert target.inputs["deadLetterConfig"]["arn"]
    permissions = stack.of_type("aws:lambda/permission:Permission")
    events = [p for p in permissions if p.inputs["principal"] == "events.amazonaws.com"]
    invoking = [t for t in targets if ":lambda:" in str(t.inputs["arn"])]  # others go to SNS
    assert len(events) == len(invoking)
    notifier = stack.plan.monitoring.notifier
    assert len(permissions) - len(events) == (1 if notifier else 0)  # the webhook notifier


def test_pinned_endpoint_chain(stacks: dict[str, Stack]) -> None:
    """The pinned endpoint is one resource running the one rollout: its requests serve the
    pinned package from a config of that model, shift traffic linearly and scale the stable
    variant; it waits for the role, the key and the rollback alarms."""
    stack = stacks["full-prod"]
    (endpoint,) = [e for e in stack.of_type(ENDPOINT) if e.inputs["endpointName"] == "full-prod-rt"]
    inputs = EndpointInputs.parse(endpoint.inputs)
    built = release(inputs.target, inputs.package_arn)
    model, config = built.requests["model"], built.requests["endpoint_config"]
    (variant,) = config["ProductionVariants"]
    assert variant["VariantName"] == "AllTraffic" and variant["ModelName"] == model["ModelName"]
    assert model["PrimaryContainer"]["ModelPackageName"] == (
        "arn:aws:sagemaker:us-west-2:123456789012:model-package/full-prod-rt/3"
    )
    policy = built.requests["update"]["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert policy["TrafficRoutingConfiguration"]["Type"] == "LINEAR"
    assert inputs.target.autoscaling and inputs.target.autoscaling.max_capacity == 4
    assert stack.of_type("aws:appautoscaling/target:Target") == []  # the rollout's to order
    policies = {r.urn for r in stack.of_type("aws:iam/rolePolicy:RolePolicy")}
    assert [d.rsplit("::", 1)[1] for d in endpoint.depends_on if d in policies] == [
        "rt-serving-serve-policy"
    ]
    (key,) = stack.of_type("aws:kms/key:Key")
    assert key.urn in endpoint.property_dependencies["target"]
    assert endpoint.protect  # production


@pytest.mark.parametrize("key", STACKS)
def test_the_teardown_exists_exactly_when_the_deploy_function_creates_endpoints(
    stacks: dict[str, Stack], key: str
) -> None:
    stack = stacks[key]
    deploy = _deploy_config(stack)
    teardowns = stack.of_type(TEARDOWN)
    if deploy is None:
        assert teardowns == []
        return
    (teardown,) = teardowns
    env = stack.plan.environment
    assert teardown.inputs["tags"] == {
        "system": stack.plan.system,
        "environment": env,
        "mlops:endpoint-owner": "deploy-function",
    }
    assert teardown.inputs["prefix"] == f"{stack.plan.system}-{env}"
    assert teardown.inputs["region"] == stack.plan.region
    assert teardown.inputs["endpoints"] == sorted(
        t.endpoint_name for t in deploy.endpoints.values()
    )
    for target in deploy.endpoints.values():  # what the teardown finds is what the function tags
        assert target.tags.items() >= teardown.inputs["tags"].items()
        assert target.endpoint_name.startswith(teardown.inputs["prefix"])
    assert teardown.protect == (key in PRODUCTION)
    (function,) = [
        f
        for f in stack.of_type("aws:lambda/function:Function")
        if f.inputs["handler"] == "mlops_runtime.deploy.handler"
    ]
    assert teardown.urn in function.depends_on  # destroyed after the function


def test_training_pipeline_uses_its_own_role(stacks: dict[str, Stack]) -> None:
    stack = stacks["churn-prod"]
    roles = {r.urn: r.inputs["name"] for r in stack.of_type("aws:iam/role:Role")}
    (pipeline,) = [
        p
        for p in stack.of_type("aws:sagemaker/pipeline:Pipeline")
        if p.inputs["pipelineName"].endswith("-train")
    ]
    (role_urn,) = pipeline.property_dependencies["roleArn"]
    assert roles[role_urn] == "churn-prod-churn-classifier-train"
    definition = pipeline.inputs["pipelineDefinition"]
    assert "arn:aws:iam::123456789012:role/churn-prod-churn-classifier-train" in definition


def test_training_schedule_moved_with_an_alias(stacks: dict[str, Stack]) -> None:
    """The schedule used to be a child of Training; the alias keeps deployed stacks from
    replacing it (a replacement would collide on its fixed name)."""
    stack = stacks["churn-prod"]
    (schedule,) = [
        s
        for s in stack.of_type("aws:scheduler/schedule:Schedule")
        if s.name.endswith("-schedule") and s.inputs["name"].endswith("-train")
    ]
    assert schedule.parent.endswith("mlops:retraining:Retraining::retraining")
    assert (  # where it was: under Training, when Training was a top-level resource
        "urn:pulumi:prod::mlops-spec::mlops:training:Training$aws:scheduler/schedule:Schedule"
        "::churn-classifier-training-schedule"
    ) in schedule.aliases


@pytest.mark.parametrize("key", ["churn-prod", "ltv-dev"])
def test_monitoring_job_keeps_the_urns_of_its_former_type(
    stacks: dict[str, Stack], key: str
) -> None:
    """The component was DriftJob (``mlops:drift_job:DriftJob``): it and every child carry
    the URN they had under that type as an alias, so deployed stacks keep their resources."""
    renamed = [
        r for r in stacks[key].doc.resources if "mlops:monitoring_job:MonitoringJob" in r.urn
    ]
    assert {r.type for r in renamed} >= {
        "mlops:monitoring_job:MonitoringJob",
        "aws:iam/role:Role",
        "aws:sagemaker/pipeline:Pipeline",
        "aws:scheduler/schedule:Schedule",
    }
    for resource in renamed:
        former = resource.urn.replace(
            "mlops:monitoring_job:MonitoringJob", "mlops:drift_job:DriftJob"
        )
        assert former in resource.aliases, resource.urn
        assert resource.name == former.rsplit("::", 1)[1]


def test_in_service_rules_reach_the_deploy_function(stacks: dict[str, Stack]) -> None:
    stack = stacks["churn-prod"]
    (rule,) = [
        r
        for r in stack.of_type("aws:cloudwatch/eventRule:EventRule")
        if r.inputs["name"] == "churn-prod-churn-classifier-in-service"
    ]
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["detail"]["EndpointStatus"] == ["IN_SERVICE"]
    (target,) = stack.linked("aws:cloudwatch/eventTarget:EventTarget", rule.urn, "rule")
    (deploy,) = [
        f for f in stack.of_type("aws:lambda/function:Function") if f.name.endswith("deploy")
    ]
    assert deploy.urn in target.property_dependencies["arn"]
    assert target.inputs["retryPolicy"] == {
        "maximumEventAgeInSeconds": 3600,
        "maximumRetryAttempts": 4,
    }
    (queue,) = [
        q for q in stack.of_type("aws:sqs/queue:Queue") if q.inputs["name"].endswith("events-dlq")
    ]
    assert queue.urn in target.property_dependencies["deadLetterConfig"]
    # Pulumi registers no autoscaling for the endpoint: the deploy function does
    assert stack.of_type("aws:appautoscaling/target:Target") == []
    config = _deploy_config(stack)
    assert config and config.endpoints["churn-prod-churn-classifier"].autoscaling is not None


@pytest.mark.parametrize("key", STACKS)
def test_training_pipelines_profile_where_monitoring_jobs_read(
    stacks: dict[str, Stack], key: str
) -> None:
    stack = stacks[key]
    profiles = {}
    for pipeline in stack.of_type("aws:sagemaker/pipeline:Pipeline"):
        if not pipeline.inputs["pipelineName"].endswith("-train"):
            continue
        text = pipeline.inputs["pipelineDefinition"]
        if "python3 -m mlops_runtime.profile_job" not in text:
            continue  # no monitor reads this model's references (checked below)
        definition = json.loads(text)
        steps = definition["Steps"][-1]["Arguments"].get("IfSteps") or definition["Steps"]
        (profile,) = [s for s in steps if s["Name"] == "Profile"]
        (output,) = profile["Arguments"]["ProcessingOutputConfig"]["Outputs"]
        uri = output["S3Output"]["S3Uri"]
        if isinstance(uri, dict):  # each execution's own prefix: the deploy function promotes
            (packages, execution) = uri["Std:Join"]["Values"]  # the served package's references
            assert execution == {"Get": "Execution.PipelineExecutionId"}
            deploy = _deploy_config(stack)
            assert deploy is not None
            (target,) = [
                t.references
                for t in deploy.endpoints.values()
                if t.references and t.references.packages_uri == f"{packages}/"
            ]
            uri = target.current_uri.rstrip("/")
        profiles[pipeline.inputs["pipelineName"]] = uri + "/profile.json"
    reading = [
        config
        for config in (json.loads(job.config) for job in stack.plan.monitoring.jobs)
        if config["data_drift"] or config["bias"] or config["prediction_drift"]
    ]
    for config in reading:
        assert config["profile_uri"] in profiles.values()
    if stack.plan.kubernetes is None:  # written only where a monitoring job reads them
        assert len(profiles) == len(reading)


@pytest.mark.parametrize("key", STACKS)
def test_the_webhook_notifier_is_subscribed_to_the_alarm_topic(
    stacks: dict[str, Stack], key: str
) -> None:
    stack = stacks[key]
    plan = stack.plan.monitoring.notifier
    functions = [
        f
        for f in stack.of_type("aws:lambda/function:Function")
        if f.inputs["handler"] == "mlops_runtime.notify.handler"
    ]
    subscriptions = [
        s
        for s in stack.of_type("aws:sns/topicSubscription:TopicSubscription")
        if s.inputs["protocol"] == "lambda"
    ]
    if plan is None:  # no webhook in the spec: nothing of the notifier exists
        assert functions == [] and subscriptions == []
        assert not any("notify" in r.name for r in stack.doc.resources)
        return
    (function,) = functions
    (subscription,) = subscriptions
    topic = stack.doc.outputs["alarm_topic_arn"]
    assert subscription.inputs["topic"] == topic
    assert function.urn in subscription.property_dependencies["endpoint"]
    (permission,) = [
        p
        for p in stack.of_type("aws:lambda/permission:Permission")
        if p.inputs["principal"] == "sns.amazonaws.com"
    ]
    assert permission.inputs["sourceArn"] == topic
    assert permission.inputs["function"] == function.inputs["name"] == plan.function.name
    assert permission.urn in subscription.depends_on
    (queue,) = [
        q for q in stack.of_type("aws:sqs/queue:Queue") if q.inputs["name"] == plan.queue.name
    ]
    assert queue.urn in function.property_dependencies["deadLetterConfig"]
    assert json.loads(subscription.inputs["redrivePolicy"])["deadLetterTargetArn"].endswith(
        plan.queue.name
    )
    config = NotifyConfig.from_json(_function_config(stack, function))
    assert config.webhook_parameter == plan.parameter_name
    (role_policy,) = [
        p for p in stack.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["name"] == "notify"
    ]
    statements = {s["Sid"]: s for s in json.loads(role_policy.inputs["policy"])["Statement"]}
    account = topic.split(":")[4]
    parameter = f"arn:aws:ssm:{stack.plan.region}:{account}:parameter{plan.parameter_name}"
    assert statements["ReadParameter"]["Resource"] == parameter
    decrypt = statements["DecryptParameter"]
    assert decrypt["Condition"]["StringEquals"] == {
        "kms:ViaService": f"ssm.{stack.plan.region}.amazonaws.com",
        "kms:EncryptionContext:PARAMETER_ARN": parameter,
    }
    assert statements["WriteLogs"]["Resource"][0].endswith(f":log-group:{plan.function.log_group}")
    (alarm,) = [
        a
        for a in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs["name"] == plan.queue.alarm.name
    ]
    assert topic in alarm.inputs["alarmActions"]


@pytest.mark.parametrize("key", STACKS)
def test_runtime_steps_read_config_objects_the_stack_uploads(
    stacks: dict[str, Stack], key: str
) -> None:
    stack = stacks[key]
    key_arn = stack.doc.outputs["kms_key_arn"]
    objects = {
        f"s3://{o.inputs['bucket']}/{o.inputs['key']}": o
        for o in stack.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
        if "content" in o.inputs
    }
    used = set()
    for pipeline in stack.of_type("aws:sagemaker/pipeline:Pipeline"):
        text = pipeline.inputs["pipelineDefinition"]
        for step in _processing_steps(json.loads(text)["Steps"]):
            args = step["Arguments"]
            path = args["Environment"].get(FILE_ENV_VAR)
            if path is None:
                continue
            (uri,) = [
                i["S3Input"]["S3Uri"]
                for i in args["ProcessingInputs"]
                if i["InputName"] == "config"
            ]
            uploaded = objects[uri]
            used.add(uri)
            assert uploaded.urn in pipeline.depends_on, (pipeline.name, uri)
            assert uploaded.inputs["serverSideEncryption"] == "aws:kms"
            assert uploaded.inputs["kmsKeyId"] == key_arn
            assert "${" not in uploaded.inputs["content"]  # placeholders filled in
            cls = {
                "Evaluate": EvaluateConfig,
                "Profile": ProfileConfig,
                "MonitorDrift": MonitorConfig,
                "PrepareFeatures": BatchFeaturesConfig,
                "PrepareHoldout": HoldoutConfig,
                "Inputs": LineageConfig,
                "Lineage": LineageConfig,
            }[step["Name"]]
            cls.from_json(uploaded.inputs["content"])
    for function in stack.of_type("aws:lambda/function:Function"):  # the functions' documents
        uri = function.inputs["environment"]["variables"][OBJECT_ENV_VAR]
        assert objects[uri].inputs["kmsKeyId"] == key_arn
        assert "${" not in objects[uri].inputs["content"]
        used.add(uri)
    assert used == set(objects)


def _processing_steps(steps: list[dict]) -> list[dict]:
    found = []
    for step in steps:
        if step["Type"] == "Processing":
            found.append(step)
        elif step["Type"] == "Condition":
            found += _processing_steps(step["Arguments"]["IfSteps"])
    return found
