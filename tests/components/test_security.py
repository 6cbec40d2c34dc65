"""Security invariants over every recorded plan.

Explicit exceptions: the access-log bucket uses SSE-S3 (S3 server access logging cannot
deliver to SSE-KMS buckets); IAM statements with ``Resource: "*"`` only for the actions in
``mlops_spec.plan.iam.UNSCOPABLE_ACTIONS``; Deny statements of resource policies may use
wildcards (they only restrict); the key policy's root statement is AWS's "enable IAM
policies" statement."""

from __future__ import annotations

import json
import re

import pytest

from mlops_components.endpoint_provider import EndpointInputs
from mlops_runtime.aws.endpoint_requests import release
from mlops_spec.plan.iam import UNSCOPABLE_ACTIONS
from tests.components.conftest import PRODUCTION, STACKS, Stack

pytestmark = pytest.mark.xdist_group("components")

S3 = "aws:s3/"
STATEFUL = (
    "aws:kms/key:Key",
    "aws:s3/bucket:Bucket",
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
    "aws:dynamodb/table:Table",
    "aws:cloudwatch/logGroup:LogGroup",
)


def _statements(policy: str) -> list[dict]:
    statements = json.loads(policy)["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("key", STACKS)
def test_every_bucket_is_secured(stacks: dict[str, Stack], key: str) -> None:
    stack = stacks[key]
    logs_bucket = stack.plan.storage.bucket("logs").name
    for bucket in stack.of_type("aws:s3/bucket:Bucket"):
        name, urn = bucket.inputs["bucket"], bucket.urn
        (versioning,) = stack.linked(f"{S3}bucketVersioning:BucketVersioning", urn)
        assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
        (sse,) = stack.linked(
            f"{S3}bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            urn,
        )
        (rule,) = sse.inputs["rules"]
        default = rule["applyServerSideEncryptionByDefault"]
        if name == logs_bucket:
            assert default == {"sseAlgorithm": "AES256"}
        else:
            assert default["sseAlgorithm"] == "aws:kms" and default["kmsMasterKeyId"]
            assert rule["bucketKeyEnabled"] is True
        (block,) = stack.linked(f"{S3}bucketPublicAccessBlock:BucketPublicAccessBlock", urn)
        assert all(
            block.inputs[k] is True
            for k in (
                "blockPublicAcls",
                "blockPublicPolicy",
                "ignorePublicAcls",
                "restrictPublicBuckets",
            )
        )
        (ownership,) = stack.linked(f"{S3}bucketOwnershipControls:BucketOwnershipControls", urn)
        assert ownership.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"
        (policy,) = stack.linked(f"{S3}bucketPolicy:BucketPolicy", urn)
        tls = [
            s for s in _statements(policy.inputs["policy"]) if s["Sid"] == "DenyInsecureTransport"
        ]
        assert tls and tls[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        logging = stack.linked(f"{S3}bucketLogging:BucketLogging", urn)
        if name == logs_bucket:
            assert logging == []
        else:
            assert len(logging) == 1 and logging[0].inputs["targetPrefix"] == f"{name}/"
        (lifecycle,) = stack.linked(
            f"{S3}bucketLifecycleConfiguration:BucketLifecycleConfiguration", urn
        )
        assert lifecycle.inputs["rules"][0]["noncurrentVersionExpiration"]["noncurrentDays"] > 0


def endpoint_config_request(inputs: EndpointInputs) -> dict:
    """The CreateEndpointConfig a pinned endpoint's rollout sends for its inputs."""
    return dict(release(inputs.target, inputs.package_arn).requests["endpoint_config"])


@pytest.mark.parametrize("key", STACKS)
def test_everything_that_stores_data_uses_the_system_key(
    stacks: dict[str, Stack], key: str
) -> None:
    stack = stacks[key]
    (key_resource,) = stack.of_type("aws:kms/key:Key")
    assert key_resource.inputs["enableKeyRotation"] is True
    key_arn = stack.doc.outputs["kms_key_arn"]
    for topic in stack.of_type("aws:sns/topic:Topic"):
        assert topic.inputs["kmsMasterKeyId"] == key_arn
    for endpoint in stack.of_type("pulumi-python:dynamic/mlops:Endpoint"):  # pinned endpoints
        config = endpoint_config_request(EndpointInputs.parse(endpoint.inputs))
        serverless = "ServerlessConfig" in config["ProductionVariants"][0]
        assert serverless or config["KmsKeyId"] == key_arn
        if "DataCaptureConfig" in config:
            assert config["DataCaptureConfig"]["KmsKeyId"] == key_arn
    for queue in stack.of_type("aws:sqs/queue:Queue"):
        assert queue.inputs["kmsMasterKeyId"] == key_arn
    for table in stack.of_type("aws:dynamodb/table:Table"):
        assert table.inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": key_arn}
        assert table.inputs["pointInTimeRecovery"]["enabled"] is True
        assert table.inputs["ttl"] == {"attributeName": "expires_at", "enabled": True}
    (key_policy,) = stack.of_type("aws:kms/keyPolicy:KeyPolicy")
    for group in stack.of_type("aws:cloudwatch/logGroup:LogGroup"):
        assert group.inputs["kmsKeyId"] == key_arn and group.inputs["retentionInDays"] > 0
        assert key_policy.urn in group.depends_on  # the key must admit CloudWatch Logs first
    for function in stack.of_type("aws:lambda/function:Function"):
        assert function.inputs["kmsKeyArn"] == key_arn
    for pipeline in stack.of_type("aws:sagemaker/pipeline:Pipeline"):
        text = pipeline.inputs["pipelineDefinition"]
        for clause in ("VolumeKmsKeyId", "KmsKeyId"):
            for part in text.split(f'"{clause}":')[1:]:
                assert part.startswith(json.dumps(key_arn)), pipeline.name


@pytest.mark.parametrize("key", STACKS)
def test_iam_is_least_privilege(stacks: dict[str, Stack], key: str) -> None:
    stack = stacks[key]
    policies = stack.of_type("aws:iam/rolePolicy:RolePolicy")
    assert len(policies) == len(stack.of_type("aws:iam/role:Role"))
    for policy in policies:
        for statement in _statements(policy.inputs["policy"]):
            actions, resources = _as_list(statement["Action"]), _as_list(statement["Resource"])
            assert statement["Effect"] == "Allow"
            assert not any("*" in action for action in actions), (policy.name, actions)
            if "*" in resources:
                assert set(actions) <= set(UNSCOPABLE_ACTIONS), (policy.name, actions)
    for role in stack.of_type("aws:iam/role:Role"):
        (trust,) = _statements(role.inputs["assumeRolePolicy"])
        assert trust["Action"] == "sts:AssumeRole" and set(trust["Principal"]) == {"Service"}


@pytest.mark.parametrize("key", STACKS)
def test_sagemaker_roles_guard_against_confused_deputies(
    stacks: dict[str, Stack], key: str
) -> None:
    stack = stacks[key]
    plan = stack.plan
    account = stack.doc.outputs["kms_key_arn"].split(":")[4]
    sagemaker = 0
    for role in stack.of_type("aws:iam/role:Role"):
        (trust,) = _statements(role.inputs["assumeRolePolicy"])
        if trust["Principal"]["Service"] != "sagemaker.amazonaws.com":
            continue
        sagemaker += 1
        condition = trust["Condition"]
        source_account = condition["StringEquals"]["aws:SourceAccount"]
        assert source_account == account and re.fullmatch(r"\d{12}", account), role.name
        assert condition["ArnLike"]["aws:SourceArn"] == (
            f"arn:{plan.partition}:sagemaker:{plan.region}:{source_account}:*"
        ), role.name
    assert sagemaker >= len(plan.training)


@pytest.mark.parametrize("key", STACKS)
def test_alarms_have_actions(stacks: dict[str, Stack], key: str) -> None:
    stack = stacks[key]
    enabled = stack.plan.policy.alarm_actions_enabled
    topic = stack.doc.outputs["alarm_topic_arn"]
    alarms = stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") + stack.of_type(
        "aws:cloudwatch/compositeAlarm:CompositeAlarm"
    )
    assert alarms
    for alarm in alarms:
        assert topic in alarm.inputs["alarmActions"], alarm.name
        assert alarm.inputs["actionsEnabled"] is enabled
    if key in PRODUCTION and key != "churn-staging":  # staging turns paging off on purpose
        assert enabled


@pytest.mark.parametrize("key", STACKS)
def test_stateful_resources_are_protected_in_production(stacks: dict[str, Stack], key: str) -> None:
    stack = stacks[key]
    production = key in PRODUCTION
    for type_ in STATEFUL:
        for resource in stack.of_type(type_):
            assert resource.protect is production, resource.urn
            assert resource.retain_on_delete is production, resource.urn
    for bucket in stack.of_type("aws:s3/bucket:Bucket"):
        assert bucket.inputs["forceDestroy"] is (not production)
    for table in stack.of_type("aws:dynamodb/table:Table"):
        assert table.inputs["deletionProtectionEnabled"] is production


@pytest.mark.parametrize("key", ["churn-prod", "full-prod"])
def test_resource_policies(stacks: dict[str, Stack], key: str) -> None:
    stack = stacks[key]
    (topic_policy,) = stack.of_type("aws:sns/topicPolicy:TopicPolicy")
    sids = {s["Sid"] for s in _statements(topic_policy.inputs["policy"])}
    assert {"CloudWatchAlarms", "DenyInsecureTransport"} <= sids
    (key_policy,) = stack.of_type("aws:kms/keyPolicy:KeyPolicy")
    for statement in _statements(key_policy.inputs["policy"]):
        if statement["Sid"] != "EnableIamPolicies":
            assert "kms:*" not in _as_list(statement["Action"])
    topic = stack.doc.outputs["alarm_topic_arn"]
    roles = {r.inputs["name"] for r in stack.of_type("aws:iam/role:Role")}
    for queue_policy in stack.of_type("aws:sqs/queuePolicy:QueuePolicy"):
        sender = _statements(queue_policy.inputs["policy"])[0]
        if "AWS" in sender["Principal"]:  # a schedule's queue: Scheduler sends as its role
            role = sender["Principal"]["AWS"].split(":role/", 1)[1]
            assert role.endswith("-scheduler") and role in roles
            continue
        assert sender["Principal"] in (
            {"Service": "events.amazonaws.com"},  # rules' undeliverable events
            {"Service": "sns.amazonaws.com"},  # the webhook notifier's subscription
        )
        source = sender["Condition"]["ArnEquals"]["aws:SourceArn"]
        if sender["Principal"] == {"Service": "sns.amazonaws.com"}:
            assert source == topic


@pytest.mark.parametrize("key", STACKS)
def test_services_may_use_the_key_only_for_this_account(stacks: dict[str, Stack], key: str) -> None:
    """Confused-deputy guard: a statement letting an AWS service use the key holds only for
    this account (aws:SourceAccount), or for CloudWatch Logs only for this account's log
    groups of this system (the documented encryption-context condition)."""
    stack = stacks[key]
    account = stack.doc.outputs["kms_key_arn"].split(":")[4]
    region, prefix = stack.plan.region, f"{stack.plan.system}-{stack.plan.environment}-"
    (key_policy,) = stack.of_type("aws:kms/keyPolicy:KeyPolicy")
    services = [
        s
        for s in _statements(key_policy.inputs["policy"])
        if isinstance(s.get("Principal"), dict) and "Service" in s["Principal"]
    ]
    assert {"cloudwatch.amazonaws.com", "events.amazonaws.com"} <= {
        s["Principal"]["Service"] for s in services
    }
    for statement in services:
        service, condition = statement["Principal"]["Service"], statement["Condition"]
        if service == f"logs.{region}.amazonaws.com":
            patterns = _as_list(condition["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
            for pattern in patterns:
                assert pattern.startswith(f"arn:aws:logs:{region}:{account}:log-group:")
                assert f"/{prefix}" in pattern, pattern
        else:
            assert condition["StringEquals"]["aws:SourceAccount"] == account, statement
        if service == "sns.amazonaws.com":
            assert condition["ArnEquals"]["aws:SourceArn"] == stack.doc.outputs["alarm_topic_arn"]
