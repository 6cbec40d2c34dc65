"""Pulumi components, one capability a module. Each takes frozen plan objects from
``mlops_spec.plan`` (never the spec), parents its children, and registers its outputs."""

from components.drift_job import DriftJob, DriftJobArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.registry import Registry, RegistryArgs
from components.retraining import Retraining, RetrainingArgs
from components.serving import Serving, ServingArgs
from components.storage import Storage, StorageArgs
from components.training import Training, TrainingArgs

__all__ = [
    "DriftJob",
    "DriftJobArgs",
    "Monitoring",
    "MonitoringArgs",
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
