"""Each rule fails a real plan mutated the way it guards against, naming the resource and rule.

The plans are the production stacks of the churn example (a latest_approved endpoint the deploy
function creates) and of the all-tiers spec (a pinned endpoint Pulumi owns)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mlops_spec.guardrails import check, from_document

pytestmark = pytest.mark.xdist_group("guardrails")
Doc = dict[str, Any]


def resource(document: Doc, type_: str, name: str) -> dict[str, Any]:
    return next(r for r in document["resources"] if r["type"] == type_ and r["name"] == name)


def deploy_target(document: Doc) -> dict[str, Any]:
    """The deploy function's configuration of churn's endpoint (in the object its environment
    names), and a way to write it back."""
    function = resource(document, "aws:lambda/function:Function", "retraining-deploy")
    uri = function["inputs"]["environment"]["variables"]["MLOPS_RUNTIME_CONFIG_OBJECT"]
    (upload,) = [
        r["inputs"]
        for r in document["resources"]
        if r["type"] == "aws:s3/bucketObjectv2:BucketObjectv2"
        and f"s3://{r['inputs']['bucket']}/{r['inputs']['key']}" == uri
    ]
    config = json.loads(upload["content"])
    return config["endpoints"]["churn-prod-churn-classifier"] | {"_write": (upload, config)}


def write(target: dict[str, Any]) -> None:
    upload, config = target.pop("_write")
    config["endpoints"]["churn-prod-churn-classifier"] = target
    upload["content"] = json.dumps(config)


def violations(document: Doc, rule: str) -> list[tuple[str, str, str]]:
    """(urn's last part, resource, message) of ``rule``'s violations; other rules must pass."""
    result = check(from_document(document, production=True))
    others = {v.rule for v in result.violations} - {rule}
    assert not others, f"the mutation also broke {others}"
    return [(v.urn.rsplit("::", 1)[1], v.resource, v.message) for v in result.violations]


def test_baselines_pass(churn_prod: Doc, full_prod: Doc) -> None:
    assert check(from_document(churn_prod, production=True)).passed
    broken = check(from_document(full_prod, production=True)).violations
    assert {v.rule for v in broken} == {"two-instances"}  # its latest_approved endpoint


def test_kms_store_without_a_key(churn_prod: Doc) -> None:
    topic = resource(churn_prod, "aws:sns/topic:Topic", "monitoring-topic")
    del topic["inputs"]["kmsMasterKeyId"]
    encryption = resource(
        churn_prod,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "storage-artifacts-encryption",
    )
    encryption["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"] = {
        "sseAlgorithm": "AES256"
    }
    assert violations(churn_prod, "kms") == [
        (
            "storage-artifacts",
            "acme-churn-prod-artifacts-eu-west-1",
            "default encryption is ['AES256'], not aws:kms",
        ),
        (
            "monitoring-topic",
            "churn-prod-alarms",
            "not encrypted with a KMS key (kmsMasterKeyId is not set)",
        ),
    ]


def test_kms_capture_of_a_deploy_owned_endpoint(churn_prod: Doc) -> None:
    target = deploy_target(churn_prod)
    target["data_capture"]["kms_key_id"] = None
    write(target)
    assert violations(churn_prod, "kms") == [
        (
            "retraining-deploy",
            "churn-prod-deploy",
            "endpoint churn-prod-churn-classifier: captured inferences have no KMS key",
        )
    ]


def test_no_public_bucket(churn_prod: Doc) -> None:
    block = resource(
        churn_prod,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "storage-reports-public-access",
    )
    block["inputs"]["restrictPublicBuckets"] = False
    policy = resource(churn_prod, "aws:s3/bucketPolicy:BucketPolicy", "storage-reports-policy")
    document = json.loads(policy["inputs"]["policy"])
    document["Statement"].append(
        {
            "Sid": "Everyone",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::acme-churn-prod-reports-eu-west-1/*",
        }
    )
    policy["inputs"]["policy"] = json.dumps(document)
    found = violations(churn_prod, "no-public-bucket")
    assert [(urn, message) for urn, _, message in found] == [
        (
            "storage-reports-public-access",
            "public access block of acme-churn-prod-reports-eu-west-1 leaves restrictPublicBuckets off",
        ),
        ("storage-reports-policy", "statement Everyone allows any principal ('*')"),
    ]


def test_no_wildcard_action(churn_prod: Doc) -> None:
    policy = resource(
        churn_prod, "aws:iam/rolePolicy:RolePolicy", "retraining-trigger-trigger-policy"
    )
    document = json.loads(policy["inputs"]["policy"])
    document["Statement"][0]["Action"] = ["sagemaker:*"]
    policy["inputs"]["policy"] = json.dumps(document)
    assert violations(churn_prod, "no-wildcard-action") == [
        (
            "retraining-trigger-trigger-policy",
            "retraining-trigger-trigger-policy",
            "statement StartPipelines allows action 'sagemaker:*'",
        )
    ]


def test_cost_tags(churn_prod: Doc) -> None:
    function = resource(churn_prod, "aws:lambda/function:Function", "retraining-trigger")
    del function["inputs"]["tags"]["owner"]
    assert violations(churn_prod, "cost-tags") == [
        ("retraining-trigger", "churn-prod-retrain-trigger", "missing cost-attribution tags: owner")
    ]


def test_capture_for_drift_deploy_owned(churn_prod: Doc) -> None:
    target = deploy_target(churn_prod)
    target["data_capture"] = None
    write(target)
    (found,) = violations(churn_prod, "capture-for-drift")
    assert found[:2] == ("retraining-deploy", "churn-prod-deploy")
    assert "captures no traffic, but the drift monitors of churn-classifier read it" in found[2]


def pinned_target(document: Doc, name: str) -> dict[str, Any]:
    """The ``EndpointTarget`` input of a pinned endpoint (the one rollout's resource)."""
    endpoint = resource(document, "pulumi-python:dynamic/mlops:Endpoint", name)
    target: dict[str, Any] = endpoint["inputs"]["target"]
    return target


def test_capture_for_drift_pulumi_owned(full_prod: Doc) -> None:
    target = pinned_target(full_prod, "rt-serving-endpoint")
    target["data_capture"]["destination_s3_uri"] = "s3://elsewhere/endpoints"
    found = [f for f in violations_of(full_prod, "capture-for-drift")]
    assert found == [
        (
            "rt-serving-endpoint",
            "full-prod-rt",
            "endpoint full-prod-rt captures to s3://elsewhere/endpoints, but the monitoring job "
            "of rt reads s3://acme-full-prod-capture-us-west-2/endpoints",
        )
    ]


def violations_of(document: Doc, rule: str) -> list[tuple[str, str, str]]:
    """Like ``violations`` for a plan that already breaks two-instances (the all-tiers spec)."""
    result = check(from_document(document, production=True), skip=("two-instances",))
    assert {v.rule for v in result.violations} <= {rule}
    return [(v.urn.rsplit("::", 1)[1], v.resource, v.message) for v in result.violations]


def test_rollback_alarms_exist(churn_prod: Doc) -> None:
    alarm = resource(
        churn_prod, "aws:cloudwatch/metricAlarm:MetricAlarm", "churn-classifier-p99-latency-alarm"
    )
    alarm["inputs"]["name"] = "churn-prod-churn-classifier-latency-p99"
    composite = resource(
        churn_prod, "aws:cloudwatch/compositeAlarm:CompositeAlarm", "churn-classifier-health-alarm"
    )
    assert composite  # the health alarm still names the old one; only the endpoint is checked
    assert violations(churn_prod, "rollback-alarms-exist") == [
        (
            "retraining-deploy",
            "churn-prod-deploy",
            "endpoint churn-prod-churn-classifier (created by the deploy function): rollback "
            "alarm churn-prod-churn-classifier-p99-latency is not in this stack",
        )
    ]


def test_rollback_required_pulumi_owned(full_prod: Doc) -> None:
    pinned_target(full_prod, "rt-serving-endpoint")["rollback_alarms"] = []
    assert violations_of(full_prod, "rollback-required") == [
        (
            "rt-serving-endpoint",
            "full-prod-rt",
            "endpoint full-prod-rt: no rollback alarm, a bad version stays in",
        )
    ]


def test_rollback_required_deploy_owned(churn_prod: Doc) -> None:
    target = deploy_target(churn_prod)
    target["rollback_alarms"] = []
    write(target)
    (found,) = violations(churn_prod, "rollback-required")
    assert found[0] == "retraining-deploy"
    assert "no rollback alarm, a bad version stays in" in found[2]


def test_two_instances_pulumi_owned(full_prod: Doc) -> None:
    pinned_target(full_prod, "rt-serving-endpoint")["autoscaling"]["min_capacity"] = 1
    found = [
        (urn, message)
        for urn, _, message in violations(full_prod, "two-instances")
        if urn == "rt-serving-endpoint"
    ]
    assert found == [
        (
            "rt-serving-endpoint",
            "endpoint full-prod-rt: autoscaling minimum is 1, production needs at least 2",
        )
    ]


def test_two_instances_deploy_owned(churn_prod: Doc) -> None:
    target = deploy_target(churn_prod)
    target["initial_instance_count"] = 1
    write(target)
    assert [message for _, _, message in violations(churn_prod, "two-instances")] == [
        "endpoint churn-prod-churn-classifier (created by the deploy function): initial "
        "instances is 1, production needs at least 2"
    ]


def test_paging(churn_prod: Doc) -> None:
    alarm = resource(
        churn_prod, "aws:cloudwatch/metricAlarm:MetricAlarm", "churn-classifier-server-errors-alarm"
    )
    alarm["inputs"]["actionsEnabled"] = False
    composite = resource(
        churn_prod, "aws:cloudwatch/compositeAlarm:CompositeAlarm", "churn-classifier-health-alarm"
    )
    composite["inputs"]["alarmActions"] = []
    assert violations(churn_prod, "paging") == [
        (
            "churn-classifier-health-alarm",
            "churn-prod-churn-classifier-health",
            "the alarm has no alarm actions: nobody is paged",
        ),
        (
            "churn-classifier-server-errors-alarm",
            "churn-prod-churn-classifier-server-errors",
            "alarm actions are disabled (actionsEnabled: false): nobody is paged",
        ),
    ]


def test_stateful_protected(churn_prod: Doc) -> None:
    bucket = next(
        r
        for r in churn_prod["resources"]
        if r["urn"].endswith("aws:s3/bucket:Bucket::storage-artifacts")
    )
    bucket["protect"] = False
    table = resource(churn_prod, "aws:dynamodb/table:Table", "retraining-table")
    table["inputs"]["deletionProtectionEnabled"] = False
    assert violations(churn_prod, "stateful-protected") == [
        (
            "retraining-table",
            "churn-prod-retraining",
            "deletion protection is off (deletionProtectionEnabled)",
        ),
        (
            "storage-artifacts",
            "acme-churn-prod-artifacts-eu-west-1",
            "not protected: deleting it loses its objects (set protect)",
        ),
    ]


def test_development_skips_the_production_rules(churn_prod: Doc) -> None:
    alarm = resource(
        churn_prod, "aws:cloudwatch/metricAlarm:MetricAlarm", "churn-classifier-server-errors-alarm"
    )
    alarm["inputs"]["actionsEnabled"] = False
    assert check(from_document(churn_prod, production=False)).passed
