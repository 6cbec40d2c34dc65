"""A 50-model estate (tests/components/specs/estate.yaml) validates and plans in every stack.

20 real-time models follow ``latest_approved`` and retrain on drift, 10 serverless and 20 batch
models are pinned or scored nightly: more than a Lambda environment (4 KB) or one listed
EventBridge pattern (4096 characters) could hold. Each stack is previewed once (the real
program under the recording mocks, as ``mlops plan`` does: about 1,400 resources, 10-15 s).
"""

from __future__ import annotations

import json

import pytest

from mlops_preview import PlanDocument
from mlops_runtime.contract.config import (
    OBJECT_ENV_VAR,
    VERSION_ENV_VAR,
    DeployConfig,
    TriggerConfig,
)
from mlops_spec.load import validate_file
from mlops_spec.plan.pipeline_failures import EVENT_PATTERN_LIMIT
from mlops_spec.plan_cli import run_plan
from tests.conftest import ROOT

ESTATE = ROOT / "tests/components/specs/estate.yaml"
STACKS = ("dev", "staging", "prod")
LAMBDA_ENVIRONMENT_LIMIT = 4096
S3_VERSION_ID = "x" * 32
"""The length of an S3 version id as S3 returns them (unknown in a preview)."""

pytestmark = pytest.mark.slow


def of_type(doc: PlanDocument, type_: str) -> list:
    return [r for r in doc.resources if r.type == type_]


def function_document(doc: PlanDocument, handler: str) -> str:
    (function,) = [
        f for f in of_type(doc, "aws:lambda/function:Function") if f.inputs["handler"] == handler
    ]
    uri = function.inputs["environment"]["variables"][OBJECT_ENV_VAR]
    (upload,) = [
        o
        for o in of_type(doc, "aws:s3/bucketObjectv2:BucketObjectv2")
        if f"s3://{o.inputs['bucket']}/{o.inputs['key']}" == uri
    ]
    return str(upload.inputs["content"])


def test_the_estate_validates_in_every_stack() -> None:
    result = validate_file(ESTATE)
    assert sorted(result.stacks) == sorted(STACKS)
    for name, stack in result.stacks.items():
        assert stack.resolved is not None and stack.plan is not None, name
        models = stack.resolved.spec.models.values()
        tiers = [m.serving.tier for m in models if m.serving]
        assert (tiers.count("realtime"), tiers.count("serverless"), tiers.count("batch")) == (
            20,
            10,
            20,
        )
        following = [
            m
            for m in models
            if m.serving
            and m.serving.tier == "realtime"
            and m.serving.model_version == "latest_approved"
        ]
        assert len(following) == 20, name


@pytest.mark.parametrize("stack", STACKS)
def test_the_estate_plans_in_every_stack(stack: str) -> None:
    """One preview per stack (the costly part), every check on it."""
    doc = run_plan(ESTATE, stack, ROOT)
    functions_fit_lambda(doc)
    patterns_fit_eventbridge(doc, stack)


def functions_fit_lambda(doc: PlanDocument) -> None:
    functions = of_type(doc, "aws:lambda/function:Function")
    assert {f.inputs["handler"].rsplit(".", 2)[1] for f in functions} == {
        "trigger",
        "deploy",
        "notify",
    }
    for function in functions:
        variables = dict(function.inputs["environment"]["variables"])
        variables[VERSION_ENV_VAR] = S3_VERSION_ID
        size = sum(len(k.encode()) + len(str(v).encode()) for k, v in variables.items())
        assert size < LAMBDA_ENVIRONMENT_LIMIT // 10, (function.name, size)
    # the documents that no longer fit an environment: every endpoint, every retrained model
    deploy = DeployConfig.from_json(function_document(doc, "mlops_runtime.deploy.handler"))
    assert len(deploy.endpoints) == 20
    assert len(deploy.to_json()) > LAMBDA_ENVIRONMENT_LIMIT
    trigger = TriggerConfig.from_json(function_document(doc, "mlops_runtime.trigger.handler"))
    assert len(trigger.models) == 20 and len(trigger.alarms) == 20  # the real-time ones


def patterns_fit_eventbridge(doc: PlanDocument, stack: str) -> None:
    rules = of_type(doc, "aws:cloudwatch/eventRule:EventRule")
    assert rules
    for rule in rules:
        pattern = rule.inputs["eventPattern"]
        assert len(pattern) <= EVENT_PATTERN_LIMIT, (rule.inputs["name"], len(pattern))
        json.loads(pattern)
    (failed,) = [r for r in rules if r.inputs["name"] == f"estate-{stack}-pipeline-failed"]
    # 90 pipelines do not fit one list: the stack's pipelines by name prefix
    (matcher,) = json.loads(failed.inputs["eventPattern"])["detail"]["pipelineArn"]
    assert matcher == {
        "prefix": f"arn:aws:sagemaker:eu-west-1:123456789012:pipeline/estate-{stack}-"
    }
