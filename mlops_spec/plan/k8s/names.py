"""Kubernetes names and labels of a stack's objects, from ``mlops_spec.naming``.

Workloads are named like the SageMaker endpoint they stand for (``<system>-<env>-<model>``,
``Names.endpoint``), so dashboards, alerts and capture keys use one name on both back ends.
Kubernetes allows at most 63 characters for names and label values (52 for a CronJob, whose
Jobs add 11); a longer name is refused, located at the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlops_spec.naming import Names
from mlops_spec.plan.errors import PlanError

NAME_LIMIT = 63
CRONJOB_NAME_LIMIT = 52
MANAGED_BY = "mlops-spec"


def checked(name: str, loc: tuple[str | int, ...], limit: int = NAME_LIMIT) -> str:
    """``name`` if Kubernetes accepts it, else a PlanError at ``loc``."""
    if len(name) > limit:
        raise PlanError(
            f"the Kubernetes name {name!r} has {len(name)} characters, over the limit of "
            f"{limit}; shorten the system, environment or model id",
            loc=loc,
        )
    return name


@dataclass(frozen=True)
class KubernetesNames:
    """Names and labels of one stack's objects in its namespace."""

    names: Names
    namespace: str

    def workload(self, model: str) -> str:
        """The Rollout, its Service, scaler, budget, monitor and policy."""
        return checked(self.names.endpoint(model), ("models", model))

    def analysis(self, model: str) -> str:
        """The AnalysisTemplate of the model's rollback alerts."""
        return checked(f"{self.workload(model)}-rollback", ("models", model))

    def controller(self) -> str:
        """The loop controller's Deployment, Service, ServiceAccount, Role and binding."""
        return checked(f"{self.names.prefix}-loop", ("system", "id"))

    def training_account(self) -> str:
        """The ServiceAccount of the training Jobs' pods (no Kubernetes API access)."""
        return checked(f"{self.names.prefix}-training", ("system", "id"))

    def job_template(self, model: str) -> str:
        """A model's training Job template (ConfigMap) and schedule (CronJob): the SageMaker
        pipeline's name; a run's Job adds 11 characters, so at most 52."""
        return checked(self.names.pipeline(model), ("models", model), CRONJOB_NAME_LIMIT)

    def rollout_template(self, model: str) -> str:
        """The ConfigMap holding a ``latest_approved`` model's Rollout (the controller's)."""
        return checked(f"{self.workload(model)}-rollout", ("models", model))

    def labels(self, model: str | None = None, component: str | None = None) -> dict[str, str]:
        """Labels of every object (recommended ``app.kubernetes.io`` labels)."""
        labels = {
            "app.kubernetes.io/part-of": self.names.system,
            "app.kubernetes.io/instance": self.names.prefix,
            "app.kubernetes.io/managed-by": MANAGED_BY,
        }
        if model is not None:
            labels["app.kubernetes.io/name"] = self.workload(model)
        if component is not None:
            labels["app.kubernetes.io/component"] = component
        return labels

    def selector(self, model: str) -> dict[str, str]:
        """Labels selecting the model's serving pods (stable and canary alike)."""
        return {
            "app.kubernetes.io/name": self.workload(model),
            "app.kubernetes.io/component": "model",
        }
