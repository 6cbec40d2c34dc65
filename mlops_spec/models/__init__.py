"""Spec models, one module per section."""

from mlops_spec.models.data import DataSource
from mlops_spec.models.environment import Environment, EnvironmentSettings
from mlops_spec.models.model import Model, Retraining
from mlops_spec.models.monitors import Monitor
from mlops_spec.models.notifications import Notifications
from mlops_spec.models.registry import Registry
from mlops_spec.models.serving import BatchServing, RealtimeServing, ServerlessServing
from mlops_spec.models.spec import ResolvedSpec, SpecFile, SystemSpec
from mlops_spec.models.system import System
from mlops_spec.models.training import Gate, Training

__all__ = [
    "BatchServing",
    "DataSource",
    "Environment",
    "EnvironmentSettings",
    "Gate",
    "Model",
    "Monitor",
    "Notifications",
    "RealtimeServing",
    "Registry",
    "ResolvedSpec",
    "Retraining",
    "ServerlessServing",
    "SpecFile",
    "System",
    "SystemSpec",
    "Training",
]
