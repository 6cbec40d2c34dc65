"""The Monitors component alone under the recording mocks: it registers exactly the planned
objects (typed CronJobs, CustomResources for the operator's kinds), with the plan's manifests
as inputs, valid once the mocks' floats are ints again, each custom resource depending on its
CRD's read."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s
import pytest

from mlops_components.k8s.monitors import Monitors, MonitorsArgs
from mlops_preview import PlanDocument, preview
from tests.k8s import harness
from tests.k8s.manifests import clean
from tests.k8s.monitor_support import FULL_SPEC, k8s_plan

RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
CONFIG = "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig"
CRONJOB = "kubernetes:batch/v1:CronJob"
CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"


@pytest.fixture(scope="module")
def recorded() -> tuple[Any, PlanDocument]:
    _, plan = k8s_plan(FULL_SPEC, "prod")

    def program() -> None:
        crds = {
            kind: k8s.apiextensions.v1.CustomResourceDefinition.get(
                kind, f"{plural}.monitoring.coreos.com"
            )
            for kind, plural in (
                ("PrometheusRule", "prometheusrules"),
                ("AlertmanagerConfig", "alertmanagerconfigs"),
            )
        }
        Monitors("monitors", MonitorsArgs(plan, crds))

    return plan, preview(program, project="mlops", stack="prod", preview=False)


def _manifest(resource: Any) -> dict[str, Any]:
    inputs = clean(resource.inputs)
    return {
        "apiVersion": inputs["apiVersion"],
        "kind": inputs["kind"],
        **{k: v for k, v in inputs.items() if k not in ("apiVersion", "kind")},
    }


def test_it_registers_exactly_the_planned_objects(recorded: tuple[Any, PlanDocument]) -> None:
    plan, document = recorded
    by_type: dict[str, list[Any]] = {}
    for resource in document.resources:
        by_type.setdefault(resource.type, []).append(resource)
    assert len(by_type[RULE]) == len(plan.rules) == 3
    assert len(by_type[CONFIG]) == 1
    assert len(by_type[CRONJOB]) == len(plan.cronjobs) == 1
    registered = sorted(
        (_manifest(r) for r in document.resources if r.type in (RULE, CONFIG, CRONJOB)),
        key=lambda m: (m["kind"], m["metadata"]["name"]),
    )
    planned = sorted(
        (clean(m) for m in plan.manifests()), key=lambda m: (m["kind"], m["metadata"]["name"])
    )
    assert registered == planned


def test_what_it_registers_validates(recorded: tuple[Any, PlanDocument]) -> None:
    _, document = recorded
    manifests = [_manifest(r) for r in document.resources if r.type in (RULE, CONFIG, CRONJOB)]
    assert harness.errors(manifests) == []


def test_custom_resources_depend_on_their_crd_and_hang_under_the_component(
    recorded: tuple[Any, PlanDocument],
) -> None:
    _, document = recorded
    # Reads are not registrations: the dependency names the read's URN.
    crds = {
        kind: f"urn:pulumi:prod::mlops::{CRD}::{kind}"
        for kind in ("PrometheusRule", "AlertmanagerConfig")
    }
    component = next(r.urn for r in document.resources if r.type == "mlops:k8s:Monitors")
    for resource in document.resources:
        if resource.type == RULE:
            assert resource.depends_on == (crds["PrometheusRule"],)
        if resource.type == CONFIG:
            assert resource.depends_on == (crds["AlertmanagerConfig"],)
        if resource.type in (RULE, CONFIG, CRONJOB):
            assert resource.parent == component
