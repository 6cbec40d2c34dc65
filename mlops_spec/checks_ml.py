"""Load-time rules that keep a model's loops alive: every alarm can receive data, gates and
quality monitors bound their metric in the direction that keeps better models, metrics fit
the model's task, and production rollbacks can roll back.

Each rule is one function returning ``Issue``s (``mlops_spec.checks``); ``ml_issues`` runs
them for the base file and again for every stack after its overlay (``mlops_spec.load``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

from mlops_spec.checks import Issue
from mlops_spec.checks_holdout import (
    evaluation_fits_gate,
    headerless_only_as_holdout,
    quality_auc_reads_scores,
)
from mlops_spec.enums import ServingTier
from mlops_spec.models.monitors import (
    MAX_WINDOW_SECONDS,
    BiasMonitor,
    DataDriftMonitor,
    ModelQualityMonitor,
    PredictionDriftMonitor,
    ScheduledMonitorBase,
)
from mlops_spec.models.serving import BatchServing, RealtimeServing
from mlops_spec.models.training import ERROR_METRICS, REGRESSION_METRICS, Task, metric_task
from mlops_spec.schedule import schedule_period_minutes
from mlops_spec.schedule_runs import most_runs_in

if TYPE_CHECKING:
    from mlops_spec.models.environment import EnvironmentSettings
    from mlops_spec.models.model import Model
    from mlops_spec.models.spec import SystemSpec

Loc = tuple[str | int, ...]
ALARM_PERIODS: tuple[int, ...] = get_args(
    ScheduledMonitorBase.model_fields["period_seconds"].annotation
)
"""The alarm periods a scheduled monitor allows, shortest first."""

_TASK_METRICS = {
    "classification": "auc, accuracy, f1, precision, recall",
    "regression": ", ".join(sorted(str(m) for m in REGRESSION_METRICS)),
}


def _gate_direction(spec: SystemSpec, base: Loc, model: Model) -> list[Issue]:
    """Error metrics are bounded with `max`, scores with `min`."""
    gate = model.training.gate
    if gate is None:
        return []
    loc = (*base, "training", "gate")
    if gate.metric in ERROR_METRICS and gate.min is not None:
        return [
            Issue(
                (*loc, "min"),
                f"{gate.metric} is an error metric (lower is better): `min` lets only worse "
                f"candidates through; bound it with `max`",
                got=gate.min,
                allowed=f"max (e.g. max: {gate.min:g})",
            )
        ]
    if gate.metric not in ERROR_METRICS and gate.max is not None:
        return [
            Issue(
                (*loc, "max"),
                f"{gate.metric} is a score (higher is better): `max` turns better candidates "
                f"away and lets any worse one through; bound it with `min`",
                got=gate.max,
                allowed=f"min (e.g. min: {gate.max:g})",
            )
        ]
    return []


def _quality_direction(spec: SystemSpec, base: Loc, model: Model) -> list[Issue]:
    """A quality monitor bounding only the good side of its metric alarms when the model is
    good: error metrics alarm above `max`, scores below `min` (a band may set both)."""
    issues = []
    for monitor_id, monitor in model.monitors.items():
        if not isinstance(monitor, ModelQualityMonitor):
            continue
        error = monitor.metric in ERROR_METRICS
        if error and monitor.max is None:
            wrong, bound, right = "min", monitor.min, "max"
        elif not error and monitor.min is None:
            wrong, bound, right = "max", monitor.max, "min"
        else:
            continue
        kind = "an error metric (lower is better)" if error else "a score (higher is better)"
        issues.append(
            Issue(
                (*base, "monitors", monitor_id, wrong),
                f"{monitor.metric} is {kind}: alarming "
                f"{'below' if wrong == 'min' else 'above'} {wrong} fires while the model is "
                f"good; set `{right}` (alarm when it gets worse)",
                got=bound,
                allowed=right,
            )
        )
    return issues


def _task_evidence(base: Loc, model: Model) -> list[tuple[Loc, Task, str, str]]:
    """What in the model implies its task: (where, task, what, the value written)."""
    found: list[tuple[Loc, Task, str, str]] = []
    training = model.training
    if training.positive_label is not None:
        where = (*base, "training", "positive_label")
        found.append((where, "classification", "positive_label", training.positive_label))
    if training.gate is not None:
        metric = training.gate.metric
        where = (*base, "training", "gate", "metric")
        found.append((where, metric_task(metric), f"gate metric {metric}", str(metric)))
    for monitor_id, monitor in sorted(model.monitors.items()):
        where = (*base, "monitors", monitor_id)
        if isinstance(monitor, ModelQualityMonitor):
            what = f"model_quality metric {monitor.metric} of {monitor_id!r}"
            found.append(
                ((*where, "metric"), metric_task(monitor.metric), what, str(monitor.metric))
            )
        elif isinstance(monitor, BiasMonitor):
            what = f"bias monitor {monitor_id!r} (parity of positive predictions)"
            found.append(((*where, "type"), "classification", what, "bias"))
    return found


def _task_fit(spec: SystemSpec, base: Loc, model: Model) -> list[Issue]:
    """Metrics, positive_label and bias fit the declared task; undeclared, they agree."""
    evidence = _task_evidence(base, model)
    declared = model.training.task
    if declared is not None:
        return [
            Issue(
                loc,
                f"{what} is for {task}, but training.task is {declared}",
                got=got,
                allowed=f"for {declared}: {_TASK_METRICS[declared]}"
                if "metric" in what
                else f"training.task: {task}",
            )
            for loc, task, what, got in evidence
            if task != declared
        ]
    if not evidence:
        return []
    _, first_task, first_what, _ = evidence[0]
    return [
        Issue(
            loc,
            f"{what} is for {task}, but {first_what} is for {first_task}; declare "
            "training.task and use metrics of that task",
            got=got,
            allowed=f"for {first_task}: {_TASK_METRICS[first_task]}",
        )
        for loc, task, what, got in evidence[1:]
        if task != first_task
    ]


def _batch_unmeasurable(spec: SystemSpec, base: Loc, model: Model) -> list[Issue]:
    """Scheduled monitors the batch monitoring job cannot measure: quality joins on inference
    ids (batch records carry none); bias pairs predictions with input rows, for csv and jsonl
    input only."""
    serving = model.serving
    if not isinstance(serving, BatchServing):
        return []
    source = spec.data_sources.get(serving.input)
    parquet = source is not None and source.format == "parquet"
    issues = []
    for monitor_id, monitor in model.monitors.items():
        loc = (*base, "monitors", monitor_id, "type")
        if isinstance(monitor, ModelQualityMonitor):
            issues.append(
                Issue(
                    loc,
                    "model_quality joins served predictions with ground truth by inference id, "
                    "which batch transform records do not carry: its alarm would never get "
                    "data; score batch predictions against labels in your own job, or serve "
                    "the model realtime with data capture",
                    got="model_quality",
                    allowed="data_drift, prediction_drift, bias on batch serving",
                )
            )
        elif isinstance(monitor, BiasMonitor) and parquet:
            issues.append(
                Issue(
                    loc,
                    f"bias pairs each prediction with its input row, which the monitoring job "
                    f"does for csv and jsonl batch input only, and {serving.input!r} is "
                    "parquet: its alarm would never get data; use a csv or jsonl input",
                    got="bias",
                    allowed="bias with a csv or jsonl batch input",
                )
            )
    return issues


def _prediction_reference(spec: SystemSpec, base: Loc, model: Model) -> list[Issue]:
    """Prediction drift compares with the evaluation step's predictions: it needs a gate."""
    if model.training.gate is not None:
        return []
    return [
        Issue(
            (*base, "monitors", monitor_id, "type"),
            "prediction_drift compares served predictions with the predictions the "
            "evaluation step makes on the holdout, and that step runs only with "
            "training.gate: without a gate its alarm would never get data; add a gate",
            got="prediction_drift",
            allowed="a model with training.gate",
        )
        for monitor_id, monitor in model.monitors.items()
        if isinstance(monitor, PredictionDriftMonitor)
    ]


def _one_job_schedule(spec: SystemSpec, base: Loc, model: Model) -> list[Issue]:
    """One job run measures every scheduled monitor of a model, on its driver's schedule:
    a schedule written on another monitor must be that one."""
    driver = model.job_driver
    if driver is None:
        return []
    driver_id, lead = driver
    return [
        Issue(
            (*base, "monitors", monitor_id, "schedule"),
            f"the model's monitoring job measures every scheduled monitor in one run, on "
            f"the schedule of {driver_id!r}; this schedule would be ignored",
            got=monitor.schedule,
            allowed=f"{lead.schedule} (or leave schedule out)",
        )
        for monitor_id, monitor in model.scheduled_monitors.items()
        if "schedule" in monitor.model_fields_set and monitor.schedule != lead.schedule
    ]


def _window_fix(monitor: DataDriftMonitor, schedule: str, runs: int) -> str:
    """What would let the alarm fire: fewer datapoints, one run per period, or more runs."""
    fixes = [f"datapoints_to_alarm: {runs}" if runs else "a schedule that runs"]
    minutes = schedule_period_minutes(schedule)
    if minutes is not None:
        longer = [p for p in ALARM_PERIODS if p >= minutes * 60 and p > monitor.period_seconds]
        if longer and monitor.periods * longer[0] <= MAX_WINDOW_SECONDS:
            fixes.append(f"period_seconds: {longer[0]} (one run per period)")
    fixes.append("a schedule that runs more often")
    return ", or ".join(fixes)


def _window_holds_runs(spec: SystemSpec, base: Loc, model: Model) -> list[Issue]:
    """A data-drift alarm counts a period without a run as not breaching: its window must be
    able to hold `datapoints_to_alarm` runs of the job."""
    driver = model.job_driver
    if driver is None:
        return []
    schedule = driver[1].schedule
    issues = []
    for monitor_id, monitor in model.scheduled_monitors.items():
        if not isinstance(monitor, DataDriftMonitor):
            continue
        needed, window = monitor.alarm_datapoints, monitor.window_seconds
        runs = most_runs_in(schedule, window, needed)
        if runs >= needed:
            continue
        where = "datapoints_to_alarm" if monitor.datapoints_to_alarm else "periods"
        issues.append(
            Issue(
                (*base, "monitors", monitor_id, where),
                f"the alarm needs {needed} breaching runs within its window of "
                f"{monitor.periods} x {monitor.period_seconds} s, but the job, on {schedule}, "
                f"runs at most {runs} time{'s' if runs != 1 else ''} in that window (a period "
                "without a run counts as not breaching): it could never alarm",
                got=f"{needed} of {monitor.periods} periods",
                allowed=_window_fix(monitor, schedule, runs),
            )
        )
    return issues


def _production_rollback(base: Loc, model: Model) -> list[Issue]:
    """In production a realtime endpoint's rollback monitors must be able to roll back."""
    serving = model.serving
    if not isinstance(serving, RealtimeServing) or serving.rollout.auto_rollback:
        return []
    if not model.rollback_monitors:
        return []  # the production rule of mlops_spec.checks reports the missing monitor
    return [
        Issue(
            (*base, "serving", "rollout", "auto_rollback"),
            "production mode needs auto-rollback on each realtime endpoint: with "
            "auto_rollback false, its rollback monitors roll nothing back",
            got=False,
            allowed="true",
        )
    ]


_MODEL_RULES = (
    _gate_direction,
    _quality_direction,
    _task_fit,
    _batch_unmeasurable,
    _prediction_reference,
    _one_job_schedule,
    _window_holds_runs,
    headerless_only_as_holdout,
    evaluation_fits_gate,
    quality_auc_reads_scores,
)
"""One function per rule, in the order their issues are reported."""


def ml_issues(spec: SystemSpec, settings: EnvironmentSettings | None) -> list[Issue]:
    """Every issue of the rules above; production rules only with production ``settings``."""
    issues: list[Issue] = []
    for model_id, model in spec.models.items():
        base: Loc = ("models", model_id)
        for rule in _MODEL_RULES:
            issues += rule(spec, base, model)
        if settings is not None and settings.production and model.tier is ServingTier.REALTIME:
            issues += _production_rollback(base, model)
    return issues
