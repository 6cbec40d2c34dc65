"""The pure planner: a resolved spec -> frozen dataclasses naming every resource of a stack.

Which resources exist, how many, and every setting they carry is decided here from the spec
alone. Values only AWS knows (the account id, the KMS key's ARN) stay ``${account}`` and
``${key_arn}`` placeholders that components fill from resource outputs (``documents.render``).
Never imports pulumi.
"""

from mlops_spec.plan.deployment import DeploymentPlan, plan
from mlops_spec.plan.documents import PolicyDocument, Statement, render
from mlops_spec.plan.errors import PlanError
from mlops_spec.plan.metrics import MetricDescriptor
from mlops_spec.plan.monitoring import MonitoringPlan
from mlops_spec.plan.policy import EnvironmentPolicy
from mlops_spec.plan.registry import RegistryPlan
from mlops_spec.plan.retraining import RetrainingPlan
from mlops_spec.plan.serving import ServingPlan
from mlops_spec.plan.storage import StoragePlan
from mlops_spec.plan.training import TrainingPlan

__all__ = [
    "DeploymentPlan",
    "EnvironmentPolicy",
    "MetricDescriptor",
    "MonitoringPlan",
    "PlanError",
    "PolicyDocument",
    "RegistryPlan",
    "RetrainingPlan",
    "ServingPlan",
    "Statement",
    "StoragePlan",
    "TrainingPlan",
    "plan",
    "render",
]
