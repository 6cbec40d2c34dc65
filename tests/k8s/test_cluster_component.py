"""The Cluster component alone under the recording mocks: what it registers for the example's
production stack, as the engine would receive it, validated against the upstream schemas."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mlops_components.k8s.cluster import Cluster, ClusterArgs
from mlops_preview import PlannedResource
from mlops_spec.load import validate_file
from mlops_spec.plan import DeploymentPlan
from tests.components.unit import ACCOUNT, KEY_ARN, Template, build
from tests.conftest import ROOT
from tests.k8s import harness
from tests.k8s.manifests import clean

SPEC = ROOT / "examples/churn-k8s/mlops.yaml"


def _plan(stack: str) -> DeploymentPlan:
    plan = validate_file(SPEC, stack).stacks[stack].plan
    assert plan is not None and plan.kubernetes is not None
    return plan


@pytest.fixture(scope="module")
def prod() -> Template:
    plan = _plan("prod")
    assert plan.kubernetes is not None
    cluster = plan.kubernetes
    return build(plan, lambda ctx: Cluster("cluster", ClusterArgs(cluster, ctx.refs)))


LOOP_KINDS = {"ConfigMap", "Deployment", "Role", "RoleBinding", "ServiceAccount"}
"""Kinds only the loop registers (and the training schedule's CronJob)."""


def _manifest(resource: PlannedResource) -> dict[str, Any]:
    """The object as the API server would get it: kind and version from the type token."""
    inputs = dict(resource.inputs)
    if "apiVersion" not in inputs:  # typed classes: the token says it
        group_version, kind = resource.type.split(":", 1)[1].rsplit(":", 1)
        group, version = group_version.split("/")
        inputs = {"apiVersion": version if group == "core" else f"{group}.k8s.io/{version}"}
        inputs |= {"kind": kind, **resource.inputs}
    return clean(inputs)


def _k8s(template: Template) -> list[PlannedResource]:
    return [
        r
        for r in template.document.resources
        if r.type.startswith("kubernetes:") and "CustomResourceDefinition" not in r.type
    ]


def test_every_registered_object_validates(prod: Template) -> None:
    manifests = [_manifest(r) for r in _k8s(prod)]
    kinds = sorted(m["kind"] for m in manifests)
    assert [k for k in kinds if k not in LOOP_KINDS] == [
        "AlertmanagerConfig",
        "AnalysisTemplate",
        "CronJob",  # the monitoring job's
        "CronJob",  # the training schedule's
        "Namespace",
        *["NetworkPolicy"] * kinds.count("NetworkPolicy"),
        "PodDisruptionBudget",
        "PrometheusRule",
        "PrometheusRule",  # one per monitored model
        "ScaledObject",  # no Rollout: the loop controller creates the latest_approved one
        "Service",  # the real-time model's
        "Service",  # the loop controller's
        "Service",  # the serverless model's Knative Service
        "Service",  # and the Service in front of its proxies' metrics port
        "ServiceMonitor",
        "ServiceMonitor",
    ]
    loop = sorted((m["kind"], m["metadata"]["name"]) for m in manifests if m["kind"] in LOOP_KINDS)
    assert loop == [
        ("ConfigMap", "churnk-prod-churn-classifier-rollout"),
        ("ConfigMap", "churnk-prod-churn-classifier-train"),
        ("Deployment", "churnk-prod-loop"),
        ("Role", "churnk-prod-loop"),
        ("RoleBinding", "churnk-prod-loop"),
        ("ServiceAccount", "churnk-prod-loop"),
        ("ServiceAccount", "churnk-prod-training"),
    ]
    assert harness.errors(manifests) == []


def test_custom_resources_depend_on_their_crd_read(prod: Template) -> None:
    """The program reads each CRD (the mocks answer; the engine would fail the preview on a
    cluster without the operator) and every custom resource waits for its own."""
    read = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition::crd-"
    plurals = {
        "Rollout": "rollouts.argoproj.io",
        "AnalysisTemplate": "analysistemplates.argoproj.io",
        "ScaledObject": "scaledobjects.keda.sh",
        "ServiceMonitor": "servicemonitors.monitoring.coreos.com",
        "PrometheusRule": "prometheusrules.monitoring.coreos.com",
        "AlertmanagerConfig": "alertmanagerconfigs.monitoring.coreos.com",
    }
    custom = [r for r in _k8s(prod) if r.type.rsplit(":", 1)[1] in plurals]
    assert len(custom) == 7  # a ServiceMonitor and a PrometheusRule per served model
    for resource in custom:
        crd = plurals[resource.type.rsplit(":", 1)[1]]
        assert any(urn.endswith(read + crd) for urn in resource.depends_on), resource.name
    (knative,) = prod.of_type("kubernetes:serving.knative.dev/v1:Service")
    assert any(u.endswith(read + "services.serving.knative.dev") for u in knative.depends_on)


def test_placeholders_are_filled_from_the_system_key(prod: Template) -> None:
    (knative,) = prod.of_type("kubernetes:serving.knative.dev/v1:Service")
    assert f":{ACCOUNT}:model-package/churnk-prod-retention-offer/2" in json.dumps(knative.inputs)
    filled = [
        *prod.of_type("kubernetes:core/v1:ConfigMap"),
        *prod.of_type("kubernetes:apps/v1:Deployment"),
    ]
    assert len(filled) == 3
    for resource in filled:  # the s3 store's key in the controller's and the Job's configs
        text = json.dumps(resource.inputs)
        assert "${" not in text
        assert KEY_ARN in text or KEY_ARN.replace("/", "\\/") in text, resource.name


def test_the_service_skips_await_and_everything_waits_for_the_namespace(prod: Template) -> None:
    services = prod.of_type("kubernetes:core/v1:Service")
    assert sorted(s.inputs["metadata"]["name"] for s in services) == [
        "churnk-prod-churn-classifier",
        "churnk-prod-loop",
        "churnk-prod-retention-offer-metrics",
    ]
    (namespace,) = prod.of_type("kubernetes:core/v1:Namespace")
    for service in services:
        assert service.inputs["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
    for resource in _k8s(prod):  # serving, monitors and the loop alike
        if resource.type != "kubernetes:core/v1:Namespace":
            assert namespace.urn in resource.depends_on, resource.name
