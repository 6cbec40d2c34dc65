"""The root of a spec file, and the resolved spec of one stack."""

from typing import Literal

from pydantic import Field

from mlops_spec.models.base import SpecModel
from mlops_spec.models.data import DataSource
from mlops_spec.models.environment import Environment, EnvironmentSettings
from mlops_spec.models.model import Model
from mlops_spec.models.notifications import Notifications
from mlops_spec.models.system import System
from mlops_spec.types import EnvironmentName, Identifier


class SystemSpec(SpecModel):
    """The ML system: everything but the environment overlays.

    Cross-object rules (``mlops_spec.checks``) run after field validation, in ``load``.
    """

    spec_version: Literal[1]
    """Version of the spec format. Only 1 exists."""
    system: System
    """The system: id, owner, region, tags (required)."""
    notifications: Notifications = Field(default_factory=Notifications)
    """Where alarms are sent. Default: no channels — alarms notify a topic nobody subscribes
    to (refused in production)."""
    data_sources: dict[Identifier, DataSource] = Field(min_length=1)
    """Datasets by id (lowercase letters, digits and '-'; part of bucket and rule names)."""
    models: dict[Identifier, Model] = Field(min_length=1)
    """Models by id (the id is part of every name of the model's resources)."""


class SpecFile(SystemSpec):
    """A spec file as written: the system plus its per-stack overlays."""

    environments: dict[EnvironmentName, Environment] = Field(default_factory=dict)
    """Per stack name (dev, staging, prod): mode and overlay. Default: none — no stack can be
    deployed: a stack needs an entry here."""


class ResolvedSpec(SpecModel):
    """What one stack deploys: the overlaid, validated system and its environment policy."""

    spec: SystemSpec
    """The system after the mode preset and the stack's overlay."""
    environment: EnvironmentSettings
    """The stack's decided policy."""
