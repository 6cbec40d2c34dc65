"""The replace-on-change table: every type the example programs register is in it, every path
is a real input of that pulumi-aws resource, and a change of one shows as a replacement."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pulumi_aws
import pytest

from mlops_preview import PlanDocument, PlannedResource, diff_plans
from mlops_preview.replacement import REPLACE_ON, known, replaces, tokens

GOLDEN = Path(__file__).resolve().parents[1] / "components" / "golden"
_OUTPUT = re.compile(r"ForwardRef\('outputs\.(\w+)'\)")


def golden_types() -> set[str]:
    return {
        resource["type"]
        for path in GOLDEN.glob("*.json")
        for resource in json.loads(path.read_text())["resources"]
    }


def test_every_type_the_programs_register_is_in_the_table() -> None:
    types = golden_types()
    assert "pulumi-python:dynamic/mlops:Endpoint" in types  # the goldens are current
    assert sorted(t for t in types if not known(t)) == []


def test_an_unknown_type_is_unknown_not_in_place() -> None:
    assert replaces("aws:ec2/instance:Instance", "ami") is None
    assert not known("aws:ec2/instance:Instance")
    assert replaces("mlops:serving:Serving", "anything") is False


@cache
def _properties(cls: type) -> dict[str, Any]:
    """Engine name -> getter of a pulumi-aws resource or output type's properties."""
    found = {}
    for _, member in inspect.getmembers(cls, lambda m: isinstance(m, property)):
        name = getattr(member.fget, "_pulumi_name", None)
        if name:
            found[name] = member.fget
    return found


def _resource_class(type_: str) -> type:
    module, name = type_.split(":")[1].split("/")[0], type_.split(":")[2]
    package = getattr(pulumi_aws, "lambda_" if module == "lambda" else module)
    resource: type = getattr(package, name)
    return resource


def _missing(cls: type, path: list[str]) -> str | None:
    """Where ``path`` leaves the properties of resource ``cls`` (every input is one of its
    properties; nested blocks are ``outputs`` types); None: every step exists."""
    package = cls.__module__.rsplit(".", 1)[0]
    steps = [step for step in path if not step.startswith("[")]
    for index, step in enumerate(steps):
        getter = _properties(cls).get(step)
        if getter is None:
            return f"{cls.__name__} has no input {step!r}"
        if index + 1 < len(steps):
            nested = _OUTPUT.findall(repr(getter.__annotations__.get("return")))
            if not nested:
                return f"{cls.__name__}.{step} holds no nested inputs"
            cls = getattr(importlib.import_module(f"{package}.outputs"), nested[0])
    return None


@pytest.mark.parametrize("type_", sorted(t for t in REPLACE_ON if t.startswith("aws:")))
def test_every_path_is_an_input_of_the_pulumi_aws_resource(type_: str) -> None:
    cls = _resource_class(type_)
    problems = [p for path in REPLACE_ON[type_] if (p := _missing(cls, tokens(path)))]
    assert problems == []


def _doc(*resources: PlannedResource) -> PlanDocument:
    return PlanDocument(project="p", stack="prod", resources=resources)


def _resource(type_: str, name: str, inputs: dict[str, Any], **options: Any) -> PlannedResource:
    return PlannedResource(
        urn=f"urn:pulumi:prod::p::{type_}::{name}", type=type_, name=name, parent=None,
        custom=True, inputs=inputs, **options,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("type_", "before", "after", "path"),
    [
        ("aws:sqs/queue:Queue", {"name": "q"}, {"name": "q", "fifoQueue": True}, "fifoQueue"),
        (
            "aws:lambda/permission:Permission",
            {"sourceArn": "arn:a"},
            {"sourceArn": "arn:b"},
            "sourceArn",
        ),
        (
            "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
            {"productionVariants": [{"instanceType": "ml.m5.large"}]},
            {"productionVariants": [{"instanceType": "ml.m5.xlarge"}]},
            "productionVariants[0].instanceType",
        ),
        (
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            {"name": "a", "threshold": 1},
            {"name": "b", "threshold": 1},
            "name",
        ),
    ],
)
def test_a_force_new_change_shows_as_a_replacement(
    type_: str, before: dict[str, Any], after: dict[str, Any], path: str
) -> None:
    diff = diff_plans(_doc(_resource(type_, "r", before)), _doc(_resource(type_, "r", after)))
    [change] = diff.changed
    assert change.replaces == (path,) and diff.summary()["replaced"] == 1


def test_an_in_place_input_does_not_replace() -> None:
    alarm = "aws:cloudwatch/metricAlarm:MetricAlarm"
    diff = diff_plans(
        _doc(_resource(alarm, "r", {"name": "a", "threshold": 1})),
        _doc(_resource(alarm, "r", {"name": "a", "threshold": 2})),
    )
    [change] = diff.changed
    assert change.replaces == () and diff.summary()["replaced"] == 0


def test_the_aws_provider_replaces_an_endpoint_when_its_rollback_alarms_change() -> None:
    """Why pinned endpoints left aws.sagemaker.Endpoint: its auto_rollback_configuration is
    ForceNew, so a rollback monitor change was a delete-then-create of a live endpoint."""
    endpoint = "aws:sagemaker/endpoint:Endpoint"
    rollback = {"autoRollbackConfiguration": {"alarms": [{"alarmName": "lat"}]}}
    before = _resource(endpoint, "e", {"name": "e", "deploymentConfig": rollback})
    after = _resource(endpoint, "e", {"name": "e", "deploymentConfig": {}})
    diff = diff_plans(_doc(before), _doc(after))
    [change] = diff.changed
    assert change.replaces == ("deploymentConfig.autoRollbackConfiguration",)
    [danger] = diff.dangers
    assert danger.reason.startswith("replaces SageMaker endpoint 'e'")


def test_a_block_added_without_a_force_new_field_is_in_place() -> None:
    endpoint = "aws:sagemaker/endpoint:Endpoint"
    policy = {"blueGreenUpdatePolicy": {"terminationWaitInSeconds": 0}}
    diff = diff_plans(
        _doc(_resource(endpoint, "e", {"name": "e"})),
        _doc(_resource(endpoint, "e", {"name": "e", "deploymentConfig": policy})),
    )
    [change] = diff.changed
    assert change.replaces == ()
