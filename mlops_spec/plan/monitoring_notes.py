"""What a model's scheduled monitors need done outside the spec: the planner's notes.

A monitor whose alarm could never receive data (nothing captured, a batch record without an
inference id, no reference predictions, a schedule the job does not follow) is refused at
load time (``mlops_spec.checks``, ``mlops_spec.checks_ml``), so a planned job measures every
scheduled monitor of its model; what is left is what clients and pipelines must do.
"""

from __future__ import annotations

from collections.abc import Iterable

from mlops_spec.models import SystemSpec
from mlops_spec.models.monitors import ModelQualityMonitor
from mlops_spec.plan.monitoring import ModelMonitoringPlan
from mlops_spec.plan.monitoring_job import monitors_of, quality_check, scheduled_monitors
from mlops_spec.plan.storage import StoragePlan


def notes(
    spec: SystemSpec, models: Iterable[ModelMonitoringPlan], storage: StoragePlan
) -> list[str]:
    """Per model with a quality monitor: how labels must arrive to be joined (the job's
    ``MonitorConfig.model_quality``, computed as the job's is, not parsed back from its
    JSON)."""
    found = []
    for model in models:
        if model.job is None:
            continue
        quality = monitors_of(
            scheduled_monitors(spec.models[model.model].monitors), ModelQualityMonitor
        )
        if not quality:
            continue
        check, _ = quality_check(quality, spec, storage, model.model)
        assert check is not None
        found.append(
            f"models.{model.model}.monitors.{next(iter(quality))}: clients must pass "
            "InferenceId to InvokeEndpoint, and labels must land under "
            f"{check.ground_truth_uri} (column "
            f"{check.inference_id_column!r} = that id) within the "
            f"{check.window_hours} h window; requests without an id are not "
            "joined"
        )
    return found
