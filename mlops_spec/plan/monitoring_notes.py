"""What a model's scheduled monitors do not do by themselves: the planner's notes."""

from __future__ import annotations

from collections.abc import Iterable

from mlops_runtime.contract.config import MonitorConfig
from mlops_spec.enums import ServingTier
from mlops_spec.models import SystemSpec
from mlops_spec.models.monitors import ModelQualityMonitor, PredictionDriftMonitor
from mlops_spec.plan.alarms import AlarmPlan
from mlops_spec.plan.monitoring import ModelMonitoringPlan
from mlops_spec.plan.monitoring_job import (
    driver,
    monitors_of,
    no_job_reason,
    not_measured,
    scheduled_monitors,
)
from mlops_spec.plan.storage import StoragePlan


def _missing_state(alarm: AlarmPlan) -> str:
    return "OK" if alarm.treat_missing_data == "notBreaching" else "INSUFFICIENT_DATA"


def notes(
    spec: SystemSpec, models: Iterable[ModelMonitoringPlan], storage: StoragePlan
) -> list[str]:
    """What the model's scheduled monitors do not do by themselves, per monitor."""
    found = []
    for model in models:
        spec_model = spec.models[model.model]
        scheduled = scheduled_monitors(spec_model.monitors)
        if not scheduled:
            continue
        where = f"models.{model.model}.monitors"
        unmeasured = not_measured(spec, model.model, storage)
        for monitor_id, reason in unmeasured.items():
            alarm = model.alarm(monitor_id)
            found.append(
                f"{where}.{monitor_id}: {reason}; the monitoring job does not measure it, so "
                f"alarm {alarm.name} ({alarm.metrics[0].metric_name}) receives no data and "
                f"stays {_missing_state(alarm)}"
            )
        scheduled = {k: m for k, m in scheduled.items() if k not in unmeasured}
        if model.job is None:
            if spec.models[model.model].tier is ServingTier.BATCH:
                continue  # every scheduled monitor is noted above
            reason = no_job_reason(spec, model.model)
            for monitor_id in scheduled:
                alarm = model.alarm(monitor_id)
                found.append(
                    f"{where}.{monitor_id}: {reason}; no monitoring job runs, so alarm "
                    f"{alarm.name} ({alarm.metrics[0].metric_name}) receives no data and stays "
                    f"{_missing_state(alarm)}"
                )
            continue
        lead_id, lead = driver(scheduled)
        for monitor_id, monitor in scheduled.items():
            if monitor.schedule != lead.schedule:
                found.append(
                    f"{where}.{monitor_id}: measured by the model's monitoring job, which runs "
                    f"on {lead.schedule} (the schedule of {lead_id!r}), not on {monitor.schedule}"
                )
        predictions = monitors_of(scheduled, PredictionDriftMonitor)
        if predictions and spec_model.training.gate is None:
            found.append(
                f"{where}.{next(iter(predictions))}: the reference predictions come from the "
                "evaluation step, which runs only with training.gate; until "
                f"{model.job.prediction_profile_uri} exists the job publishes "
                "PredictionDriftNoData = 1 and no PredictionDrift"
            )
        quality = monitors_of(scheduled, ModelQualityMonitor)
        if quality:
            config = MonitorConfig.from_json(model.job.config)
            assert config.model_quality is not None
            found.append(
                f"{where}.{next(iter(quality))}: clients must pass InferenceId to "
                "InvokeEndpoint, and labels must land under "
                f"{config.model_quality.ground_truth_uri} (column "
                f"{config.model_quality.inference_id_column!r} = that id) within the "
                f"{config.model_quality.window_hours} h window; requests without an id are "
                "not joined"
            )
    return found
