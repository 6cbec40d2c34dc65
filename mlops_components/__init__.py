"""Pulumi components, one capability a module. Each takes frozen plan objects from
``mlops_spec.plan`` (never the spec), parents its children, and registers its outputs."""

from mlops_components.monitoring import Monitoring, MonitoringArgs
from mlops_components.monitoring_job import MonitoringJob, MonitoringJobArgs
from mlops_components.registry import Registry, RegistryArgs
from mlops_components.retraining import Retraining, RetrainingArgs
from mlops_components.serving import Serving, ServingArgs
from mlops_components.storage import Storage, StorageArgs
from mlops_components.training import Training, TrainingArgs

__all__ = [
    "Monitoring",
    "MonitoringArgs",
    "MonitoringJob",
    "MonitoringJobArgs",
    "Registry",
    "RegistryArgs",
    "Retraining",
    "RetrainingArgs",
    "Serving",
    "ServingArgs",
    "Storage",
    "StorageArgs",
    "Training",
    "TrainingArgs",
]
