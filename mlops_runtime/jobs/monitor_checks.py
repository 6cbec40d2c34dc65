"""The monitoring job's checks (data drift, prediction drift, bias, model quality), each
adding its report section and its datapoints, and the publishing of those datapoints as gauges
through a ``MetricsSink`` (names and dimensions from ``mlops_runtime.contract.metrics``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mlops_runtime.contract import metrics as mm
from mlops_runtime.contract.config import MonitorConfig, QualityCheck
from mlops_runtime.core.ports import Gauge, MetricsSink
from mlops_runtime.drift import DriftInputError, DriftReport, Profile, compare
from mlops_runtime.jobs import capture, model_health
from mlops_runtime.jobs.monitor_io import MonitorError, load_optional_profile, read_ground_truth

Datum = tuple[str, mm.Dimensions, float]


def source(config: MonitorConfig) -> str:
    if config.source == "batch":
        return f"the batch transform input {config.batch_input_uri}"
    return config.endpoint_name


def unit(config: MonitorConfig) -> str:
    return "batch object" if config.source == "batch" else "captured record"


def dimensions_of(config: MonitorConfig, *extra: tuple[str, str]) -> mm.Dimensions:
    return mm.dimensions(config.model_id, config.environment, *extra)


def data_drift(
    config: MonitorConfig,
    profile: Profile,
    batch: capture.CaptureBatch,
    start: datetime,
    report: dict[str, Any],
    data: list[Datum],
) -> DriftReport | None:
    entries = batch.since(start)
    frame = batch.frame(entries)
    report["rows_analyzed"] = len(frame)
    data.append((mm.ROWS_ANALYZED, dimensions_of(config), float(len(frame))))
    if frame.empty:
        report["drift"] = None
        return None
    try:
        drift = compare(
            profile,
            frame,
            methods=dict(config.methods) or None,
            thresholds=dict(config.thresholds) or None,
            current_source=(
                f"batch transform input {config.batch_input_uri}"
                if config.source == "batch"
                else f"captured requests of {config.endpoint_name}"
            ),
        )
    except DriftInputError as error:
        raise MonitorError(f"schema mismatch: {error}") from error
    report["drift"] = drift.to_dict()
    data += [
        (mm.DRIFT_SCORE, dimensions_of(config), drift.overall_score),
        (mm.DRIFTED_FEATURES, dimensions_of(config), float(len(drift.drifted_features))),
    ]
    for name, result in drift.features.items():
        dims = dimensions_of(config, (mm.FEATURE, name))
        for metric, value in (
            (mm.FEATURE_DRIFTED, 1.0 if result.drifted else 0.0),
            (mm.FEATURE_STATISTIC, result.statistic),
            (mm.FEATURE_PSI, result.psi),
        ):
            if value is not None and value == value:  # skip NaN
                data.append((metric, dims, float(value)))
    return drift


def prediction_drift(
    s3: Any,
    config: MonitorConfig,
    batch: capture.CaptureBatch,
    end: datetime,
    report: dict[str, Any],
    data: list[Datum],
) -> None:
    check = config.prediction_drift
    assert check is not None
    entries = batch.since(end - timedelta(hours=check.window_hours))
    predictions = [p for entry in entries for p in entry.predictions]
    section: dict[str, Any] = {
        "reference_uri": check.profile_uri,
        "window_hours": check.window_hours,
        "method": check.method,
        "threshold": check.threshold,
    }
    data.append((mm.PREDICTION_ROWS, dimensions_of(config), float(len(predictions))))
    try:
        if not predictions:
            raise model_health.NotComputable(
                "no batch transform output in the window"
                if config.source == "batch"
                else "no captured prediction in the window"
            )
        reference = load_optional_profile(s3, check.profile_uri, "prediction profile")
        section.update(model_health.prediction_drift(reference, predictions, check))
    except model_health.NotComputable as reason:
        section.update(status="no_data", reason=str(reason))
        data.append((mm.PREDICTION_DRIFT_NO_DATA, dimensions_of(config), 1.0))
        report["prediction_drift"] = section
        return
    data.append((mm.PREDICTION_DRIFT_NO_DATA, dimensions_of(config), 0.0))
    data.append((mm.PREDICTION_DRIFTED, dimensions_of(config), 1.0 if section["drifted"] else 0.0))
    if section["statistic"] is not None:
        data.append((mm.PREDICTION_DRIFT, dimensions_of(config), section["statistic"]))
    if section["p_value"] is not None and check.method in mm.P_VALUE_METHODS:
        data.append((mm.PREDICTION_DRIFT_P_VALUE, dimensions_of(config), section["p_value"]))
    report["prediction_drift"] = section


def bias(
    s3: Any,
    config: MonitorConfig,
    batch: capture.CaptureBatch,
    end: datetime,
    report: dict[str, Any],
    data: list[Datum],
) -> None:
    check = config.bias
    assert check is not None
    entries = [  # batch outputs count only when joined with their input rows
        e
        for e in batch.since(end - timedelta(hours=check.window_hours))
        if len(e.rows) == len(e.predictions)
    ]
    column = batch.features.index(check.feature)
    groups = [row[column] for entry in entries for row in entry.rows]
    predictions = [p for entry in entries for p in entry.predictions]
    classes: list[str] = []
    if config.prediction_drift:  # the reference's classes name the positive label
        try:
            reference = load_optional_profile(
                s3, config.prediction_drift.profile_uri, "prediction profile"
            )
            classes = model_health.reference_classes(reference)
        except model_health.NotComputable:
            classes = []
    section = model_health.demographic_parity(groups, predictions, check, classes)
    section["window_hours"] = check.window_hours
    report["bias"] = section
    if section["status"] != "ok":
        if not predictions:
            section["reason"] = (
                "no batch transform output joined with its input rows in the window"
                if config.source == "batch"
                else "no captured prediction in the window"
            )
        data.append((mm.BIAS_NO_DATA, dimensions_of(config), 1.0))
        return
    data.append((mm.BIAS_NO_DATA, dimensions_of(config), 0.0))
    value = section["demographic_parity_difference"]
    data.append((mm.DEMOGRAPHIC_PARITY_DIFFERENCE, dimensions_of(config), value))


def model_quality(
    s3: Any,
    config: MonitorConfig,
    check: QualityCheck,
    batch: capture.CaptureBatch,
    end: datetime,
    report: dict[str, Any],
    data: list[Datum],
) -> str | None:
    """Join, compute, record; returns an error to raise after publishing (ground truth whose
    every object is unreadable), else None."""
    since = end - timedelta(hours=check.window_hours)
    entries = batch.since(since)
    truth, objects, problems = read_ground_truth(s3, check, since)
    joined, stats = model_health.join(
        ((e.inference_id, e.predictions) for e in entries), truth, check
    )
    values, reasons = model_health.quality(joined, check)
    if not entries:
        reasons = {m: "no captured prediction in the window" for m in check.metrics}
    report["model_quality"] = {
        "status": "ok" if values else "no_data",
        "window_hours": check.window_hours,
        "ground_truth": {
            "uri": check.ground_truth_uri,
            "objects": objects,
            "rows": len(truth),
            "problems": problems[: capture.MAX_PROBLEMS],
        },
        "joined_rows": len(joined),
        "join": stats,
        "metrics": values,
        "not_computed": reasons,
    }
    data.append((mm.GROUND_TRUTH_ROWS, dimensions_of(config), float(len(joined))))
    for metric in check.metrics:
        dims = dimensions_of(config, (mm.METRIC, metric))
        data.append((mm.MODEL_QUALITY_NO_DATA, dims, 0.0 if metric in values else 1.0))
        if metric in values:
            data.append((mm.MODEL_QUALITY, dims, values[metric]))
    if problems and not len(truth) and objects == len(problems):
        return (
            f"every ground-truth object under {check.ground_truth_uri} is unreadable as "
            f"{check.format} with columns {check.inference_id_column!r} and {check.label!r}; "
            f"e.g. {problems[:3]}"
        )
    return None


def publish(
    sink: MetricsSink, config: MonitorConfig, at: datetime, data: list[Datum]
) -> dict[str, Any]:
    """Publish every datapoint as a gauge; returns what the report records."""
    gauges = [
        Gauge(name, series, float(value), "Count" if name in mm.COUNT_METRICS else "None")
        for name, series, value in data
    ]
    sink.publish(config.metric_namespace, at, gauges)
    model = dimensions_of(config)
    values = {name: value for name, series, value in data if series == model}
    values.update(
        {
            f"{name}[{dict(series)[mm.METRIC]}]": value
            for name, series, value in data
            if mm.METRIC in dict(series)
        }
    )
    return {"namespace": config.metric_namespace, "values": values, "datapoints": len(gauges)}
