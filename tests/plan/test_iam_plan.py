"""Security invariants over every role of every plan: no wildcard actions, resources scoped
except for the actions AWS only accepts with "*" (listed with their reasons)."""

from __future__ import annotations

import fnmatch
import re

import pytest

from mlops_spec.plan import DeploymentPlan
from mlops_spec.plan.documents import Statement
from mlops_spec.plan.iam import REGION_WIDE_ACTIONS, SCALING_ROLE, UNSCOPABLE_ACTIONS, RolePlan
from tests.plan.conftest import CASE_IDS, example, full

REGION_WIDE = re.compile(r"^arn:[^:]+:[^:]+:[a-z0-9-]+:\$\{account\}:[a-z-]+[:/]\*$")
"""Every resource of a type in the stack's account and region (``...:alarm:*``)."""


def roles_of(deployment: DeploymentPlan) -> list[RolePlan]:
    roles = [t.role for t in deployment.training]
    roles += [t.job_role for t in deployment.training]
    roles += [t.scheduler_role for t in deployment.training if t.scheduler_role]
    roles += [s.role for s in deployment.serving]
    roles += [j.role for j in deployment.monitoring.jobs]
    if deployment.retraining:
        roles += [f.role for f in deployment.retraining.functions]
    if deployment.monitoring.notifier:
        roles.append(deployment.monitoring.notifier.function.role)
    return roles


@pytest.mark.parametrize("case", CASE_IDS)
def test_role_policies_are_least_privilege(all_plans: dict[str, DeploymentPlan], case: str) -> None:
    deployment = all_plans[case]
    roles = roles_of(deployment)
    assert len({r.name for r in roles}) == len(roles)
    for role in roles:
        sids = [s.sid for s in role.policy.statements]
        assert len(sids) == len(set(sids)), role.name
        for statement in role.policy.statements:
            assert statement.effect == "Allow" and not statement.principals
            for action in statement.actions:
                assert "*" not in action, (role.name, action)
            if "*" in statement.resources:
                assert statement.resources == ("*",)
                assert set(statement.actions) <= set(UNSCOPABLE_ACTIONS), (role.name, statement)
            for resource in statement.resources:
                if resource != "*":
                    assert resource.startswith("arn:") or resource == "${key_arn}", resource
                    assert resource.split(":", 5)[-1] not in ("*", ""), resource
                if REGION_WIDE.match(resource):
                    assert set(statement.actions) <= set(REGION_WIDE_ACTIONS), statement
                    if "kms:Decrypt" in statement.actions:  # only SSM may use the keys
                        keys = {c.key for c in statement.conditions}
                        assert {
                            "kms:ViaService",
                            "kms:EncryptionContext:PARAMETER_ARN",
                        } <= keys, statement
            if "iam:PassRole" in statement.actions:
                assert statement.conditions[0].key == "iam:PassedToService"


@pytest.mark.parametrize("case", CASE_IDS)
def test_resources_belong_to_this_system(all_plans: dict[str, DeploymentPlan], case: str) -> None:
    deployment = all_plans[case]
    prefix = f"{deployment.system}-{deployment.environment}"
    external = {loc.bucket for loc in deployment.storage.data if not loc.managed}
    external |= {"acme-scoring-inputs", "acme-scoring-outputs"}
    for role in roles_of(deployment):
        for statement in role.policy.statements:
            for resource in statement.resources:
                if resource.startswith(
                    (
                        "arn:aws:sagemaker:",
                        "arn:aws:dynamodb:",
                        "arn:aws:sqs:",
                        "arn:aws:lambda:",
                        "arn:aws:iam:",
                    )
                ):
                    name = resource.rsplit(":", 1)[1].split("/", 1)[-1]
                    if name.endswith(f"/{SCALING_ROLE}"):  # the service-linked role
                        assert "iam:AWSServiceName" in {c.key for c in statement.conditions}
                        continue
                    if name == "registry-credentials":  # full.yaml's private_registry
                        assert statement.sid == "RegistryCredentials", statement
                        continue
                    assert name.startswith((prefix, "pipelines-")), (role.name, resource)
                if resource.startswith("arn:aws:s3:::"):
                    bucket = resource[len("arn:aws:s3:::") :].split("/", 1)[0]
                    assert prefix in bucket or bucket in external, (role.name, resource)


def test_trust_policies_name_one_service() -> None:
    services = {r.name: r.service for r in roles_of(full("prod"))}
    assert services["full-prod-rt-train"] == "sagemaker.amazonaws.com"
    assert services["full-prod-rt-scheduler"] == "scheduler.amazonaws.com"
    assert services["full-prod-retrain-trigger"] == "lambda.amazonaws.com"
    for role in roles_of(full("prod")):
        (statement,) = role.trust.statements
        assert statement.principals == (("Service", role.service),)
        assert "Resource" not in statement.to_dict()


def test_unscopable_actions_have_reasons() -> None:
    assert all(reason for reason in UNSCOPABLE_ACTIONS.values())
    assert all(reason for reason in REGION_WIDE_ACTIONS.values())


def test_deploy_role_may_manage_autoscaling_only_of_instance_based_endpoints() -> None:
    deploy = example("churn", "prod").retraining.function("deploy")  # type: ignore[union-attr]
    assert deploy is not None
    statements = {s.sid: s for s in deploy.role.policy.statements}
    assert statements["RegisterScaling"].actions == (
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:RegisterScalableTarget",
    )
    assert statements["RegisterScaling"].resources == (
        "arn:aws:application-autoscaling:eu-west-1:${account}:scalable-target/*",
    )
    assert statements["DescribeScaling"].resources == ("*",)
    assert statements["ScaleEndpoint"].actions == ("sagemaker:UpdateEndpointWeightsAndCapacities",)
    assert statements["ScaleEndpoint"].resources == (
        "arn:aws:sagemaker:eu-west-1:${account}:endpoint/churn-prod-churn-classifier",
    )
    # Application Auto Scaling writes only for SageMaker endpoint variants
    for sid in ("RegisterScaling",):
        assert [(c.operator, c.key, c.values) for c in statements[sid].conditions] == [
            ("StringEquals", "application-autoscaling:service-namespace", ("sagemaker",)),
            (
                "StringEquals",
                "application-autoscaling:scalable-dimension",
                ("sagemaker:variant:DesiredInstanceCount",),
            ),
        ]
    # Alarm writes: the endpoint's target-tracking alarms and the nameless validation call that
    # Application Auto Scaling makes; never the system's alarms (rollback alarms among them)
    assert statements["ScalingAlarmChecks"].actions == (
        "cloudwatch:DeleteAlarms",
        "cloudwatch:PutMetricAlarm",
    )
    assert statements["ScalingAlarmChecks"].resources == (
        "arn:aws:cloudwatch:eu-west-1:${account}:alarm:TargetTracking-endpoint/"
        "churn-prod-churn-classifier/variant/AllTraffic-*",
        "arn:aws:cloudwatch:eu-west-1:${account}:alarm:",
    )
    rollback = (
        "arn:aws:cloudwatch:eu-west-1:${account}:alarm:churn-prod-churn-classifier-p99-latency"
    )
    writes = [s for s in deploy.role.policy.statements if "cloudwatch:DeleteAlarms" in s.actions]
    assert not any(fnmatch.fnmatchcase(rollback, r) for s in writes for r in s.resources)
    assert statements["ScalingAlarmReads"].actions == ("cloudwatch:DescribeAlarms",)
    slr = statements["CreateScalingRole"]
    assert slr.actions == ("iam:CreateServiceLinkedRole",)
    assert slr.resources == (
        "arn:aws:iam::${account}:role/aws-service-role/"
        "sagemaker.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
    )
    (condition,) = slr.conditions
    assert (condition.operator, condition.key, condition.values) == (
        "StringEquals",
        "iam:AWSServiceName",
        ("sagemaker.application-autoscaling.amazonaws.com",),
    )
    # serverless endpoints (ltv dev) have no autoscaling at all
    role = example("ltv", "dev").retraining.function("deploy").role  # type: ignore[union-attr]
    actions = {a for s in role.policy.statements for a in s.actions}
    assert not any(a.startswith("application-autoscaling:") for a in actions)
    assert "iam:CreateServiceLinkedRole" not in actions
    # fixed-size endpoints (full: la) register nothing, but the function takes an earlier
    # registration off before an instance-type change
    role = full("prod").retraining.function("deploy").role  # type: ignore[union-attr]
    statements = {s.sid: s for s in role.policy.statements}
    assert statements["RemoveScaling"].actions == (
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:DeregisterScalableTarget",
    )
    assert {c.key: c.values for c in statements["RemoveScaling"].conditions} == {
        "application-autoscaling:service-namespace": ("sagemaker",),
        "application-autoscaling:scalable-dimension": ("sagemaker:variant:DesiredInstanceCount",),
    }
    actions = {a for s in role.policy.statements for a in s.actions}
    assert "application-autoscaling:RegisterScalableTarget" not in actions
    assert "iam:CreateServiceLinkedRole" not in actions


def _statement(role: RolePlan, sid: str) -> Statement | None:
    return next((s for s in role.policy.statements if s.sid == sid), None)


def test_endpoint_roles_publish_instance_metrics_and_read_their_rollback_alarms() -> None:
    deployment = example("churn", "prod")
    serving = deployment.serving_for("churn-classifier")
    assert serving and serving.endpoint and serving.endpoint.serverless is None
    metrics = _statement(serving.role, "EndpointInstanceMetrics")
    assert metrics is not None
    assert (metrics.actions, metrics.resources) == (("cloudwatch:PutMetricData",), ("*",))
    assert [(c.operator, c.key, c.values) for c in metrics.conditions] == [
        ("StringEquals", "cloudwatch:namespace", ("/aws/sagemaker/Endpoints",))
    ]
    alarms = _statement(serving.role, "ReadRollbackAlarms")
    assert alarms is not None and serving.rollback_alarms
    assert alarms.actions == ("cloudwatch:DescribeAlarms",)
    assert alarms.resources == tuple(
        f"arn:aws:cloudwatch:eu-west-1:${{account}}:alarm:{name}"
        for name in serving.rollback_alarms
    )
    assert (
        "arn:aws:cloudwatch:eu-west-1:${account}:alarm:churn-prod-churn-classifier-p99-latency"
        in (alarms.resources)
    )


def test_serverless_and_batch_roles_get_no_instance_metrics_or_alarm_reads() -> None:
    deployment = example("ltv", "prod")
    for model in ("ticket-router", "lifetime-value"):  # serverless, batch
        serving = deployment.serving_for(model)
        assert serving is not None
        assert _statement(serving.role, "EndpointInstanceMetrics") is None, model
        assert _statement(serving.role, "ReadRollbackAlarms") is None, model


@pytest.mark.parametrize("case", CASE_IDS)
def test_registry_scaling_and_alarm_writes_carry_their_conditions(
    all_plans: dict[str, DeploymentPlan], case: str
) -> None:
    """Every CreateModelPackage grant names the approval status; every Application Auto
    Scaling write holds for SageMaker endpoint variants only; no role may write the system's
    own alarms (rollback alarms among them)."""
    deployment = all_plans[case]
    own_alarm = (
        f"arn:aws:cloudwatch:{deployment.region}:${{account}}:alarm:"
        f"{deployment.system}-{deployment.environment}-any-monitor"
    )
    for role in roles_of(deployment):
        for statement in role.policy.statements:
            keys = {c.key: c.values for c in statement.conditions}
            if "sagemaker:CreateModelPackage" in statement.actions:
                assert keys.get("sagemaker:ModelApprovalStatus") in (
                    ("Approved",),
                    ("PendingManualApproval",),
                ), role.name
            if any(
                a.startswith("application-autoscaling:")
                and not a.split(":")[1].startswith("Describe")
                for a in statement.actions
            ):
                assert keys.get("application-autoscaling:service-namespace") == ("sagemaker",)
                assert keys.get("application-autoscaling:scalable-dimension") == (
                    "sagemaker:variant:DesiredInstanceCount",
                )
            if {"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"} & set(statement.actions):
                assert not any(fnmatch.fnmatchcase(own_alarm, r) for r in statement.resources)
