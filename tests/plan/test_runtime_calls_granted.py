"""Every AWS call the runtime units make is allowed by the role the plan gives them.

``CALLS`` lists, per unit, each boto3 operation its code reaches (client variable.operation)
and the IAM action it needs. One test scans the units' source for client calls, so a new call
fails here until it is listed; another checks every planned role grants each listed action
(moto does not evaluate IAM, so the runtime tests cannot catch a missing grant).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from mlops_runtime.contract.config import DeployConfig
from mlops_spec.plan import DeploymentPlan, render
from mlops_spec.plan.iam import RolePlan
from mlops_spec.plan.retraining import FunctionPlan
from tests.plan.conftest import CASE_IDS

ROOT = Path(__file__).parents[2]
CLIENTS = {
    "sagemaker": "sagemaker",
    "autoscaling": "application-autoscaling",
    "dynamodb": "dynamodb",
    "ssm": "ssm",
    "s3": "s3",
    "cloudwatch": "cloudwatch",
    "sns": "sns",
    "ecr": "ecr",
}
"""How the runtime names its clients -> IAM service prefix."""
NOT_OPERATIONS = {"get_paginator", "exceptions", "meta"}
PAGINATED = {"list_objects_v2"}
"""Operations called through ``get_paginator("<operation>")``."""
ACTIONS = {
    "s3.list_objects_v2": "s3:ListBucket",
    "s3.head_object": "s3:GetObject",
    "s3.copy_object": "s3:PutObject",
    "s3.list_object_versions": "s3:ListBucketVersions",
}
"""Operations whose IAM action is not the operation's name."""
ALSO = {"s3.copy_object": ("s3:GetObject", "s3:ListBucket")}
"""Further actions an operation needs: CopyObject reads its source (and, to tell a missing
source from access denied, lists its prefix)."""
FUNCTIONS = {"trigger", "deploy", "notify"}
CONFIG_READ = ("s3:GetObject", "s3:GetObjectVersion")
"""What each function needs to read its configuration object (``aws.config_object``): GetObject
with a ``VersionId`` needs ``s3:GetObjectVersion`` too."""

UNITS: dict[str, tuple[str, ...]] = {
    "trigger": ("mlops_runtime.trigger",),
    "deploy": ("mlops_runtime.deploy",),
    "notify": ("mlops_runtime.notify",),
    "monitor": ("mlops_runtime.monitoring_job",),
    "evaluate": ("mlops_runtime.evaluate",),
    "lineage": ("mlops_runtime.lineage_job",),
}
"""Entry modules; the scan follows their ``mlops_runtime`` imports."""

CALLS: dict[str, set[str]] = {
    "trigger": {
        "s3.get_object",
        "dynamodb.delete_item",
        "dynamodb.get_item",
        "dynamodb.put_item",
        "dynamodb.update_item",
        "sagemaker.start_pipeline_execution",
    },
    "deploy": {
        "dynamodb.get_item",
        "dynamodb.put_item",
        "s3.copy_object",
        "s3.get_object",
        "sns.publish",
        "sagemaker.create_endpoint",
        "sagemaker.create_endpoint_config",
        "sagemaker.create_model",
        "sagemaker.describe_endpoint",
        "sagemaker.describe_endpoint_config",
        "sagemaker.describe_model",
        "sagemaker.describe_model_package",
        "sagemaker.list_model_packages",
        "sagemaker.update_endpoint",
        "autoscaling.describe_scalable_targets",
        "autoscaling.describe_scaling_policies",
        "autoscaling.delete_scaling_policy",
        "autoscaling.deregister_scalable_target",
        "autoscaling.register_scalable_target",
        "autoscaling.put_scaling_policy",
    },
    "notify": {"s3.get_object", "ssm.get_parameter"},
    "monitor": {
        "s3.get_object",
        "s3.head_object",
        "s3.list_objects_v2",
        "s3.put_object",
        "cloudwatch.put_metric_data",
    },
    "evaluate": {
        "sagemaker.delete_model",
        "sagemaker.describe_model",
        "sagemaker.describe_model_package",
        "sagemaker.list_model_packages",
        "s3.get_object",
    },
    "lineage": {"s3.list_object_versions", "ecr.batch_get_image"},
}
"""unit -> client.operation it calls (grep-able)."""
NOT_REACHED: dict[str, dict[str, str]] = {
    "notify": {"sns.get": "the SNS record of the event (a dict), not a client"},
    "trigger": {"dynamodb.query": "audit.records, an operator's helper, not the handler"},
    "lineage": {
        "s3.head_object": "InputReader.head: mlops lineage --verify (the caller's rights)",
        "s3.get_object": "S3Records.get: mlops lineage reads a record (the caller's rights)",
    },
    "deploy": {
        "dynamodb.query": "audit.records, an operator's helper, not the handler",
    },
}
"""Calls in a unit's modules that the unit's entry point never makes, and why."""
SCALING_TEARDOWN = {
    "autoscaling.describe_scalable_targets",
    "autoscaling.describe_scaling_policies",
    "autoscaling.delete_scaling_policy",
    "autoscaling.deregister_scalable_target",
}
"""Reached for any instance-based endpoint (before an instance-type change)."""
SCALING_SETUP = {"autoscaling.register_scalable_target", "autoscaling.put_scaling_policy"}
"""Reached only for endpoints with autoscaling."""
PROMOTION = {"s3.copy_object"}
"""Reached only for endpoints whose drift references the function promotes."""


def action(call: str) -> str:
    if call in ACTIONS:
        return ACTIONS[call]
    client, operation = call.split(".")
    return f"{CLIENTS[client]}:{''.join(p.title() for p in operation.split('_'))}"


def _path(module: str) -> Path:
    return ROOT / (module.replace(".", "/") + ".py")


def modules_of(entries: tuple[str, ...]) -> set[str]:
    seen: set[str] = set()
    todo = list(entries)
    while todo:
        module = todo.pop()
        if module in seen or not _path(module).is_file():
            continue
        seen.add(module)
        for node in ast.walk(ast.parse(_path(module).read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mlops_runtime"):
                base = node.module or ""
                todo.append(base)
                todo += [f"{base}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                todo += [a.name for a in node.names if a.name.startswith("mlops_runtime")]
    return seen


CALL = re.compile(r"\b(" + "|".join(CLIENTS) + r")\.([a-z][a-z0-9_]*)\b")
PAGINATE = re.compile(r"\b(" + "|".join(CLIENTS) + r")\.get_paginator\(\"([a-z0-9_]+)\"\)")


def _functions(module: str) -> set[str]:
    """Top-level names of a runtime module named like a client (``mlops_runtime.autoscaling``)."""
    path = _path(module)
    if not path.is_file():
        return set()
    return {
        node.name
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
    }


def scanned(unit: str) -> set[str]:
    """client.operation references in the unit's modules (calls, and methods passed on),
    less the ones its entry point never reaches (``NOT_REACHED``)."""
    found: set[str] = set()
    for module in modules_of(UNITS[unit]):
        source = _path(module).read_text()
        for client, operation in CALL.findall(source):
            if operation in NOT_OPERATIONS or operation in _functions(f"mlops_runtime.{client}"):
                continue
            found.add(f"{client}.{operation}")
        found |= {f"{c}.{o}" for c, o in PAGINATE.findall(source)}
    return found - set(NOT_REACHED.get(unit, {}))


@pytest.mark.parametrize("unit", UNITS)
def test_the_table_lists_every_call_the_code_makes(unit: str) -> None:
    assert scanned(unit) == CALLS[unit]


def test_the_action_names() -> None:
    assert action("autoscaling.deregister_scalable_target") == (
        "application-autoscaling:DeregisterScalableTarget"
    )
    assert action("sagemaker.start_pipeline_execution") == "sagemaker:StartPipelineExecution"
    assert action("s3.list_objects_v2") == "s3:ListBucket"


def granted(role: RolePlan) -> set[str]:
    return {a for s in role.policy.statements if s.effect == "Allow" for a in s.actions}


def needed(call: str) -> tuple[str, ...]:
    """Every IAM action ``call`` needs."""
    return (action(call), *ALSO.get(call, ()))


def promotes(deploy: FunctionPlan) -> bool:
    """The deploy function's configuration names drift references to promote."""
    refs = {"account": "123456789012", "key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k"}
    config = DeployConfig.from_json(render(deploy.config, refs))
    return any(target.references for target in config.endpoints.values())


def roles(deployment: DeploymentPlan) -> list[tuple[str, RolePlan, set[str]]]:
    """(unit, role, calls it must be allowed) of every planned unit."""
    found: list[tuple[str, RolePlan, set[str]]] = []
    retraining = deployment.retraining
    if retraining and (trigger := retraining.function("trigger")):
        found.append(("trigger", trigger.role, CALLS["trigger"]))
    if retraining and (deploy := retraining.function("deploy")):
        endpoints = [
            s.endpoint
            for s in deployment.serving
            if s.endpoint and s.endpoint.owner == "deploy-function"
        ]
        calls = CALLS["deploy"] - SCALING_TEARDOWN - SCALING_SETUP - PROMOTION
        if any(e.serverless is None for e in endpoints):
            calls |= SCALING_TEARDOWN
        if any(e.autoscaling for e in endpoints):
            calls |= SCALING_SETUP
        if promotes(deploy):
            calls |= PROMOTION
        found.append(("deploy", deploy.role, calls))
    if deployment.monitoring.notifier:
        found.append(("notify", deployment.monitoring.notifier.function.role, CALLS["notify"]))
    for job in deployment.monitoring.jobs:
        found.append(("monitor", job.role, CALLS["monitor"]))
    for training in deployment.training:
        if training.gate:
            found.append(("evaluate", training.role, CALLS["evaluate"]))
        if training.lineage:  # the Inputs and Lineage steps run with the pipeline's role
            found.append(("lineage", training.role, CALLS["lineage"]))
    return found


@pytest.mark.parametrize("case", CASE_IDS)
def test_every_call_is_granted(all_plans: dict[str, DeploymentPlan], case: str) -> None:
    for unit, role, calls in roles(all_plans[case]):
        actions = {a for c in calls for a in needed(c)} | set(
            CONFIG_READ if unit in FUNCTIONS else ()
        )
        missing = sorted(a for a in actions if a not in granted(role))
        assert missing == [], (unit, role.name)


def test_the_check_sees_every_unit(all_plans: dict[str, DeploymentPlan]) -> None:
    units = {unit for deployment in all_plans.values() for unit, *_ in roles(deployment)}
    assert units == set(UNITS)
    # and both kinds of deploy role: with and without autoscaling set-up
    deploy = [
        calls
        for deployment in all_plans.values()
        for u, _, calls in roles(deployment)
        if u == "deploy"
    ]
    assert any(calls >= SCALING_SETUP for calls in deploy)
    assert any(calls >= SCALING_TEARDOWN and not SCALING_SETUP & calls for calls in deploy)
    assert any(calls >= PROMOTION for calls in deploy)
