"""``models.<id>``: one model's training, registry, serving, monitors and retraining policy."""

from collections.abc import Mapping
from typing import Any

from pydantic import Field, StrictFloat, StrictInt

from mlops_spec.enums import MonitorAction, ServingTier
from mlops_spec.models.base import SpecModel
from mlops_spec.models.monitors import DataDriftMonitor, Monitor, ScheduledMonitorBase
from mlops_spec.models.registry import Registry
from mlops_spec.models.serving import Serving
from mlops_spec.models.training import Training
from mlops_spec.types import Identifier


class Retraining(SpecModel):
    """Guards on automatic retraining (schedule, drift alarms, new data)."""

    cooldown_hours: StrictFloat = Field(default=24, ge=0, le=24 * 30)
    """No automatic run starts within this many hours of the last one. Default: 24 — at most
    one automatic run every 24 hours; later triggers are skipped."""
    max_runs_per_day: StrictInt = Field(default=2, ge=1, le=100)
    """At most this many automatic runs per UTC day. Default: 2 — a third automatic run on
    the same UTC day is refused."""


class Model(SpecModel):
    """One model of the system."""

    description: str | None = Field(default=None, max_length=256)
    """Free text, shown on dashboards and the package group. Default: unset — the package
    group is described as "Candidates of <model>"."""
    training: Training
    """How the model is trained, evaluated and registered (required)."""
    registry: Registry = Field(default_factory=Registry)
    """The model package group and its approval. Default: manual approval, no cross-account
    readers — candidates wait for a person to approve them."""
    serving: Serving | None = None
    """How predictions are served (tier: realtime | serverless | batch). Default: unset — the
    model is trained and registered but not served: no endpoint, no batch job."""
    monitors: dict[Identifier, Monitor] = Field(default_factory=dict)
    """Monitors by id (the id is part of the alarm name). Default: none — no alarm watches
    the model."""
    retraining: Retraining = Field(default_factory=Retraining)
    """Guards on automatic runs. Default: cooldown_hours 24, max_runs_per_day 2 — automatic
    runs start at least 24 hours apart, so at most once a day."""
    moved_from: Identifier | None = None
    """The id this model had before a rename. Its Pulumi resources take the former names as
    aliases, and its stateful resources keep the AWS names of the former id (the model package
    group, the endpoint with its URL, logs and capture, the artifacts prefix); the rest (roles,
    pipelines, schedules, alarms, dashboard) take the new id. Must not be a current model's
    id. Keep it while those resources live: removing it renames, hence replaces, them.
    Default: unset — the model was not renamed: a new id would replace all its resources."""

    @property
    def tier(self) -> ServingTier | None:
        return ServingTier(self.serving.tier) if self.serving else None

    def monitors_with_action(self, action: MonitorAction) -> dict[str, Monitor]:
        return {key: m for key, m in self.monitors.items() if m.action == action}

    @property
    def rollback_monitors(self) -> dict[str, Monitor]:
        return self.monitors_with_action(MonitorAction.ROLLBACK)

    @property
    def scheduled_monitors(self) -> dict[str, ScheduledMonitorBase]:
        """Monitors one monitoring job run measures, by id in order."""
        return {
            k: m for k, m in sorted(self.monitors.items()) if isinstance(m, ScheduledMonitorBase)
        }

    @property
    def job_driver(self) -> tuple[str, ScheduledMonitorBase] | None:
        """(id, monitor) whose schedule the model's monitoring job follows (:func:`job_driver`
        of its scheduled monitors)."""
        return job_driver(self.scheduled_monitors)


def job_driver(monitors: Mapping[str, Any]) -> tuple[str, ScheduledMonitorBase] | None:
    """(id, monitor) whose schedule a monitoring job measuring ``monitors`` follows: the first
    data-drift monitor, else the first scheduled monitor (ids in order); None without a
    scheduled monitor. The load-time window rule and the planner's job both use it."""
    scheduled = {k: m for k, m in sorted(monitors.items()) if isinstance(m, ScheduledMonitorBase)}
    drift = {k: m for k, m in scheduled.items() if isinstance(m, DataDriftMonitor)}
    return next(iter((drift or scheduled).items()), None)
