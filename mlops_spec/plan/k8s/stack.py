"""A ``platform: kubernetes`` stack: the AWS side (storage, registry, training, retraining)
planned as for AWS from the spec without serving and monitors, plus the cluster side.

The cluster serves and monitors every model (issue 12) and trains, registers and deploys
those with ``training.platform: kubernetes`` (issue 13). Serving and monitors are taken out of
the AWS plan, so no SageMaker endpoint, CloudWatch alarm or deploy function is planned for a
model the cluster serves; a model the cluster trains is taken out of it entirely (no package
group, pipeline, schedule, trigger or rule): AWS keeps only the system key and the buckets
(its data sources, and with an ``s3`` object store its artifacts, references and the loop's
state in the artifacts bucket).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar, cast

from mlops_spec.enums import TrainingPlatform
from mlops_spec.models import ResolvedSpec
from mlops_spec.naming import Names
from mlops_spec.plan.k8s.loop import cluster_trained
from mlops_spec.plan.k8s.plan import plan_kubernetes

SAGEMAKER = TrainingPlatform.SAGEMAKER
Plan = TypeVar("Plan")
"""``mlops_spec.plan.deployment.DeploymentPlan`` (not imported: it imports this module)."""


def aws_side(resolved: ResolvedSpec) -> ResolvedSpec:
    """The stack as the AWS components build it: the models SageMaker trains, trained and
    registered, none served or monitored there; the models the cluster trains left out."""
    spec = resolved.spec
    on_cluster = cluster_trained(spec)
    models = {
        model_id: model.model_copy(update={"serving": None, "monitors": {}})
        for model_id, model in spec.models.items()
        if model_id not in on_cluster
    }
    system = spec.system.model_copy(update={"platform": "aws"})
    aws = spec.model_copy(update={"models": models, "system": system})
    return resolved.model_copy(update={"spec": aws})


def aws_twin(resolved: ResolvedSpec) -> ResolvedSpec:
    """The same stack planned for AWS (``platform: aws``, serving and monitors kept, every
    model trained by SageMaker): what the parity tests compare a Kubernetes stack with."""
    spec = resolved.spec
    system = spec.system.model_copy(update={"platform": "aws"})
    models = {
        model_id: model.model_copy(
            update={"training": model.training.model_copy(update={"platform": SAGEMAKER})}
        )
        for model_id, model in spec.models.items()
    }
    twin = spec.model_copy(update={"system": system, "models": models})
    return resolved.model_copy(update={"spec": twin})


def plan_on_kubernetes(resolved: ResolvedSpec, plan_aws: Callable[[ResolvedSpec], Plan]) -> Plan:
    """The deployment plan of a ``platform: kubernetes`` stack (``plan_aws``: the AWS
    planner, ``mlops_spec.plan.deployment.plan``)."""
    aws: Any = plan_aws(aws_side(resolved))
    system = resolved.spec.system
    names = Names(system.id, resolved.environment.name, system.region, system.bucket_namespace)
    cluster = plan_kubernetes(resolved, names, aws.storage, aws.partition, aws.policy)
    return cast(Plan, replace(aws, kubernetes=cluster, notes=(*aws.notes, *cluster.notes)))
