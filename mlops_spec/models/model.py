"""``models.<id>``: one model's training, registry, serving, monitors and retraining policy."""

from pydantic import Field, StrictFloat, StrictInt

from mlops_spec.enums import MonitorAction, ServingTier
from mlops_spec.models.base import SpecModel
from mlops_spec.models.monitors import Monitor
from mlops_spec.models.registry import Registry
from mlops_spec.models.serving import Serving
from mlops_spec.models.training import Training
from mlops_spec.types import Identifier


class Retraining(SpecModel):
    """Guards on automatic retraining (schedule, drift alarms, new data)."""

    cooldown_hours: StrictFloat = Field(default=24, ge=0, le=24 * 30)
    """No automatic run starts within this many hours of the last one. Default: 24."""
    max_runs_per_day: StrictInt = Field(default=2, ge=1, le=100)
    """At most this many automatic runs per UTC day. Default: 2."""


class Model(SpecModel):
    """One model of the system."""

    description: str | None = Field(default=None, max_length=256)
    """Free text, shown on dashboards. Default: unset."""
    training: Training
    """How the model is trained, evaluated and registered (required)."""
    registry: Registry = Field(default_factory=Registry)
    """Default: manual approval."""
    serving: Serving | None = None
    """Default: unset, the model is trained and registered but not served."""
    monitors: dict[Identifier, Monitor] = Field(default_factory=dict)
    """Monitors by id (the id is part of the alarm name). Default: none."""
    retraining: Retraining = Field(default_factory=Retraining)
    """Default: 24 h cooldown, at most 2 runs a day."""

    @property
    def tier(self) -> ServingTier | None:
        return ServingTier(self.serving.tier) if self.serving else None

    def monitors_with_action(self, action: MonitorAction) -> dict[str, Monitor]:
        return {key: m for key, m in self.monitors.items() if m.action == action}

    @property
    def rollback_monitors(self) -> dict[str, Monitor]:
        return self.monitors_with_action(MonitorAction.ROLLBACK)
