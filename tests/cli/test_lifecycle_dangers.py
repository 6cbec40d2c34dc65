"""Dangers in the lifecycle of endpoints: what `mlops diff` says when a deploy-function endpoint
loses its model, when pinned endpoints move to the rollout's dynamic resource, and what a
rollback monitor or an instance-type change does to a pinned endpoint (two real plans)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlops_preview import PlanDocument, PlannedResource, diff_plans
from mlops_spec.plan_cli import with_lifecycle_dangers

ENDPOINT = "pulumi-python:dynamic/mlops:Endpoint"
TEARDOWN = "pulumi-python:dynamic/mlops:EndpointTeardown"
SERVING = "urn:pulumi:prod::p::mlops:serving:Serving::m1-serving"


def _doc(models: dict, *resources: PlannedResource) -> PlanDocument:
    return PlanDocument(project="p", stack="prod", resources=resources, outputs={"models": models})


def _owned(name: str) -> dict[str, str]:
    return {"endpoint_owner": "deploy-function", "endpoint_name": name}


def _pinned(name: str) -> dict[str, str]:
    return {"endpoint_owner": "pulumi", "endpoint_name": name}


def _resource(type_: str, name: str, inputs: dict[str, Any], parent: str | None = None) -> Any:
    prefix = (
        f"urn:pulumi:prod::p::mlops:serving:Serving${type_}"
        if parent
        else f"urn:pulumi:prod::p::{type_}"
    )
    return PlannedResource(
        urn=f"{prefix}::{name}", type=type_, name=name, parent=parent, custom=True, inputs=inputs
    )


def test_removing_a_latest_approved_model_warns_that_its_endpoint_keeps_running() -> None:
    before = _doc(
        {"m1": _pinned("sys-prod-m1"), "m2": _owned("sys-prod-m2"), "m3": _owned("sys-prod-m3")}
    )
    after = _doc({"m1": _pinned("sys-prod-m1"), "m3": _owned("sys-prod-m3")})
    result = with_lifecycle_dangers(diff_plans(before, after), before, after)
    [danger] = result.dangers
    assert "sys-prod-m2" in danger.reason and "leaves it running" in danger.reason
    assert "until the stack is destroyed" in danger.reason
    assert "delete-endpoint --endpoint-name sys-prod-m2" in danger.reason
    unchanged = with_lifecycle_dangers(diff_plans(before, before), before, before)
    assert not unchanged.dangers


def test_switching_to_pinned_is_no_danger_the_pinned_endpoint_adopts_it() -> None:
    before = _doc({"m2": _owned("sys-prod-m2"), "m3": _owned("sys-prod-m3")})
    after = _doc({"m2": _pinned("sys-prod-m2"), "m3": _owned("sys-prod-m3")})
    assert not with_lifecycle_dangers(diff_plans(before, after), before, after).dangers


def test_removing_the_last_one_deletes_the_teardown_which_deletes_the_endpoint() -> None:
    teardown = _resource(TEARDOWN, "endpoint-teardown", {"prefix": "sys-prod"})
    before = _doc({"m2": _owned("sys-prod-m2")}, teardown)
    after = _doc({})
    [danger] = with_lifecycle_dangers(diff_plans(before, after), before, after).dangers
    assert danger.type == TEARDOWN
    assert danger.reason.startswith("deletes endpoint teardown 'endpoint-teardown' and every ")


def test_moving_a_pinned_endpoint_to_the_rollout_resource_says_how_to_keep_it() -> None:
    """An existing stack: the aws.sagemaker resources go, the dynamic resource adopts the
    endpoint by name; the danger lists the state commands, scaling first."""
    old = [
        _resource("aws:sagemaker/model:Model", "m1-serving-model", {"name": "m-1"}, SERVING),
        _resource(
            "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
            "m1-serving-endpoint-config",
            {"name": "c-1"},
            SERVING,
        ),
        _resource(
            "aws:sagemaker/endpoint:Endpoint",
            "m1-serving-endpoint",
            {"name": "sys-prod-m1"},
            SERVING,
        ),
        _resource("aws:appautoscaling/target:Target", "m1-serving-scaling-target", {}, SERVING),
        _resource("aws:appautoscaling/policy:Policy", "m1-serving-scaling-policy", {}, SERVING),
    ]
    new = _resource(ENDPOINT, "m1-serving-endpoint", {"endpointName": "sys-prod-m1"}, SERVING)
    diff = diff_plans(_doc({}, *old), _doc({}, new))
    [danger] = diff.dangers
    assert "moves endpoint 'sys-prod-m1'" in danger.reason and "adopts it by name" in danger.reason
    commands = danger.reason.split("drop them from the state only: ")[1].split("; ")
    assert [c.rsplit("::", 1)[1].rstrip("'") for c in commands] == [
        "m1-serving-scaling-policy",
        "m1-serving-scaling-target",
        "m1-serving-endpoint",
        "m1-serving-endpoint-config",
        "m1-serving-model",
    ]
    assert all(c.startswith("pulumi state delete 'urn:pulumi:prod::p::") for c in commands)


def _run(mlops_bin: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([mlops_bin, *args], capture_output=True, text=True, timeout=600)


def _plan(mlops_bin: str, root: Path, spec: Path, out: Path) -> Path:
    done = _run(
        mlops_bin, "plan", str(spec), "-s", "prod", "-f", "json", "-o", str(out),
        "--project-dir", str(root),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def pinned_change(mlops_bin: str, root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`mlops diff` of the all-tiers spec's prod plan and the same spec with the pinned
    endpoint ``rt`` on a bigger instance type (it autoscales) and its cpu monitor no longer a
    rollback monitor."""
    tmp = tmp_path_factory.mktemp("pinned")
    source = root / "tests/components/specs/full.yaml"
    text = source.read_text()
    assert text.count("instance_type: ml.c5.xlarge") == 1
    changed = text.replace("instance_type: ml.c5.xlarge", "instance_type: ml.c5.2xlarge").replace(
        "threshold_percent: 80, action: rollback", "threshold_percent: 80, action: notify"
    )
    base, head = tmp / "base.yaml", tmp / "head.yaml"
    base.write_text(text)
    head.write_text(changed)
    before = _plan(mlops_bin, root, base, tmp / "base.json")
    after = _plan(mlops_bin, root, head, tmp / "head.json")
    done = _run(mlops_bin, "diff", str(before), str(after), "-f", "json", "--fail-on-danger")
    assert done.returncode == 0, done.stdout + done.stderr  # no danger
    text_view = _run(mlops_bin, "diff", str(before), str(after))
    return {"json": json.loads(done.stdout), "text": text_view.stdout}


def test_a_pinned_endpoint_s_instance_type_and_rollback_alarms_change_in_place(
    pinned_change: dict,
) -> None:
    diff = pinned_change["json"]
    [endpoint] = [c for c in diff["changed"] if c["type"] == ENDPOINT]
    paths = {c["path"] for c in endpoint["inputs"]}
    assert "target.instance_type" in paths
    assert any(p.startswith("target.rollback_alarms") for p in paths)
    assert endpoint["replaces"] == []
    assert not diff["dangers"] and diff["summary"]["replaced"] == 0


def test_the_diff_shows_the_scalable_target_re_registered_around_the_type_change(
    pinned_change: dict,
) -> None:
    [endpoint] = [c for c in pinned_change["json"]["changed"] if c["type"] == ENDPOINT]
    [effect] = endpoint["effects"]
    assert effect.startswith("re-registers the variant's scalable target")
    assert "re-registers the variant's scalable target" in pinned_change["text"]
