"""The ``kubernetes`` section of the stack outputs, read from the stack's ``KubernetesPlan``.

Every value is a name or location the plan decided (the manifests Pulumi creates, the loop's
controller configuration, its Job templates and schedules); nothing is re-derived here but the
workload's name, from ``mlops_spec.plan.k8s.names`` as the planner names it.
"""

from __future__ import annotations

import json
from typing import Any

from mlops_components.outputs import (
    ControllerOutputs,
    KubernetesModelOutputs,
    KubernetesOutputs,
    KubernetesServingOutputs,
    KubernetesTrainingOutputs,
)
from mlops_runtime.contract.config import ENV_VAR
from mlops_spec.naming import Names
from mlops_spec.plan.deployment import DeploymentPlan
from mlops_spec.plan.k8s import KubernetesPlan
from mlops_spec.plan.k8s.batch import CONTAINER as BATCH_CONTAINER
from mlops_spec.plan.k8s.controller import LoopPlan, webhook_url
from mlops_spec.plan.k8s.manifests import Manifest
from mlops_spec.plan.k8s.names import KubernetesNames
from mlops_spec.plan.k8s.serverless import KNATIVE as KNATIVE_API_VERSION

INVOCATIONS = "/invocations"
COMPONENT = "app.kubernetes.io/component"


def kubernetes_outputs(deployment: DeploymentPlan) -> KubernetesOutputs | None:
    """The cluster side of the stack's outputs; None on an AWS stack."""
    plan = deployment.kubernetes
    if plan is None:
        return None
    names = Names(deployment.system, deployment.environment, deployment.region)
    knames = KubernetesNames(names, plan.namespace)
    trained = dict(plan.loop.controller.config.models) if plan.loop else {}
    models = {}
    for model in sorted({*deployment.models, *trained}):
        serving = _serving(plan, knames.names.endpoint(model), model)
        training = _training(plan.loop, model) if model in trained else None
        if serving or training:
            models[model] = KubernetesModelOutputs(serving=serving, training=training)
    controller = None
    if plan.loop is not None:
        name = plan.loop.controller.name
        controller = ControllerOutputs(name=name, webhook_url=webhook_url(name, plan.namespace))
    return KubernetesOutputs(namespace=plan.namespace, models=models, controller=controller)


def _serving(plan: KubernetesPlan, workload: str, model: str) -> KubernetesServingOutputs | None:
    """The model's tier, URL and owner from its manifests (None: the cluster does not serve it)."""
    manifests = {(m.api_version, m.kind, m.name): m for m in plan.for_model(workload)}
    host = f"{workload}.{plan.namespace}.svc.cluster.local"
    if (KNATIVE_API_VERSION, "Service", workload) in manifests:  # Knative routes port 80
        return _served("serverless", f"http://{host}{INVOCATIONS}", workload, "pulumi")
    if service := manifests.get(("v1", "Service", workload)):
        (port,) = [p["port"] for p in service.body["spec"]["ports"] if p["name"] == "http"]
        loop = plan.loop.controller.config.models if plan.loop else {}
        owner = "controller" if model in loop and loop[model].rollout else "pulumi"
        return _served("realtime", f"http://{host}:{port}{INVOCATIONS}", workload, owner)
    batch = [m for m in manifests.values() if m.kind == "CronJob" and _component(m) == "batch"]
    if batch:
        (cronjob,) = batch
        return _served("batch", None, cronjob.name, "pulumi", _batch_output(cronjob))
    return None


def _served(
    tier: str, url: str | None, workload: str, owner: str, output: str | None = None
) -> KubernetesServingOutputs:
    return KubernetesServingOutputs(
        tier=tier, url=url, workload=workload, owner=owner, batch_output=output
    )


def _component(manifest: Manifest) -> str | None:
    labels: dict[str, str] = manifest.body["metadata"].get("labels", {})
    return labels.get(COMPONENT)


def _batch_output(cronjob: Manifest) -> str:
    """The driver's ``output_uri`` (its configuration in the CronJob's pod template)."""
    pod: dict[str, Any] = cronjob.body["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (driver,) = [c for c in pod["containers"] if c["name"] == BATCH_CONTAINER]
    (config,) = [e["value"] for e in driver["env"] if e["name"] == ENV_VAR]
    return str(json.loads(config)["output_uri"])


def _training(loop: LoopPlan | None, model: str) -> KubernetesTrainingOutputs:
    assert loop is not None
    config = loop.controller.config
    schedule = next((s.name for s in loop.schedules if s.model == model), None)
    return KubernetesTrainingOutputs(
        registry=f"{config.store.uri}registry/{model}/",
        job_template=config.models[model].job_template,
        schedule=schedule,
    )
