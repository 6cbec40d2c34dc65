"""Pulumi components, one capability a module. Each takes frozen plan objects from
``mlops_spec.plan`` (never the spec), parents its children, and registers its outputs.

The public entry point is :class:`MlSystem` (a spec file and a stack -> the whole system, with
typed outputs); the capability components below are what it builds.
"""

from mlops_components.monitoring import Monitoring, MonitoringArgs
from mlops_components.monitoring_job import MonitoringJob, MonitoringJobArgs
from mlops_components.outputs import ModelOutputs, RetrainingOutputs
from mlops_components.registry import Registry, RegistryArgs
from mlops_components.retraining import Retraining, RetrainingArgs
from mlops_components.serving import Serving, ServingArgs
from mlops_components.storage import Storage, StorageArgs
from mlops_components.system import MlSystem, MlSystemArgs
from mlops_components.training import Training, TrainingArgs

__all__ = [
    "MlSystem",
    "MlSystemArgs",
    "ModelOutputs",
    "Monitoring",
    "MonitoringArgs",
    "MonitoringJob",
    "MonitoringJobArgs",
    "Registry",
    "RegistryArgs",
    "Retraining",
    "RetrainingArgs",
    "RetrainingOutputs",
    "Serving",
    "ServingArgs",
    "Storage",
    "StorageArgs",
    "Training",
    "TrainingArgs",
]
