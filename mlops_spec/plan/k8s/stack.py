"""A ``platform: kubernetes`` stack: the AWS side (storage, registry, training, retraining)
planned as for AWS from the spec without serving and monitors, plus the cluster side.

Part 1 of the Kubernetes back end (issue 12) serves and monitors on the cluster what SageMaker
trains and registers; training, the registry and the retraining loop on the cluster are
issue 13. Serving and monitors are taken out of the AWS plan, so no SageMaker endpoint,
CloudWatch alarm or deploy function is planned for a model the cluster serves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar, cast

from mlops_spec.models import ResolvedSpec
from mlops_spec.naming import Names
from mlops_spec.plan.k8s.plan import plan_kubernetes

Plan = TypeVar("Plan")
"""``mlops_spec.plan.deployment.DeploymentPlan`` (not imported: it imports this module)."""


def aws_side(resolved: ResolvedSpec) -> ResolvedSpec:
    """The stack as the AWS components build it: every model trained and registered, none
    served or monitored there."""
    spec = resolved.spec
    models = {
        model_id: model.model_copy(update={"serving": None, "monitors": {}})
        for model_id, model in spec.models.items()
    }
    system = spec.system.model_copy(update={"platform": "aws"})
    aws = spec.model_copy(update={"models": models, "system": system})
    return resolved.model_copy(update={"spec": aws})


def aws_twin(resolved: ResolvedSpec) -> ResolvedSpec:
    """The same stack planned for AWS (``platform: aws``, serving and monitors kept): what the
    parity tests compare a Kubernetes stack's monitors with."""
    spec = resolved.spec
    system = spec.system.model_copy(update={"platform": "aws"})
    return resolved.model_copy(update={"spec": spec.model_copy(update={"system": system})})


def plan_on_kubernetes(resolved: ResolvedSpec, plan_aws: Callable[[ResolvedSpec], Plan]) -> Plan:
    """The deployment plan of a ``platform: kubernetes`` stack (``plan_aws``: the AWS
    planner, ``mlops_spec.plan.deployment.plan``)."""
    aws: Any = plan_aws(aws_side(resolved))
    system = resolved.spec.system
    names = Names(system.id, resolved.environment.name, system.region, system.bucket_namespace)
    cluster = plan_kubernetes(resolved, names, aws.storage, aws.partition, aws.policy)
    return cast(Plan, replace(aws, kubernetes=cluster, notes=(*aws.notes, *cluster.notes)))
